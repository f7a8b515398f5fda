"""A member reacts to a post and bookmarks it. With JavaScript, "React" opens a picker under the post and the
reaction's pill appears, changes and goes in place, without a page load; without it, "React" leads to the post's
reaction page, whose buttons return to the post. The bookmark is on that page, and then on the bookmarks page."""

from discussions.reactions import Bookmark, Reaction
from tests import factories
from tests.browser.test_facilitation_journey import log_in


def budget_thread():
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic=topic, title="Hospital budgets", body="Budgets are set each spring.")
    return group, thread, thread.posts.get()


def test_a_reaction_given_in_the_picker_shows_as_a_pill_and_goes_again_without_a_reload(
    live_server, page, screenshot, check_accessibility
):
    group, thread, post = budget_thread()
    member = factories.make_member(group=group, display_name="Mei")
    log_in(page, live_server, member)
    page.goto(live_server.url + thread.get_absolute_url())
    check_accessibility(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page were loaded again
    react = page.locator(f"#post-{post.pk} footer a", has_text="React")
    assert page.locator(f"#post-{post.pk} .reactions").count() == 0  # nobody reacted: nothing shown

    react.click()
    page.locator(f"#post-{post.pk} .reaction-picker button", has_text="Insightful").click()
    pill = page.locator(f"#post-{post.pk} .reactions button.reaction[title='Insightful']")
    pill.and_(page.locator("[aria-pressed='true']")).wait_for()
    assert pill.locator(".reaction__count").inner_text() == "1"
    assert react.get_attribute("aria-expanded") == "true"
    check_accessibility(page)  # the picker open, a pill given
    screenshot(page, "reaction-picker")
    assert page.evaluate("window.__sameDocument") is True
    assert Reaction.objects.filter(post=post, user=member, kind=Reaction.Kind.INSIGHTFUL).count() == 1

    page.keyboard.press("Escape")  # the picker closes, and "React" has the focus again
    assert page.locator(f"#post-{post.pk} .reaction-picker").count() == 0
    assert page.evaluate("document.activeElement.textContent") == "React"
    pill.click()  # and back: the pill goes with the last reaction of its kind
    pill.wait_for(state="detached")
    assert page.evaluate("window.__sameDocument") is True
    assert not Reaction.objects.filter(post=post, user=member).exists()


def test_the_post_s_reaction_page_keeps_the_bookmark_which_the_thread_then_shows_pressed(
    live_server, page, screenshot, check_accessibility
):
    group, thread, post = budget_thread()
    member = factories.make_member(group=group, display_name="Mei")
    log_in(page, live_server, member)
    page.goto(live_server.url + thread.get_absolute_url())

    page.locator(f"#post-{post.pk} footer a", has_text="React").click()
    page.locator(f"#post-{post.pk} .reaction-picker a", has_text="More actions").click()
    page.wait_for_selector("h1:has-text('React to post #1')")
    check_accessibility(page)
    screenshot(page, "reaction-page")
    page.locator(".bookmark-button").click()
    bookmark = page.locator(f"#post-{post.pk} .bookmark-button[aria-pressed='true']")
    bookmark.wait_for()
    assert Bookmark.objects.filter(post=post, user=member).exists()

    page.click("header >> text=Bookmarks")
    page.wait_for_selector("text=Budgets are set each spring.")
    check_accessibility(page)
    screenshot(page, "bookmarks")


def test_without_javascript_react_leads_to_the_post_s_page_whose_buttons_return_to_the_post(live_server, chromium):
    group, thread, post = budget_thread()
    member = factories.make_member(group=group, display_name="Mei")
    page = chromium.new_context(java_script_enabled=False).new_page()
    log_in(page, live_server, member)
    page.goto(live_server.url + thread.get_absolute_url())

    page.locator(f"#post-{post.pk} footer a", has_text="React").click()
    page.locator("button.reaction", has_text="Thanks").click()
    page.wait_for_selector(f"#post-{post.pk} button.reaction[title='Thanks'][aria-pressed='true']")
    assert page.url.endswith(f"#post-{post.pk}")
    page.locator(f"#post-{post.pk} button.reaction[title='Thanks']").click()  # the pill takes it back
    page.wait_for_selector(f"#post-{post.pk} footer a:has-text('React')")
    assert page.locator(f"#post-{post.pk} .reactions").count() == 0

    assert not Reaction.objects.filter(post=post, user=member).exists()
