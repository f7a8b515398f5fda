from discussions.models import Flag
from tests import factories
from tests.browser.test_facilitation_journey import log_in
from topics.audit import AuditAction, AuditEntry


def test_a_member_flags_a_post_and_a_moderator_hides_it_from_the_review_queue(
    live_server, chromium, screenshot, check_accessibility
):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t", timezone="Asia/Shanghai")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    moderator = factories.make_moderator(group=group, display_name="Dr Lin")
    member = factories.make_member(group=group, display_name="Grace Chan")
    spammer = factories.make_member(group=group, display_name="Quick Deals")
    thread = factories.make_thread(topic=topic, title="Who pays for CAR-T?", body="Payers first.")
    spam = factories.make_post(thread=thread, author=spammer, body="Buy cheap CAR-T slots here!")

    member_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(member_page, live_server, member)
    member_page.goto(live_server.url + thread.get_absolute_url())
    post = member_page.locator(f"#post-{spam.pk}")
    # Flag is among the post's rarer actions, on its own page (a thread page stays small): behind React.
    post.get_by_role("button", name="React").click()
    post.get_by_role("link", name="More actions").click()
    member_page.get_by_role("link", name="Flag").click()  # the flag form has a page of its own too
    member_page.wait_for_selector("text=Flag this post for the moderators")
    check_accessibility(member_page)
    member_page.get_by_label("Spam").check()
    member_page.get_by_role("button", name="Send to the moderators").click()
    member_page.wait_for_selector("text=the moderators will look at this post")
    assert Flag.objects.get().flagged_by == member

    moderator_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(moderator_page, live_server, moderator)
    moderator_page.goto(live_server.url + group.get_absolute_url())
    check_accessibility(moderator_page)  # with the moderators' tools
    moderator_page.click("text=Review (1)")
    moderator_page.wait_for_selector("text=Buy cheap CAR-T slots here!")
    check_accessibility(moderator_page)
    screenshot(moderator_page, "review-queue")
    item = moderator_page.locator(f"#review-{spam.pk}")
    item.locator(f"#hide-{spam.pk}").fill("Advertising")
    item.get_by_role("button", name="Hide", exact=True).click()
    moderator_page.wait_for_selector("text=No flagged posts are waiting.")

    member_page.goto(live_server.url + thread.get_absolute_url())
    member_page.wait_for_selector("text=This post is hidden by the moderators.")
    check_accessibility(member_page)
    screenshot(member_page, "hidden-post")
    assert AuditEntry.objects.get().action == AuditAction.HIDE_POST
