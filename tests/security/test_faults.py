"""Faults, for real: Redis stopped, a worker killed mid-run, a mail server that refuses. Nothing lost, nothing doubled.

Each test runs its own redis-server (tests/security/fault_tools.py) on a port clear of the shared one, points the
Celery publishing of this process and of the workers it starts at it, and stops and starts it at will.
"""

import os
import time
import uuid
from collections import Counter
from datetime import time as clock_time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from discussions import services as discussion_services
from discussions.models import DigestDelivery, Notification, Thread
from groupsite import outbox
from groupsite.celery import app as celery_app
from groupsite.models import EMAIL_DELIVERY_TASK, DigestFrequency, OutboxMessage
from tests import factories
from tests.security.fault_tools import (
    REDIS_SERVER,
    FlakySMTPServer,
    RedisServer,
    Worker,
    delivered,
    recipients,
    wait_until,
)

# Each starts a redis-server of its own, on a port from its xdist worker's own range (fault_tools.REDIS_PORTS).
# They prove what production runs, so the test command runs them once, in the PostgreSQL pass when it runs.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.one_pass,
]

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@pytest.fixture
def redis(tmp_path):
    if REDIS_SERVER is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must have redis-server: the fault proofs start and stop their own")
        pytest.skip("redis-server is not installed: the fault proofs need one to start and stop (CI has it)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue(redis):
    """This process publishes for real (not eagerly) to `redis`, on a queue of this test's own."""
    name = f"faults-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.get("broker_write_url"), conf.task_default_queue
    # The write URL, which publishing uses: a CELERY_BROKER_URL in the environment outranks conf.broker_url.
    conf.task_always_eager, conf.broker_write_url, conf.task_default_queue = False, redis.url, name
    celery_app._after_fork()  # forget pooled connections to the usual broker
    yield name
    conf.task_always_eager, conf.broker_write_url, conf.task_default_queue = previous
    celery_app._after_fork()


@pytest.fixture
def workers(tmp_path, redis):
    started = []

    def start(queue: str, **env) -> Worker:
        worker = Worker(queue, tmp_path / f"worker-{len(started)}.log", CELERY_BROKER_URL=redis.url, **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
        print(worker.log_text()[-3000:])


@pytest.fixture
def mail_folder(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def mail_through_the_outbox(settings):
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"


def all_sent_and_delivered() -> bool:
    return not OutboxMessage.objects.filter(sent_at__isnull=True).exists() and not OutboxMessage.objects.filter(
        task=EMAIL_DELIVERY_TASK, delivered_at__isnull=True
    ).exists()


# (a) Redis stopped


@pytest.fixture
def cache_on(redis, settings):
    """The site's cache on the test's own Redis, as in production, where one Redis holds the cache and the broker."""
    settings.CACHES = {
        "default": {
            "BACKEND": "groupsite.cache.FailOpenRedisCache",
            "LOCATION": redis.url.replace("/0", "/1"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }


def test_with_redis_stopped_members_sign_up_start_threads_reply_and_reset_passwords_without_an_error(
    client, redis, queue, cache_on, mail_through_the_outbox, topic, moderator, member
):
    redis.stop()

    signed_up = client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.org", "username": "newcomer", "password1": "x7!Kq2p-Lm", "password2": "x7!Kq2p-Lm"},
    )
    client.force_login(moderator)
    started = client.post(
        reverse("discussions:new_thread", args=[topic.group.slug, topic.slug]), {"title": "Pricing", "body": "Opening."}
    )
    thread = Thread.objects.get(title="Pricing")
    client.force_login(member)
    replied = client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Agreed."})
    read = client.get(thread.get_absolute_url())
    client.logout()
    reset = client.post(reverse("account_reset_password"), {"email": member.email})

    assert [response.status_code for response in (signed_up, started, replied, reset)] == [HTTPStatus.FOUND] * 4
    assert read.status_code == HTTPStatus.OK
    assert thread.posts.count() == 2


def test_what_could_not_be_queued_while_redis_was_down_is_delivered_exactly_once_when_it_is_back(
    client, redis, queue, workers, mail_folder, mail_through_the_outbox, topic, moderator, member
):
    redis.stop()
    client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.org", "username": "newcomer", "password1": "x7!Kq2p-Lm", "password2": "x7!Kq2p-Lm"},
    )
    thread = discussion_services.start_thread(topic=topic, author=moderator, title="Pricing", body="Opening.")
    client.force_login(member)
    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Agreed."})
    client.logout()
    client.post(reverse("account_reset_password"), {"email": member.email})
    waiting = Counter(OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task", flat=True))
    assert waiting == {
        EMAIL_DELIVERY_TASK: 2,  # the address confirmation and the password reset
        "discussions.tasks.notify_new_thread": 1,
        "discussions.tasks.notify_new_post": 1,
    }
    assert not Notification.objects.filter(user=moderator).exists()

    redis.start()
    workers(queue, EMAIL_DELIVERY_BACKEND=FILE_BACKEND, EMAIL_FILE_PATH=str(mail_folder), OUTBOX_GRACE_SECONDS="0")
    wait_until(all_sent_and_delivered, what="the outbox draining once the worker started")
    # Everything handed off once more (a drain racing a request, a broker redelivering) changes nothing.
    outbox.hand_off(list(OutboxMessage.objects.order_by("pk")))
    wait_until(lambda: OutboxMessage.objects.filter(handoffs__lt=2).count() == 0, what="the second hand-off")
    time.sleep(2)  # what a duplicate would have sent arrives by now

    assert recipients(mail_folder) == Counter({"newcomer@example.org": 1, member.email: 1})
    assert Notification.objects.filter(user=moderator, kind="reply").count() == 1


# (b) A worker killed mid-run


def test_a_worker_killed_in_the_middle_of_a_digest_run_and_started_again_sends_every_member_one_digest(
    redis, queue, workers, mail_folder
):
    now = timezone.now()
    group = factories.make_group(name="Digest faults")
    topic = factories.make_topic(group=group)
    readers = [
        factories.make_member(
            group=group,
            digest_frequency=DigestFrequency.DAILY,
            digest_time=clock_time(0, 0),
            timezone="UTC",
            date_joined=now - timedelta(days=30),
        )
        for _ in range(6)
    ]
    discussion_services.start_thread(
        topic=topic, author=readers[0], title="Capacity in Shanghai", body="Opening.", now=now - timedelta(hours=1)
    )
    env = {
        "EMAIL_DELIVERY_BACKEND": "tests.security.fault_tools.SlowFileBackend",  # half a second per email
        "EMAIL_FILE_PATH": str(mail_folder),
        "DIGEST_BATCH_SIZE": "2",
        "OUTBOX_GRACE_SECONDS": "0",
        "OUTBOX_RESEND_AFTER_SECONDS": "2",  # an email whose worker died is handed off again after 2 s, not 2 h
    }
    first = workers(queue, **env)
    celery_app.send_task("discussions.tasks.enqueue_due_digests", queue=queue)  # what beat sends
    wait_until(lambda: len(delivered(mail_folder)) >= 2, what="the first digests")
    first.kill()  # SIGKILL: no warm shutdown, its message in hand is never acknowledged
    assert len(delivered(mail_folder)) < len(readers)

    time.sleep(2.5)
    workers(queue, **env)  # drains the outbox as it starts
    celery_app.send_task("discussions.tasks.enqueue_due_digests", queue=queue)  # beat's next tick
    everyone = {reader.email for reader in readers}
    wait_until(lambda: set(recipients(mail_folder)) == everyone, timeout=25, what="every member's digest")
    time.sleep(1.5)  # what a duplicate would have sent arrives by now

    assert recipients(mail_folder) == Counter({address: 1 for address in everyone})
    assert all(message["Subject"].startswith("Your daily digest") for message in delivered(mail_folder))
    assert DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count() == len(readers)


# (c) A mail server that refuses, then accepts


def test_a_mail_server_that_refuses_then_accepts_gets_every_email_once_after_retries_with_backoff(
    redis, queue, workers, mail_through_the_outbox
):
    server = FlakySMTPServer(refusals=2)
    worker = workers(
        queue,
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(server.port),
        EMAIL_USE_TLS="false",
        EMAIL_RETRY_BACKOFF_SECONDS="1",  # 30 s in production
    )
    subjects = [f"Prompt closing soon {n}" for n in range(3)]
    try:
        for subject in subjects:
            EmailMessage(subject, "Answer before Friday.", to=["mei@example.org"]).send()
        wait_until(lambda: len(server.accepted) >= len(subjects), timeout=25, what="every email accepted")
        time.sleep(1.5)  # what a duplicate would have sent arrives by now
    finally:
        server.shutdown()
        server.server_close()

    assert sorted(server.accepted) == sorted(subjects)
    assert all(server.attempts[subject] == 3 for subject in subjects)  # refused twice, taken on the third try
    assert worker.log_text().count("Retry in") >= 2 * len(subjects)
    assert not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()
