"""The same first visit done with the keyboard alone: Tab to each control (every stop shows its focus), type, and
Enter or Space to act, with axe-core checking each page on the way."""

from tests import factories
from tests.browser.keyboard import skip_to_main, tab_to
from tests.browser.emails import verification_link
from topics.models import Poll, Vote


def test_a_newcomer_signs_up_joins_votes_and_posts_markdown_with_the_keyboard_alone(
    live_server, page, screenshot, mailoutbox, check_accessibility
):
    """No mouse anywhere: Tab to each control (every stop shows its focus), type, Enter or Space to act; axe-core checks
    every page on the way."""
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    prompt = factories.make_open_prompt(topic, title="Which payment model unlocks access?")
    poll = Poll.objects.create(prompt=prompt)
    poll.options.create(label="Outcome-based payment", position=0)
    poll.options.create(label="Instalments", position=1)
    keys = page.keyboard

    page.goto(live_server.url + "/accounts/signup/")
    check_accessibility(page)
    skip_to_main(page)
    for name, text in [
        ("email", "li.na@example.org"),
        ("username", "lina"),
        ("password1", "a long and unusual passphrase"),
        ("password2", "a long and unusual passphrase"),
    ]:
        tab_to(page, page.locator(f"input[name={name}]"))
        keys.type(text)
    tab_to(page, page.locator("main form button[type=submit]"))  # not the footer's language buttons
    keys.press("Enter")
    page.wait_for_selector("text=We have sent a link to li.na@example.org")
    check_accessibility(page)

    page.goto(verification_link(mailoutbox))
    check_accessibility(page)
    tab_to(page, page.locator("main form button[type=submit]"))  # not the footer's language buttons
    keys.press("Enter")  # confirming is a POST: mail scanners only GET
    page.wait_for_url(lambda url: "confirm-email" not in url)

    page.goto(live_server.url + group.get_absolute_url())
    tab_to(page, page.get_by_role("button", name="Join group"))
    keys.press("Enter")
    page.wait_for_selector("text=Welcome to China CAR-T Market")
    check_accessibility(page)
    skip_to_main(page)
    tab_to(page, page.locator("a.prompt-row__title", has_text="Which payment model unlocks access?"))
    keys.press("Enter")

    page.wait_for_selector(".poll")
    check_accessibility(page)
    skip_to_main(page)
    tab_to(page, page.get_by_role("radio", name="Outcome-based payment"))
    keys.press("Space")
    tab_to(page, page.get_by_label("Your reason"))
    keys.type("Pays only for what works.")
    tab_to(page, page.get_by_role("button", name="Vote"))
    keys.press("Space")
    page.wait_for_selector(".poll progress")
    assert Vote.objects.get().option.label == "Outcome-based payment"

    tab_to(page, page.locator("textarea[name=body]"))
    keys.type(
        "Two options to compare:\n\n- outcome-based payment\n- instalments\n\nSee [the briefing](https://example.org/brief)."
    )
    tab_to(page, page.locator("button[name=preview]"))
    keys.press("Enter")
    page.wait_for_selector(".preview li:has-text('instalments')")
    tab_to(page, page.get_by_role("button", name="Post reply"), backwards=True)
    keys.press("Enter")

    reply = page.locator(".post").last
    reply.locator("li", has_text="outcome-based payment").wait_for()
    link = reply.locator("a", has_text="the briefing")
    assert link.get_attribute("href") == "https://example.org/brief"
    assert link.get_attribute("rel") == "nofollow ugc noopener"
    assert "lina" in reply.inner_text()
    check_accessibility(page)  # the poll's results and a rendered post
    screenshot(page, "thread-after-reply")
