"""The email preferences page: time zone, digest frequency, day and time, and a choice per kind of notification."""

from datetime import UTC, datetime, time
from http import HTTPStatus

import pytest
from django.urls import reverse

from groupsite.models import DEFAULT_EMAIL_CHOICES, DigestFrequency, EmailChoice, NotificationKind, Weekday

Kind = NotificationKind
URL = reverse("discussions:email_preferences")


def valid_data(**changes) -> dict:
    data = {
        "timezone": "Asia/Shanghai",
        "digest_frequency": DigestFrequency.DAILY,
        "digest_weekday": Weekday.FRIDAY,
        "digest_time": "18:30",
    }
    data |= {f"email_{kind}": choice for kind, choice in DEFAULT_EMAIL_CHOICES.items() if kind != Kind.JOIN_APPROVED}
    return data | changes


@pytest.fixture
def logged_in(client, member):
    client.force_login(member)
    return client


def test_the_page_needs_a_login(client, db):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_the_page_shows_the_current_choices(logged_in, member):
    response = logged_in.get(URL)
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert form["timezone"].value() == ""  # never chosen: each group's own time
    assert form["digest_frequency"].value() == DigestFrequency.WEEKLY
    for kind, choice in DEFAULT_EMAIL_CHOICES.items():
        if kind != Kind.JOIN_APPROVED:
            assert form[f"email_{kind}"].value() == choice
    for label in ("Email me at once", "Only in the digest", "Never", "Replies in threads you watch"):
        assert label in response.text
    assert '<option value="Asia/Shanghai">Shanghai (UTC+08:00)</option>' in response.text


def test_saving_stores_every_choice(logged_in, member):
    data = valid_data(email_reply=EmailChoice.IMMEDIATELY, email_prompt=EmailChoice.NEVER)
    response = logged_in.post(URL, data)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == URL
    member.refresh_from_db()
    assert member.timezone == "Asia/Shanghai"
    assert member.digest_frequency == DigestFrequency.DAILY
    assert member.digest_weekday == Weekday.FRIDAY
    assert member.digest_time == time(18, 30)
    assert member.email_choice(Kind.REPLY) == EmailChoice.IMMEDIATELY
    assert member.email_choice(Kind.PROMPT) == EmailChoice.NEVER
    assert member.email_choice(Kind.MENTION) == EmailChoice.IMMEDIATELY


def test_a_saved_page_says_so(logged_in):
    response = logged_in.post(URL, valid_data(), follow=True)
    assert "Your email preferences were saved." in response.text


@pytest.mark.parametrize(
    "field, value",
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("digest_frequency", "hourly"),
        ("digest_weekday", "7"),
        ("digest_time", "25:00"),
        ("digest_time", "soon"),
        ("email_reply", "sometimes"),
        ("email_mention", ""),
    ],
)
def test_bad_input_is_refused_with_an_error_and_nothing_is_saved(logged_in, member, field, value):
    response = logged_in.post(URL, valid_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors[field]
    assert 'class="field__errors"' in response.text
    member.refresh_from_db()
    assert (member.timezone, member.digest_frequency, member.email_choices) == ("", DigestFrequency.WEEKLY, {})


def test_a_missing_choice_is_an_error_not_a_silent_default(logged_in, member):
    data = valid_data()
    del data["email_quote"]
    assert logged_in.post(URL, data).status_code == HTTPStatus.BAD_REQUEST


def test_the_account_tabs_and_the_profile_link_to_the_page(logged_in, member):
    assert f'href="{URL}"' in logged_in.get(reverse("edit_profile")).text
    assert f'href="{URL}"' in logged_in.get(reverse("profile", args=[member.username])).text
    assert 'aria-current="page">Email preferences' in logged_in.get(URL).text


def test_another_member_profile_does_not_link_to_my_preferences(logged_in, moderator):
    assert f'href="{URL}"' not in logged_in.get(reverse("profile", args=[moderator.username])).text


@pytest.fixture
def post_at_noon_utc(topic, moderator):
    from discussions.services import start_thread

    noon = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    return start_thread(topic=topic, author=moderator, title="Noon", body="Posted at noon UTC.", now=noon)


def test_pages_show_times_on_the_logged_in_member_clock(logged_in, member, moderator, post_at_noon_utc):
    member.timezone = "Asia/Shanghai"
    member.save(update_fields=["timezone"])
    response = logged_in.get(reverse("profile", args=[moderator.username]))
    assert "1 Jan 2030, 20:00" in response.text


def test_visitors_see_times_on_the_site_clock(client, moderator, post_at_noon_utc):
    response = client.get(reverse("profile", args=[moderator.username]))
    assert "1 Jan 2030, 12:00" in response.text


def test_join_request_answers_have_no_choice_because_they_are_always_emailed(logged_in, member):
    response = logged_in.get(URL)
    assert "email_join_approved" not in response.context["form"].fields
    assert "The answer to a request to join a group is always emailed." in response.text


def test_saving_keeps_choices_the_page_does_not_show(logged_in, member):
    member.email_choices = {Kind.JOIN_APPROVED: EmailChoice.NEVER}
    member.save(update_fields=["email_choices"])
    logged_in.post(URL, valid_data())
    member.refresh_from_db()
    assert member.email_choices[Kind.JOIN_APPROVED] == EmailChoice.NEVER
