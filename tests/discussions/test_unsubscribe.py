"""One-click unsubscribe (RFC 8058): a signed link per member that needs no login, and that a GET never uses."""

import time
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from discussions.emails import DIGEST_SCOPE, UNSUBSCRIBE_SALT, build_email, unsubscribe_token, unsubscribe_url
from groupsite.models import DigestFrequency, EmailChoice, NotificationKind
from tests import factories

Kind = NotificationKind


@pytest.fixture
def browser():
    """A mail program's POST: no session cookie, and CSRF checks on as in production."""
    return Client(enforce_csrf_checks=True)


def url_for(user, scope=DIGEST_SCOPE) -> str:
    return reverse("discussions:unsubscribe", args=[unsubscribe_token(user, scope)])


def test_a_get_shows_a_confirmation_page_and_changes_nothing(browser, member):
    response = browser.get(url_for(member))
    assert response.status_code == HTTPStatus.OK
    assert "Stop your digest emails?" in response.text
    assert '<form method="post"' in response.text
    assert reverse("discussions:email_preferences") in response.text
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.WEEKLY


def test_a_head_request_changes_nothing(browser, member):
    assert browser.head(url_for(member)).status_code == HTTPStatus.OK
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.WEEKLY


def test_a_bare_post_without_cookies_or_csrf_token_stops_the_digest(browser, member):
    response = browser.post(url_for(member))
    assert response.status_code == HTTPStatus.OK
    assert "You are unsubscribed" in response.text
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.NEVER


def test_the_one_click_body_of_rfc_8058_unsubscribes(browser, member):
    body, form = "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
    response = browser.post(url_for(member), body, content_type=form)
    assert response.status_code == HTTPStatus.OK
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.NEVER


def test_a_kind_scope_stops_only_that_kind_of_email(browser, member):
    browser.post(url_for(member, Kind.MENTION))
    member.refresh_from_db()
    assert member.email_choice(Kind.MENTION) == EmailChoice.NEVER
    assert member.email_choice(Kind.QUOTE) == EmailChoice.IMMEDIATELY
    assert member.digest_frequency == DigestFrequency.WEEKLY


def test_unsubscribing_keeps_the_other_choices_the_member_made(browser, member):
    member.email_choices = {Kind.REPLY: EmailChoice.IMMEDIATELY}
    member.save(update_fields=["email_choices"])
    browser.post(url_for(member, Kind.MENTION))
    member.refresh_from_db()
    assert member.email_choices == {Kind.REPLY: EmailChoice.IMMEDIATELY, Kind.MENTION: EmailChoice.NEVER}


def test_a_second_post_is_harmless(browser, member):
    browser.post(url_for(member))
    response = browser.post(url_for(member))
    assert response.status_code == HTTPStatus.OK
    assert "You had already stopped" in response.text


class TenYearsAgoSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 10 * 365 * 24 * 60 * 60)


def test_a_link_signed_ten_years_ago_still_works(browser, member):
    token = TenYearsAgoSigner(salt=UNSUBSCRIBE_SALT).sign_object({"u": member.pk, "s": "digest"}, compress=True)
    browser.post(reverse("discussions:unsubscribe", args=[token]))
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.NEVER


def test_the_link_survives_a_password_change(browser, member):
    url = url_for(member)
    member.set_password("a brand new password for this test")
    member.save()
    browser.post(url)
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.NEVER


def test_the_link_in_a_sent_email_unsubscribes(browser, member, group):
    message = build_email(template="notification", user=member, context=_context(group), scope=Kind.REPLY, list_id="g")
    header = message.extra_headers["List-Unsubscribe"]
    assert header == f"<{unsubscribe_url(member, Kind.REPLY)}>"
    browser.post(header.strip("<>").removeprefix(settings.SITE_URL))
    member.refresh_from_db()
    assert member.email_choice(Kind.REPLY) == EmailChoice.NEVER


def _context(group) -> dict:
    return {
        "group": group,
        "items": [],
        "headline": "Hello",
        "heading": "Hello",
        "reasons": "a test",
        "kind_phrases": "replies",
        "unsubscribe_what": "emails about replies",
    }


def tampered(token: str) -> str:
    payload, rest = token.split(":", 1)
    return payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + ":" + rest


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda user: tampered(unsubscribe_token(user, DIGEST_SCOPE)), id="tampered payload"),
        pytest.param(lambda user: unsubscribe_token(user, DIGEST_SCOPE)[:-3] + "xyz", id="tampered signature"),
        pytest.param(lambda user: signing.dumps({"u": user.pk, "s": "digest"}, salt="another.salt"), id="other salt"),
        pytest.param(
            lambda user: signing.dumps({"u": user.pk, "s": "digest"}, salt=UNSUBSCRIBE_SALT, key="not-our-secret"),
            id="forged with another key",
        ),
        pytest.param(
            lambda user: signing.dumps({"u": user.pk, "s": "everything"}, salt=UNSUBSCRIBE_SALT), id="unknown scope"
        ),
        pytest.param(lambda user: signing.dumps([user.pk, "digest"], salt=UNSUBSCRIBE_SALT), id="malformed"),
        pytest.param(lambda user: "not-a-token", id="garbage"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_forged_token_gets_a_400_and_changes_nothing(browser, member, make_token, method):
    response = getattr(browser, method)(reverse("discussions:unsubscribe", args=[make_token(member)]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This unsubscribe link is not valid" in response.text
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.WEEKLY
    assert member.email_choices == {}


def test_a_token_for_a_deleted_member_gets_a_400(browser, db):
    gone = factories.make_user()
    url = url_for(gone)
    gone.delete()
    assert browser.post(url).status_code == HTTPStatus.BAD_REQUEST
    assert browser.get(url).status_code == HTTPStatus.BAD_REQUEST


def test_a_token_names_one_member_only(browser, member, group):
    other = factories.make_member(group=group)
    browser.post(url_for(other))
    member.refresh_from_db()
    assert member.digest_frequency == DigestFrequency.WEEKLY


def test_the_pages_are_not_cached(browser, member):
    assert "no-cache" in browser.get(url_for(member))["Cache-Control"]


def test_other_methods_are_refused(browser, member):
    assert browser.put(url_for(member)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_production_refuses_a_site_url_that_is_not_https():
    from tests.test_settings import PRODUCTION, manage

    result = manage("check", **(PRODUCTION | {"SITE_URL": "http://roundtable.example.org"}))
    assert result.returncode != 0
    assert "SITE_URL must be an https:// address when DEBUG is false" in result.stderr


def test_production_links_default_to_https_on_the_first_allowed_host():
    from tests.test_settings import PRODUCTION, manage

    result = manage("shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1] == "https://roundtable.example.org", result.stderr
