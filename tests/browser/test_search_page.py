"""The search page in a browser: a visitor types in the header's box, a Chinese query finds its post, the page fits
a phone and a laptop without scrolling sideways, and axe-core finds no serious violation."""

from tests import factories

WIDTHS = (375, 1280)
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_a_visitor_searches_in_chinese_from_the_header(live_server, page, screenshot, check_accessibility):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic, title="Who pays for CAR-T in Shanghai?")
    post = factories.make_post(thread, body="嵌合抗原受体T细胞治疗的价格在上海仍然很高，惠民保只覆盖一部分。")

    page.goto(live_server.url + group.get_absolute_url())
    page.fill("#site-search-q", "细胞治疗")
    page.press("#site-search-q", "Enter")
    page.wait_for_selector(".search-hit")
    assert page.inner_text(".search-hit mark") == "细胞治疗"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate(OVERFLOW) <= 0, f"the search page is too wide at {width} px"
        check_accessibility(page)
        screenshot(page, f"search-{width}")
    page.click(".search-hit__title a")
    page.wait_for_url(f"**{thread.get_absolute_url()}**")
    assert page.locator(f"#post-{post.pk}, #n{post.number}").count() >= 1
