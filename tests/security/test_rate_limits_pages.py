"""Every rate limit, reached through the real page, answers 429 in the site's layout and stores nothing past it.

allauth's limits are tested at their configured values (settings.ACCOUNT_RATE_LIMITS), the site's own with low
ones so that each test stays short.
"""

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse

from discussions.models import Post, Thread
from groupsite.models import User
from tests import factories
from topics.models import Invitation, JoinRequest

SITE_NAV = '<nav class="site-nav" aria-label="Account">'


def allowed(action: str, per: str) -> int:
    """How many times allauth's configured limit for `action` allows it per ip, key or user."""
    for rate in settings.ACCOUNT_RATE_LIMITS[action].split(","):
        amount, _, rate_per = rate.split("/")
        if rate_per == per:
            return int(amount)
    raise LookupError(f"{action} has no limit per {per}")


def assert_429_page(response) -> str:
    """The response is the site's 429 page (or a site page with status 429); returns its text."""
    content = response.content.decode()
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert SITE_NAV in content
    return content


# The 429 page itself


def test_the_429_page_says_what_happened_and_when_to_try_again(client, group, moderator, settings):
    settings.INVITATIONS_PER_HOUR = 0
    client.force_login(moderator)

    response = client.post(reverse("topics:invitations", args=[group.slug]), {"kind": "link"})

    content = assert_429_page(response)
    assert "<title>Too many requests · Roundtable</title>" in content
    assert "You have made many invitations in the last hour" in content
    assert "Try again in" in content
    assert 0 < int(response["Retry-After"]) <= 3600


def test_the_429_page_carries_the_content_security_policy(client, group, moderator, settings):
    settings.INVITATIONS_PER_HOUR = 0
    client.force_login(moderator)

    response = client.post(reverse("topics:invitations", args=[group.slug]), {"kind": "link"})

    assert "script-src 'self'" in response["Content-Security-Policy"]


# Invitations


def invite(client, group, email):
    return client.post(reverse("topics:invitations", args=[group.slug]), {"email": email})


