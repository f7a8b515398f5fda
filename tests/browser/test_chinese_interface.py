"""A member switches the interface to Chinese in their profile (issue 10, item 7), then reads the group and their digest."""

from datetime import timedelta

from django.utils import timezone

from discussions import services as discussion_services
from groupsite.models import User
from tests import factories
from tests.browser.test_facilitation_journey import log_in


def test_a_member_switches_to_chinese_and_reads_the_group_and_the_digest_preview_in_chinese(
    live_server, page, screenshot, check_accessibility
):
    group = factories.make_group(name="中国 CAR-T 市场", slug="china-car-t")
    topic = factories.make_topic(group=group, title="医保与支付", slug="cost")
    member = factories.make_member(group=group, username="liming", display_name="李明")
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))
    colleague = factories.make_member(group=group, display_name="王芳")
    thread = discussion_services.start_thread(
        topic=topic, author=colleague, title="分期付款还是按疗效付费？", body="哪一种会先落地？"
    )
    for person in (factories.make_member(group=group), factories.make_member(group=group)):
        discussion_services.publish_post(thread=thread, author=person, body="目前看分期付款更现实。")

    log_in(page, live_server, member)
    page.goto(live_server.url + "/accounts/profile/")
    page.select_option("select[name=language]", "zh-hans")
    page.click("button:has-text('Save profile')")
    page.wait_for_selector("html[lang=zh-hans]")
    member.refresh_from_db()
    assert member.language == "zh-hans"

    page.goto(live_server.url + group.get_absolute_url())
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.inner_text(".site-header").count("通知") == 1  # "Notifications"
    assert "语言" in page.inner_text(".site-footer")  # the language switcher's label
    check_accessibility(page)
    screenshot(page, "chinese-group-page")

    page.goto(live_server.url + "/accounts/digest/")
    page.wait_for_selector("text=分期付款还是按疗效付费？")
    assert "您的摘要" in page.inner_text("main")  # "Your digest"
    check_accessibility(page)
    screenshot(page, "chinese-digest-preview")
