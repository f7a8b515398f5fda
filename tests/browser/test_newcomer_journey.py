import re

from tests import factories


def verification_link(mailoutbox) -> str:
    [message] = [m for m in mailoutbox if "confirm" in m.subject.lower() or "confirm" in m.body.lower()]
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


def test_a_newcomer_signs_up_verifies_joins_and_posts_markdown(live_server, page, screenshot, mailoutbox):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    thread = factories.make_thread(topic=topic, title="Which payment model unlocks access?")

    page.goto(live_server.url + "/accounts/signup/")
    page.fill("input[name=email]", "li.na@example.org")
    page.fill("input[name=username]", "lina")
    page.fill("input[name=password1]", "a long and unusual passphrase")
    page.fill("input[name=password2]", "a long and unusual passphrase")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=Verify Your Email Address")

    link = verification_link(mailoutbox).replace("http://testserver", live_server.url)
    page.goto(link.replace("http://localhost:8000", live_server.url))
    page.click("form button[type=submit]")  # confirming is a POST: mail scanners only GET

    page.goto(live_server.url + group.get_absolute_url())
    page.click("text=Join group")
    page.wait_for_selector("text=Welcome to China CAR-T Market")

    page.goto(live_server.url + thread.get_absolute_url())
    page.fill(
        "textarea[name=body]",
        "Two options to compare:\n\n- outcome-based payment\n- instalments\n\nSee [the briefing](https://example.org/brief).",
    )
    page.click("button[name=preview]")
    page.wait_for_selector(".preview li:has-text('instalments')")
    page.click("text=Post reply")

    reply = page.locator(".post").last
    reply.locator("li", has_text="outcome-based payment").wait_for()
    link = reply.locator("a", has_text="the briefing")
    assert link.get_attribute("href") == "https://example.org/brief"
    assert link.get_attribute("rel") == "nofollow ugc noopener"
    assert "lina" in reply.inner_text()
    screenshot(page, "thread-after-reply")