def test_email_invitations_past_the_hourly_limit_get_the_429_page_and_send_nothing(
    client, group, moderator, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.INVITATIONS_PER_HOUR = 2
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(2):
            assert invite(client, group, f"guest{n}@example.org").status_code == HTTPStatus.FOUND

        response = invite(client, group, "one.too.many@example.org")

    assert_429_page(response)
    assert list(Invitation.objects.values_list("email", flat=True).order_by("pk")) == [
        "guest0@example.org",
        "guest1@example.org",
    ]
    assert [message.to for message in mailoutbox] == [["guest0@example.org"], ["guest1@example.org"]]


def test_invitation_links_count_towards_the_same_limit(client, group, moderator, settings):
    settings.INVITATIONS_PER_HOUR = 2
    client.force_login(moderator)
    invite(client, group, "guest@example.org")
    client.post(reverse("topics:invitations", args=[group.slug]), {"kind": "link"})

    response = client.post(reverse("topics:invitations", args=[group.slug]), {"kind": "link"})

    assert_429_page(response)
    assert Invitation.objects.count() == 2


def test_the_invitation_limit_is_per_moderator(client, group, moderator, settings):
    settings.INVITATIONS_PER_HOUR = 1
    client.force_login(moderator)
    invite(client, group, "guest@example.org")
    assert invite(client, group, "refused@example.org").status_code == HTTPStatus.TOO_MANY_REQUESTS
    client.force_login(factories.make_moderator(group=group))

    response = invite(client, group, "another.guest@example.org")

    assert response.status_code == HTTPStatus.FOUND


# Join requests

ANSWERS = {"answer_0": "Partner at a life-science fund.", "answer_1": "To hear from clinicians."}


def ask_and_withdraw(client, group) -> None:
    client.post(reverse("topics:join", args=[group.slug]), ANSWERS)
    client.post(reverse("topics:withdraw_join_request", args=[group.slug]))


def test_join_requests_past_the_hourly_limit_get_the_429_page_and_store_nothing(
    client, private_group, outsider, settings
):
    settings.JOIN_REQUESTS_PER_HOUR = 2
    client.force_login(outsider)
    ask_and_withdraw(client, private_group)
    ask_and_withdraw(client, private_group)

    response = client.post(reverse("topics:join", args=[private_group.slug]), ANSWERS)

    assert_429_page(response)
    assert "You have asked to join groups many times in the last hour" in response.content.decode()
    assert list(JoinRequest.objects.values_list("status", flat=True)) == [JoinRequest.Status.WITHDRAWN] * 2


def test_join_requests_are_counted_across_groups(client, outsider, settings):
    settings.JOIN_REQUESTS_PER_HOUR = 1
    first, second = (factories.make_group(visibility="private", membership_questions="Why?") for _ in range(2))
    client.force_login(outsider)
    client.post(reverse("topics:join", args=[first.slug]), {"answer_0": "To learn."})

    response = client.post(reverse("topics:join", args=[second.slug]), {"answer_0": "To learn."})

    assert_429_page(response)
    assert not JoinRequest.objects.filter(group=second).exists()


# Posting: replies and new threads past POSTS_PER_MINUTE and NEW_THREADS_PER_HOUR already answered 429 on the
# thread page, with the text kept in the form (tests/discussions/test_rate_limits.py).


@pytest.fixture
def thread(topic, member):
    return factories.make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")


def reply(client, thread, body):
    return client.post(reverse("discussions:reply", args=[thread.pk]), {"body": body})


# @mentions


@pytest.fixture
def colleagues(group):
    return [factories.make_member(group=group, username=f"colleague{n}") for n in range(4)]


def mentions(people) -> str:
    return "Over to " + " ".join(f"@{person.username}" for person in people) + "."


def test_a_reply_mentioning_too_many_people_gets_429_and_keeps_its_text(client, member, thread, colleagues, settings):
    settings.MENTIONS_PER_POST = 3
    client.force_login(member)

    response = reply(client, thread, mentions(colleagues))

    content = assert_429_page(response)
    assert "A post can mention at most 3 people" in content
    assert response.context["form"]["body"].value() == mentions(colleagues)
    assert not Post.objects.filter(body=mentions(colleagues)).exists()


def test_mentions_past_the_hourly_limit_get_429_and_store_nothing(client, member, thread, colleagues, settings):
    settings.MENTIONS_PER_HOUR = 3
    client.force_login(member)
    reply(client, thread, mentions(colleagues[:2]))

    response = reply(client, thread, mentions(colleagues[2:]))

    assert "You have mentioned many people in the last hour" in assert_429_page(response)
    assert not Post.objects.filter(body=mentions(colleagues[2:])).exists()


def test_a_refused_post_uses_none_of_the_hours_mentions(client, member, thread, colleagues, settings):
    settings.MENTIONS_PER_HOUR = 3
    client.force_login(member)
    assert reply(client, thread, mentions(colleagues)).status_code == HTTPStatus.TOO_MANY_REQUESTS  # four people

    response = reply(client, thread, mentions(colleagues[:3]))

    assert response.status_code == HTTPStatus.FOUND


def test_a_new_thread_mentioning_too_many_people_gets_429_and_stores_nothing(
    client, member, topic, colleagues, settings
):
    settings.MENTIONS_PER_POST = 3
    client.force_login(member)
    url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])

    response = client.post(url, {"title": "Panel", "body": mentions(colleagues)})

    assert "A post can mention at most 3 people" in assert_429_page(response)
    assert not Thread.objects.filter(title="Panel").exists()


