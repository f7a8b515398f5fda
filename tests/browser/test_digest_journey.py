import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from discussions import digest
from discussions import services as discussion_services
from groupsite.models import User
from tests import factories
from tests.browser.test_facilitation_journey import log_in


def test_a_member_tunes_the_digest_previews_it_and_unsubscribes_from_the_email(
    live_server, page, screenshot, mailoutbox
):
    group = factories.make_group(name="China CAR-T Market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost, access and reimbursement", slug="cost")
    member = factories.make_member(group=group, display_name="Grace Chan")
    User.objects.filter(pk=member.pk).update(date_joined=timezone.now() - timedelta(days=30))
    colleague = factories.make_member(group=group, display_name="Dr Bo Chen")
    thread = discussion_services.start_thread(
        topic=topic, author=colleague, title="Instalments or outcome-based payment?", body="Which first?"
    )
    for person in (factories.make_member(group=group), factories.make_member(group=group)):
        discussion_services.publish_post(thread=thread, author=person, body="Instalments, for now.")

    log_in(page, live_server, member)
    page.goto(live_server.url + "/accounts/email-preferences/")
    page.fill(".zone-filter", "london")  # zone-filter.js's filter box narrows the long list of zones
    hidden = "select[name=timezone] option[value='{}']"
    assert page.eval_on_selector(hidden.format("Asia/Tokyo"), "option => option.hidden")
    assert not page.eval_on_selector(hidden.format("Europe/London"), "option => option.hidden")
    page.select_option("select[name=timezone]", "Europe/London")
    screenshot(page, "email-preferences")
    page.check("input[name=digest_frequency][value=daily]")
    page.fill("input[name=digest_time]", "08:00")
    page.click("text=Save preferences")
    member.refresh_from_db()
    assert (member.digest_frequency, member.timezone, member.digest_time) == ("daily", "Europe/London", time(8, 0))

    page.goto(live_server.url + "/accounts/digest/")
    page.wait_for_selector("text=Instalments or outcome-based payment?")
    screenshot(page, "digest-preview")

    send_at = digest.next_send_time(
        frequency="daily", weekday=0, at=time(8, 0), zone=ZoneInfo("Europe/London"), now=timezone.now()
    )
    assert digest.send_digest(member.pk, now=send_at)
    [message] = [m for m in mailoutbox if m.to == [member.email]]
    [(html, _)] = message.alternatives
    page.goto("about:blank")  # out of the site's pages: its Content-Security-Policy forbids an email's inline styles
    page.set_content(html)  # how a mail client without our stylesheet shows it
    screenshot(page, "digest-email")
    unsubscribe = re.search(r"<(https?://[^>]+/unsubscribe/[^>]+/)>", message.extra_headers["List-Unsubscribe"]).group(1)

    page.context.clear_cookies()  # the link must work without logging in
    page.goto(live_server.url + "/" + unsubscribe.split("/", 3)[3])
    member.refresh_from_db()
    assert member.digest_frequency == "daily"  # opening the link changes nothing: mail scanners prefetch links
    page.click("button:has-text('Unsubscribe')")
    page.wait_for_load_state()
    member.refresh_from_db()
    assert member.digest_frequency == "never"
    screenshot(page, "unsubscribed")
