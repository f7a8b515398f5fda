"""A member reacts to a post and bookmarks it with JavaScript on: the count and pressed state change in place,
without a page load, and the bookmark is on the bookmarks page."""

from discussions.reactions import Bookmark, Reaction
from tests import factories
from tests.browser.test_facilitation_journey import log_in


def test_a_reaction_and_a_bookmark_update_in_place_without_a_reload(
    live_server, page, screenshot, check_accessibility
):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic=topic, title="Hospital budgets", body="Budgets are set each spring.")
    post = thread.posts.get()
    member = factories.make_member(group=group, display_name="Mei")
    log_in(page, live_server, member)
    page.goto(live_server.url + thread.get_absolute_url())
    check_accessibility(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page were loaded again

    insightful = page.locator(f"#post-{post.pk} button.reaction[title='Insightful']")
    insightful.click()
    page.wait_for_selector(f"#post-{post.pk} button.reaction[title='Insightful'][aria-pressed='true']")
    assert insightful.locator(".reaction__count").inner_text() == "1"
    page.locator(f"#post-{post.pk} .bookmark-button").click()
    page.wait_for_selector(f"#post-{post.pk} .bookmark-button[aria-pressed='true']")
    screenshot(page, "reaction-pressed")

    assert page.evaluate("window.__sameDocument") is True
    assert Reaction.objects.filter(post=post, user=member, kind=Reaction.Kind.INSIGHTFUL).count() == 1
    assert Bookmark.objects.filter(post=post, user=member).exists()

    insightful.click()  # and back
    page.wait_for_selector(f"#post-{post.pk} button.reaction[title='Insightful'][aria-pressed='false']")
    assert insightful.locator(".reaction__count").inner_text() == "0"
    assert page.evaluate("window.__sameDocument") is True
    assert not Reaction.objects.filter(post=post, user=member).exists()

    page.click("header >> text=Bookmarks")
    page.wait_for_selector("text=Budgets are set each spring.")
    check_accessibility(page)
    screenshot(page, "bookmarks")


def test_without_javascript_the_buttons_post_the_page_form_to_their_own_address(live_server, chromium):
    """The buttons are not forms of their own: form= and formaction= send the page's one form (and its token)."""
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic=topic, title="Hospital budgets", body="Budgets are set each spring.")
    post = thread.posts.get()
    member = factories.make_member(group=group, display_name="Mei")
    page = chromium.new_context(java_script_enabled=False).new_page()
    log_in(page, live_server, member)
    page.goto(live_server.url + thread.get_absolute_url())

    page.locator(f"#post-{post.pk} button.reaction[title='Thanks']").click()
    page.wait_for_selector(f"#post-{post.pk} button.reaction[title='Thanks'][aria-pressed='true']")
    page.locator(f"#post-{post.pk} .bookmark-button").click()
    page.wait_for_selector(f"#post-{post.pk} .bookmark-button[aria-pressed='true']")

    assert Reaction.objects.filter(post=post, user=member, kind=Reaction.Kind.THANKS).count() == 1
    assert Bookmark.objects.filter(post=post, user=member).exists()