def test_only_people_the_post_would_reach_count_as_mentions(client, member, thread, colleagues, settings):
    settings.MENTIONS_PER_POST = 1
    client.force_login(member)
    two_people = f"@{colleagues[0].username} @{colleagues[1].username}"
    assert reply(client, thread, two_people).status_code == HTTPStatus.TOO_MANY_REQUESTS

    first, second = colleagues[0].username, colleagues[1].username
    response = reply(client, thread, f"@{first} @nobody @{member.username} `@{second}`\n\n> @{second} said so")

    assert response.status_code == HTTPStatus.FOUND


def test_moderators_may_mention_the_whole_panel(client, member, moderator, thread, colleagues, settings):
    settings.MENTIONS_PER_POST = 1
    settings.MENTIONS_PER_HOUR = 1
    client.force_login(member)
    assert reply(client, thread, mentions(colleagues)).status_code == HTTPStatus.TOO_MANY_REQUESTS
    client.force_login(moderator)

    response = reply(client, thread, mentions(colleagues))

    assert response.status_code == HTTPStatus.FOUND


# allauth's limits, at their configured values


def sign_up(client, name: str):
    password = "a long and unusual passphrase"
    data = {"email": f"{name}@example.org", "username": name, "password1": password, "password2": password}
    return client.post(reverse("account_signup"), data)


def test_sign_ups_past_the_limit_per_address_get_the_429_page_and_create_no_account(client, db):
    limit = allowed("signup", "ip")
    for n in range(limit):
        sign_up(client, f"new{n}")
    assert User.objects.count() == limit

    response = sign_up(client, "late")

    assert_429_page(response)
    assert User.objects.count() == limit


def test_log_ins_past_the_limit_per_address_get_the_429_page(client, db):
    for n in range(allowed("login", "ip")):
        client.post(reverse("account_login"), {"login": f"nobody{n}@example.org", "password": "wrong"})
    user = factories.make_user()

    response = client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})

    assert_429_page(response)
    assert "_auth_user_id" not in client.session


def test_failed_log_ins_past_the_limit_lock_the_account_out_even_with_the_right_password(client, db):
    user = factories.make_user()
    for _ in range(allowed("login_failed", "key")):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": factories.PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()  # allauth says so as a form error
    assert SITE_NAV in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_resets_past_the_limit_per_address_get_the_429_page_and_send_nothing(client, db, mailoutbox):
    user = factories.make_user()
    limit = allowed("reset_password", "key")
    for _ in range(limit):
        client.post(reverse("account_reset_password"), {"email": user.email})

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert_429_page(response)
    assert len(mailoutbox) == limit


def test_verification_emails_are_resent_at_most_once_in_the_cooldown(client, db, mailoutbox):
    user = factories.make_user()
    EmailAddress.objects.create(user=user, email="second@example.org", verified=False)
    client.force_login(user)
    limit = allowed("confirm_email", "key")

    for _ in range(limit + 2):
        client.post(reverse("account_email"), {"action_send": "", "email": "second@example.org"})

    assert len([message for message in mailoutbox if message.to == ["second@example.org"]]) == limit


def test_password_changes_past_the_limit_get_the_429_page_and_change_nothing(client, db):
    user = factories.make_user()
    client.force_login(user)
    for _ in range(allowed("change_password", "user")):
        client.post(reverse("account_change_password"), {"oldpassword": "wrong", "password1": "x", "password2": "y"})

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": factories.PASSWORD, "password1": "a new long passphrase", "password2": "a new long passphrase"},
    )

    assert_429_page(response)
    user.refresh_from_db()
    assert user.check_password(factories.PASSWORD)


def test_email_changes_past_the_limit_get_the_429_page_and_add_no_address(client, db):
    user = factories.make_user()
    client.force_login(user)
    limit = allowed("manage_email", "user")
    for n in range(limit):
        client.post(reverse("account_email"), {"action_send": "", "email": user.email})

    response = client.post(reverse("account_email"), {"action_add": "", "email": "late@example.org"})

    assert_429_page(response)
    assert not EmailAddress.objects.filter(email="late@example.org").exists()
