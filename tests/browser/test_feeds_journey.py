"""Copy a post's link, and follow a private group in a feed reader with a secret address (issue 10, items 5 and 6)."""

from http import HTTPStatus
from urllib.parse import urlparse

import feedparser

from tests import factories
from tests.browser.test_facilitation_journey import log_in


def test_copy_link_puts_the_posts_absolute_address_on_the_clipboard_and_says_so(
    live_server, chromium, screenshot, check_accessibility
):
    topic = factories.make_topic(title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic, title="Hospital budgets")
    reply = factories.make_post(thread, body="Budgets reset in January.")
    context = chromium.new_context(
        viewport={"width": 375, "height": 800}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.goto(live_server.url + thread.get_absolute_url())
    check_accessibility(page)

    page.click(f"#post-{reply.pk} footer button:has-text('Copy link')")  # copy-link.js's: the post's number is its link

    page.wait_for_selector(f"#post-{reply.pk} [role=status]:has-text('Link copied')")
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + reply.get_absolute_url()
    assert page.url == live_server.url + thread.get_absolute_url()  # copied, not followed
    screenshot(page, "post-link-copied")
    context.close()


def test_a_member_follows_a_private_group_in_a_feed_reader_and_resets_the_address(
    live_server, chromium, screenshot, check_accessibility
):
    group = factories.make_group(name="Investor circle", slug="investors", visibility="private")
    member = factories.make_member(group=group, display_name="Mei")
    topic = factories.make_topic(group=group, title="Valuations", slug="valuations")
    factories.make_thread(topic, author=member, title="Series B rounds in Suzhou")
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server, member)

    page.goto(live_server.url + group.get_absolute_url())
    page.click("text=Follow in a feed reader")
    page.click("button:has-text('Make my feed address')")
    page.wait_for_selector("text=Your private feed address is ready.")
    check_accessibility(page)
    screenshot(page, "follow-private-group")
    address = urlparse(page.input_value("#feed-address-1")).path
    reader = chromium.new_context()  # a feed reader: no session at all
    response = reader.request.get(live_server.url + address)
    assert response.status == HTTPStatus.OK
    parsed = feedparser.parse(response.body())
    assert parsed.version == "atom10" and not parsed.bozo
    assert [entry.title for entry in parsed.entries] == ["Series B rounds in Suzhou"]

    page.click("button:has-text('Reset the link')")
    page.wait_for_selector("text=the old one no longer works")

    assert reader.request.get(live_server.url + address).status == HTTPStatus.NOT_FOUND
    new_address = urlparse(page.input_value("#feed-address-1")).path
    assert new_address != address
    assert reader.request.get(live_server.url + new_address).status == HTTPStatus.OK
    reader.close()
    context.close()
