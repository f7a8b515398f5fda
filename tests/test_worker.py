"""Email really leaves through a separate Celery worker process, on the broker the settings name.

On a laptop that is kombu's filesystem broker; in the PostgreSQL + Redis pass it is Redis.
"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

WORKER_TIMEOUT_SECONDS = 60

pytestmark = pytest.mark.worker


@pytest.fixture
def worker(start_worker, tmp_path):
    """A real worker delivering mail into tmp_path/mail."""
    outbox = tmp_path / "mail"
    outbox.mkdir()
    start_worker(
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(outbox),
    )
    return outbox


def wait_for_files(folder: Path) -> list[Path]:
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        files = [path for path in folder.iterdir() if path.stat().st_size]
        if files:
            time.sleep(0.2)  # let the backend finish writing
            return files
        time.sleep(0.2)
    raise AssertionError(f"no email was delivered within {WORKER_TIMEOUT_SECONDS} s")


@pytest.mark.django_db(transaction=True)  # the worker reads the email's outbox row, so it must be committed
def test_an_email_sent_in_a_request_is_delivered_by_a_separate_worker_process(worker, settings):
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
    message = EmailMultiAlternatives(
        subject="Welcome to the China CAR-T market group",
        body="Plain text part",
        to=["newcomer@example.org"],
        headers={"List-Id": "<china-car-t.roundtable.example.org>"},
    )
    message.attach_alternative("<p>HTML part</p>", "text/html")

    assert message.send() == 1

    [delivered] = wait_for_files(worker)
    text = delivered.read_text()
    assert "Subject: Welcome to the China CAR-T market group" in text
    assert "To: newcomer@example.org" in text
    assert "List-Id: <china-car-t.roundtable.example.org>" in text
    assert "<p>HTML part</p>" in text


def test_the_worker_uses_the_broker_the_settings_name():
    scheme = settings.CELERY_BROKER_URL.split("://")[0]
    if os.environ.get("ROUNDTABLE_REQUIRE_SERVICES", "").lower() == "true":
        assert scheme == "redis"
    else:
        assert scheme in {"redis", "filesystem"}
