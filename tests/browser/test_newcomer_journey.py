"""A newcomer's first visit, end to end (issue 9, "Done when"): sign up, follow the link in the verification email
(the live server runs on a port of its own, as `dev.py up --port` would), join, vote and reply.

At a phone's width (375 px) and a laptop's (1280 px), every page fits without scrolling sideways, and the browser
reports no error in its console. One browser: each page is checked at both widths as the journey passes it.
"""

from tests import factories
from tests.browser.emails import verification_link
from topics import polls

WIDTHS = (375, 1280)
# The width the page is wider than the window by, if it is: scrolling sideways.
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_a_newcomer_signs_up_verifies_joins_votes_and_replies_on_a_phone_and_a_laptop(
    live_server, page, browser_problems, screenshot, mailoutbox, check_accessibility
):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    prompt = factories.make_open_prompt(topic, title="Which payment model unlocks access?")
    polls.save_poll(prompt=prompt, kind="choice", options=["Outcome-based payment", "Instalments"])

    page.on("console", lambda message: message.type == "error" and browser_problems.append(
        f"Console error: {message.text} ({message.location.get('url') or page.url})"
    ))
    too_wide = []

    def fits(name: str) -> None:
        """The page as it is now, at each width: nothing sticks out sideways."""
        page.wait_for_load_state("load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                too_wide.append(f"{name} at {width} px is {overflow} px too wide ({page.url})")
                screenshot(page, f"too-wide-{name}-{width}")
            check_accessibility(page)  # axe-core, at each width: a narrow layout can hide or crowd controls
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})  # the journey itself is on a phone

    page.set_viewport_size({"width": WIDTHS[0], "height": 800})
    page.goto(live_server.url + group.get_absolute_url())
    fits("group page, visitor")
    page.click("header >> text=Sign up")
    fits("sign-up form")
    page.fill("input[name=email]", "li.na@example.org")
    page.fill("input[name=username]", "lina")
    page.fill("input[name=password1]", "a long and unusual passphrase")
    page.fill("input[name=password2]", "a long and unusual passphrase")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=We have sent a link to li.na@example.org")
    fits("check your email")

    link = verification_link(mailoutbox)
    assert link.startswith(live_server.url + "/"), link  # the email points at the port the site runs on
    page.goto(link)
    fits("confirm your address")
    page.click("main form button[type=submit]")  # confirming is a POST: mail scanners only GET
    page.wait_for_selector("header >> text=Log out")

    page.goto(live_server.url + group.get_absolute_url())
    page.click("text=Join group")
    page.wait_for_selector("text=Welcome to China CAR-T Market")
    fits("group page, new member")

    page.goto(live_server.url + topic.get_absolute_url())
    fits("topic page")
    page.click("text=Which payment model unlocks access?")
    fits("prompt thread")
    page.check("text=Instalments")
    page.click("button:has-text('Vote')")
    page.wait_for_selector(".poll progress")
    fits("prompt thread after voting")

    page.fill(
        "textarea[name=body]",
        "Two options to compare:\n\n- outcome-based payment\n- instalments\n\nSee [the briefing](https://example.org/brief).",
    )
    page.click("button[name=preview]")
    page.wait_for_selector(".preview li:has-text('instalments')")
    page.click("text=Post reply")
    reply = page.locator(".post").last
    reply.locator("li", has_text="outcome-based payment").wait_for()
    fits("prompt thread after replying")

    briefing = reply.locator("a", has_text="the briefing")
    assert briefing.get_attribute("href") == "https://example.org/brief"
    assert briefing.get_attribute("rel") == "nofollow ugc noopener"
    assert "lina" in reply.inner_text()
    screenshot(page, "newcomer-after-first-reply")
    assert too_wide == [], "\n".join(too_wide)
