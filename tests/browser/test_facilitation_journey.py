from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from discussions.models import Thread
from tests import factories
from topics import scheduling
from topics.models import Prompt, Topic


def log_in(page, live_server, user, check_page=None):
    page.goto(live_server.url + "/accounts/login/")
    if check_page:
        check_page(page)
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Log out")


# The boxes whose content must stay inside them (rows of lists, cards, panels, posts).
SPILLED = """() => [...document.querySelectorAll('.topic-row, .thread-row, .prompt-row, .card, .panel, .post')]
  .filter(box => [...box.querySelectorAll('*')].some(
    inner => inner.getBoundingClientRect().right > box.getBoundingClientRect().right + 1))
  .map(box => box.className)"""


def assert_no_sideways_scrolling(page, live_server, paths, screenshot) -> None:
    """Each page fits the window at a phone's width and a laptop's: nothing scrolls horizontally, and nothing
    spills out of its card."""
    too_wide = []
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in paths.items():
            page.goto(live_server.url + path)
            if width == 375:
                screenshot(page, f"narrow-{name}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                too_wide.append(f"the {name} page scrolls {overflow}px sideways at {width}px")
            too_wide += [f"on the {name} page at {width}px, a {box} spills" for box in page.evaluate(SPILLED)]
    assert not too_wide


def test_a_scheduled_prompt_with_a_poll_is_answered_and_concluded(
    live_server, chromium, screenshot, check_accessibility
):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t", timezone="Asia/Shanghai")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    moderator = factories.make_moderator(group=group, display_name="Dr Lin")
    member = factories.make_member(group=group, display_name="Grace Chan")
    factories.make_member(group=group, display_name="Wei Zhang")  # never answers: the follow-up reminds them
    publish_at = (timezone.now() + timedelta(hours=2)).astimezone(group.tzinfo).replace(second=0, microsecond=0)

    moderator_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(moderator_page, live_server, moderator, check_page=check_accessibility)
    moderator_page.goto(f"{live_server.url}/g/{group.slug}/prompts/new/")
    check_accessibility(moderator_page)
    moderator_page.select_option("select[name=topic]", label=topic.title)
    moderator_page.fill("input[name=title]", "Which payment model should come first?")
    moderator_page.fill("textarea[name=context]", "Think about who collects the follow-up data.")
    moderator_page.check("input[name=when][value=schedule]")
    moderator_page.fill("input[name=publish_at]", publish_at.strftime("%Y-%m-%dT%H:%M"))
    moderator_page.select_option("select[name=poll_kind]", value="choice")
    moderator_page.fill("textarea[name=poll_options]", "Outcome-based payment\nInstalments\nCity insurance")
    moderator_page.click("text=Save prompt")
    moderator_page.wait_for_selector("text=Prompt · Scheduled")
    check_accessibility(moderator_page)
    screenshot(moderator_page, "prompt-scheduled")

    prompt = Prompt.objects.get(title="Which payment model should come first?")
    assert prompt.publish_at == publish_at
    assert scheduling.run_schedule(now=publish_at)["published"] == [prompt.pk]  # what the beat tick does
    prompt.refresh_from_db()

    member_page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(member_page, live_server, member)
    member_page.goto(live_server.url + f"/g/{group.slug}/")
    member_page.click("text=Which payment model should come first?")
    member_page.check("text=Instalments")
    member_page.fill("textarea[name=reason]", "Simplest to run today.")
    member_page.click("button:has-text('Vote')")
    member_page.wait_for_selector(".poll progress")
    member_page.fill("textarea[name=body]", "Instalments first, then outcome-based payment once registries exist.")
    member_page.click("text=Post reply")
    member_page.wait_for_selector("text=Instalments first, then outcome-based payment")

    moderator_page.goto(f"{live_server.url}/g/{group.slug}/prompts/{prompt.pk}/outcome/")
    check_accessibility(moderator_page)
    moderator_page.fill("textarea[name=takeaways]", "- The group leans towards **instalments** as the first step.")
    moderator_page.click("text=Save outcome")
    moderator_page.wait_for_selector("text=Key takeaways")

    member_page.reload()
    member_page.wait_for_selector(".outcome >> text=instalments")
    assert "1 of 3 members voted" in member_page.inner_text(".poll")
    check_accessibility(member_page)  # with the outcome; the group page and poll form are checked in the newcomer journey
    screenshot(member_page, "prompt-thread-with-outcome")

    # The follow-up: from the Agenda's counts to the one reminder a day.
    moderator_page.goto(f"{live_server.url}/g/{group.slug}/agenda/")
    assert "1 answered · 1 voted · 3 members" in moderator_page.inner_text(".prompt-row__counts")
    moderator_page.click(".prompt-row__counts >> text=Follow up")
    assert "Grace Chan" not in moderator_page.inner_text(".followup-list")
    assert "Wei Zhang" in moderator_page.inner_text(".followup-list")
    moderator_page.click("button:has-text('Remind 1 member')")
    moderator_page.wait_for_selector("text=1 member who has not answered will be reminded.")
    moderator_page.wait_for_selector("text=The next reminder can go tomorrow.")
    screenshot(moderator_page, "prompt-follow-up")

    # The pages a moderator and a member read most fit a phone: long words, links and tables included, and
    # "Last activity" reads as it would after a quiet afternoon ("3 hours ago", wider than "now").
    factories.make_invitation(group=group, email="a.very.long.address.for.a.clinician@hospital.example.org")
    factories.make_post(thread=prompt.thread, body="Source: https://example.org/" + "ReimbursementData" * 12)
    earlier = timezone.now() - timedelta(hours=3)
    Topic.objects.filter(pk=topic.pk).update(last_activity_at=earlier)
    Thread.objects.filter(pk=prompt.thread_id).update(last_activity_at=earlier)
    paths = {
        "group": group.get_absolute_url(),
        "topic": topic.get_absolute_url(),
        "thread": prompt.thread.get_absolute_url(),
        "invitations": reverse("topics:invitations", args=[group.slug]),
        "agenda": reverse("topics:agenda", args=[group.slug]),
        "profile": member.get_absolute_url(),
    }
    assert_no_sideways_scrolling(moderator_page, live_server, paths, screenshot)
