"""The site's pages work under its Content-Security-Policy: Chromium reports no violation on any of them.

The `page` fixture fails a test on any violation or JavaScript error; these tests also assert it directly, so that
the failure names the page.
"""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from discussions import services as discussion_services
from tests import factories
from tests.browser.test_facilitation_journey import log_in

# The page layer, not the database: the test command runs these in one pass.
pytestmark = pytest.mark.one_pass


def build_group():
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    moderator = factories.make_moderator(group=group, username="lin", display_name="Dr Lin")
    member = factories.make_member(group=group, username="grace", display_name="Grace Chan")
    colleague = factories.make_member(group=group, username="meiling", display_name="Mei Ling")
    thread = discussion_services.start_thread(
        topic=topic, author=member, title="Instalments or outcome-based payment?", body="Which **first**?"
    )
    post = discussion_services.publish_post(thread=thread, author=colleague, body="Instalments, says @grace.")
    prompt = factories.make_open_prompt(topic=topic, author=moderator)
    return {"group": group, "topic": topic, "moderator": moderator, "member": member, "thread": thread,
            "post": post, "prompt": prompt}  # fmt: skip


def visit(page, live_server, url: str, browser_problems: list[str]) -> None:
    response = page.goto(live_server.url + url)
    page.wait_for_load_state("load")
    assert response.status == 200, url
    assert "content-security-policy" in response.headers, url
    assert browser_problems == [], url


def preview_and_mention(page, browser_problems) -> None:
    """Use the page's editor the way its script enhances it: a live preview and the @mention list."""
    textarea = page.locator("textarea[name=body]").first
    textarea.fill("A *preview* with a [link](https://example.org).")
    page.locator("button[name=preview]").first.click()
    page.wait_for_selector(".preview em:has-text('preview')")
    textarea.press("End")
    textarea.type(" @me")
    page.wait_for_selector(".mention-list__option")
    # Read aloud or copied, the name and the handle are two words, not "Mei Ling@meiling".
    assert page.locator(".mention-list__option").first.text_content() == "Mei Ling @meiling"
    assert browser_problems == [], page.url


def test_a_visitor_signs_up_and_logs_in_under_the_policy(live_server, page, browser_problems, db):
    for name in ("topics:home", "account_signup", "account_login", "account_reset_password"):
        visit(page, live_server, reverse(name), browser_problems)


def test_a_member_uses_the_main_pages_under_the_policy(live_server, page, browser_problems):
    site = build_group()
    group, topic, member = site["group"], site["topic"], site["member"]
    log_in(page, live_server, member)

    pages = [
        reverse("topics:home"),
        group.get_absolute_url(),
        reverse("topics:topic", args=[group.slug, topic.slug]),
        reverse("topics:agenda", args=[group.slug]),
        reverse("topics:members", args=[group.slug]),
        reverse("topics:leave", args=[group.slug]),
        site["prompt"].thread.get_absolute_url(),
        reverse("profile", args=[member.username]),
        reverse("edit_profile"),
        reverse("discussions:notifications"),
        reverse("discussions:digest_preview"),
        reverse("discussions:email_preferences"),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("discussions:edit_post", args=[site["thread"].posts.get(number=1).pk]),
    ]
    for url in pages:
        visit(page, live_server, url, browser_problems)

    visit(page, live_server, site["thread"].get_absolute_url(), browser_problems)
    preview_and_mention(page, browser_problems)
    visit(page, live_server, reverse("discussions:new_thread", args=[group.slug, topic.slug]), browser_problems)
    preview_and_mention(page, browser_problems)


def test_a_moderator_uses_the_moderation_pages_under_the_policy(live_server, page, browser_problems):
    site = build_group()
    group, topic, member = site["group"], site["topic"], site["member"]
    log_in(page, live_server, site["moderator"])

    pages = [
        group.get_absolute_url(),
        reverse("topics:topic", args=[group.slug, topic.slug]),
        reverse("topics:topic_edit", args=[group.slug, topic.slug]),
        reverse("topics:topic_new", args=[group.slug]),
        reverse("topics:topic_summary", args=[group.slug, topic.slug]),
        reverse("topics:members", args=[group.slug]),
        reverse("topics:join_requests", args=[group.slug]),
        reverse("topics:invitations", args=[group.slug]),
        reverse("topics:group_settings", args=[group.slug]),
        reverse("topics:agenda", args=[group.slug]),
        reverse("topics:programme", args=[group.slug]),
        reverse("topics:milestones", args=[group.slug]),
        reverse("topics:prompt_new", args=[group.slug]),
        reverse("topics:prompt_edit", args=[group.slug, site["prompt"].pk]),
        reverse("topics:prompt_outcome", args=[group.slug, site["prompt"].pk]),
        reverse("topics:insight", args=[group.slug]),
        reverse("discussions:member_digest_preview", args=[group.slug, member.username]),
        reverse("discussions:post_revisions", args=[site["post"].pk]),
        reverse("discussions:notifications"),
        reverse("discussions:digest_preview"),
    ]
    for url in pages:
        visit(page, live_server, url, browser_problems)

    visit(page, live_server, site["thread"].get_absolute_url(), browser_problems)
    page.click("text=Moderate this thread")
    preview_and_mention(page, browser_problems)


def test_a_pending_email_change_shows_under_the_policy(live_server, page, browser_problems):
    member = factories.make_user()
    EmailAddress.objects.create(user=member, email="new.address@example.org", primary=False, verified=False)
    log_in(page, live_server, member)

    visit(page, live_server, reverse("account_email"), browser_problems)

    assert page.locator("input[type=email][value='new.address@example.org']").is_visible()
    assert not page.locator("#pending-email").is_visible()


def test_the_admin_works_under_the_policy(live_server, page, browser_problems):
    site = build_group()
    admin = factories.make_user(username="admin", is_staff=True, is_superuser=True)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")

    for url in (
        reverse("admin:index"),
        reverse("admin:topics_group_changelist"),
        reverse("admin:topics_group_change", args=[site["group"].pk]),
        reverse("admin:topics_prompt_change", args=[site["prompt"].pk]),
        reverse("admin:discussions_thread_changelist") + "?q=payment",
        reverse("admin:discussions_post_change", args=[site["post"].pk]),
        reverse("admin:groupsite_user_add"),
    ):
        visit(page, live_server, url, browser_problems)
