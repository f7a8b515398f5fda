"""Logging in and signing up cost one password hash and no waiting on email (issue 9, item 14).

A password hash is the one slow thing such a request should do (Django's PBKDF2 takes a few tenths of a second, on
purpose); the emails allauth sends (verification, password reset) are queued in the outbox and delivered by Celery
after the response.
"""

import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.urls import reverse

from groupsite.models import EMAIL_DELIVERY_TASK, OutboxMessage
from tests import factories

NEW_PASSWORD = "a longer secret for the new account"
# Time a request may take besides its password hashes: generous, so that a busy test machine does not fail it.
OVERHEAD_SECONDS = 0.5


class CountingHasher(MD5PasswordHasher):
    """A real hasher that counts its hashes and the time they take."""

    algorithm = "counted_md5"
    calls = 0
    seconds = 0.0

    def encode(self, password, salt):
        started = time.perf_counter()
        try:
            return super().encode(password, salt)
        finally:
            CountingHasher.calls += 1
            CountingHasher.seconds += time.perf_counter() - started


@pytest.fixture
def hashes(settings):
    settings.PASSWORD_HASHERS = ["tests.test_account_speed.CountingHasher"]
    CountingHasher.calls, CountingHasher.seconds = 0, 0.0
    return CountingHasher


@pytest.fixture
def mail_after_commit(mailoutbox, settings):
    """Email goes through the site's own backend (the outbox, then Celery), as outside the tests."""
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mailoutbox


def timed_post(client, url, data, hashes):
    hashes.calls, hashes.seconds = 0, 0.0
    started = time.perf_counter()
    response = client.post(url, data)
    return response, time.perf_counter() - started - hashes.seconds


@pytest.mark.parametrize("login", ["ada@example.org", "ada"])
def test_logging_in_hashes_the_password_once(client, db, hashes, login):
    factories.make_user(username="ada", email="ada@example.org")
    response, overhead = timed_post(client, reverse("account_login"), {"login": login, "password": factories.PASSWORD}, hashes)
    assert response.status_code == 302
    assert hashes.calls == 1
    assert overhead < OVERHEAD_SECONDS


def test_a_wrong_password_costs_one_hash_too(client, db, hashes):
    factories.make_user(username="ada", email="ada@example.org")
    response, _ = timed_post(client, reverse("account_login"), {"login": "ada", "password": "not it"}, hashes)
    assert response.status_code == 200
    assert hashes.calls == 1


def test_signing_up_hashes_once_and_leaves_the_verification_email_to_the_worker(
    client, db, hashes, mail_after_commit, django_capture_on_commit_callbacks
):
    data = {"email": "ada@example.org", "username": "ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response, overhead = timed_post(client, reverse("account_signup"), data, hashes)
    assert response.status_code == 302
    assert hashes.calls == 1
    assert overhead < OVERHEAD_SECONDS
    assert mail.outbox == []  # nothing was sent while the person waited
    assert OutboxMessage.objects.filter(task=EMAIL_DELIVERY_TASK, sent_at=None).count() == 1
    for hand_off in after_commit:
        hand_off()  # the commit hands the row to Celery, whose worker (eager here) delivers it
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert "/accounts/confirm-email/" in message.body


def test_the_password_reset_email_is_sent_by_the_worker_not_the_request(
    client, db, mail_after_commit, django_capture_on_commit_callbacks
):
    factories.make_user(email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = client.post(reverse("account_reset_password"), {"email": "ada@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
    for hand_off in after_commit:
        hand_off()
    [message] = mail.outbox
    assert "/accounts/password/reset/key/" in message.body
