"""A moderator suspends a member from the member list; the member sees why and until when instead of the reply box."""

from tests import factories
from tests.browser.test_facilitation_journey import log_in
from topics.models import Sanction


def test_a_moderator_suspends_a_member_who_then_sees_why_on_the_thread(live_server, chromium, screenshot):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    moderator = factories.make_moderator(group=group, display_name="Dr Lin")
    member = factories.make_member(group=group, display_name="Spammy Sam", timezone="Asia/Shanghai")
    thread = factories.make_thread(topic=topic, author=moderator, title="Hospital budgets")

    moderator_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(moderator_page, live_server, moderator)
    moderator_page.goto(f"{live_server.url}/g/{group.slug}/members/")
    moderator_page.click("summary:has-text('Suspend or ban')")
    moderator_page.select_option("select[name=duration]", value="7d")
    moderator_page.fill("textarea[name=reason]", "Advertising in every thread.")
    moderator_page.click("button:has-text('Apply')")
    moderator_page.wait_for_selector("text=Suspensions and bans in force")
    moderator_page.wait_for_selector("text=Spammy Sam is suspended.")
    screenshot(moderator_page, "member-suspended")
    assert Sanction.objects.get().reason == "Advertising in every thread."

    member_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(member_page, live_server, member)
    member_page.goto(live_server.url + thread.get_absolute_url())
    member_page.wait_for_selector("text=You are suspended from this group until")
    member_page.wait_for_selector(".notice--sanction:has-text('Shanghai time')")  # the group's clock, named
    assert member_page.locator("text=Post reply").count() == 0
    screenshot(member_page, "suspended-member-thread")
