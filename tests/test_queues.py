"""Split Celery queues (groupsite/queues.py): a digest run's backlog never holds up urgent mail or notifications."""

import time as clock
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from discussions import digest, tasks
from discussions import services as discussion_services
from discussions.models import DigestDelivery, Notification
from groupsite import mail, queues
from groupsite.celery import app as celery_app
from groupsite.models import DigestFrequency
from tests import factories

PROMPT_SECONDS = 20  # how soon urgent work must be done by a running worker, on a busy machine
BACKLOG_BATCHES = 300


def routed_queue(task_name: str, *args) -> str:
    """The queue Celery's own router picks for a task sent with these arguments."""
    return celery_app.amqp.router.route({}, task_name, args, {})["queue"].name


def test_each_task_goes_to_its_intended_queue():
    expected = {
        "groupsite.tasks.deliver_email": "email",
        "groupsite.tasks.deliver_emails": "email",
        "discussions.tasks.enqueue_due_digests": "digest",
        "discussions.tasks.send_digest_batch": "digest",
        "groupsite.tasks.send_pending_outbox": "default",
        "groupsite.tasks.clear_expired_sessions": "default",
        "discussions.tasks.send_due_notification_emails": "default",
        "discussions.tasks.notify_new_post": "default",
        "discussions.tasks.notify_new_thread": "default",
        "discussions.tasks.notify_prompt_published": "default",
        "discussions.tasks.notify_join_approved": "default",
        "discussions.tasks.flush_view_counts": "default",
        "discussions.tasks.create_prompt_reminders": "default",
        "topics.tasks.run_prompt_schedule": "default",
        "topics.tasks.send_prompt_reminder": "default",
    }
    celery_app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    ours = sorted(name for name in celery_app.tasks if not name.startswith("celery."))
    assert ours == sorted(expected)  # a new task gets a line here, and a thought about its queue
    assert {name: routed_queue(name) for name in ours} == expected


def test_every_beat_entry_goes_to_a_queue_the_production_workers_consume():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert routed_queue(entry["task"]) in queues.QUEUES


def test_urgent_mail_goes_to_the_email_queue_and_bulk_mail_to_the_digest_queue():
    urgent = mail.serialize_message(EmailMessage(subject="Confirm your address", to=["ada@example.org"]))
    bulk = mail.serialize_message(mail.mark_bulk(EmailMessage(subject="Your digest", to=["ada@example.org"])))

    assert routed_queue("groupsite.tasks.deliver_email", urgent, 1) == "email"
    assert routed_queue("groupsite.tasks.deliver_email", bulk, 2) == "digest"
    # Several emails in one task (groupsite/outbox.py): the task says whether they are bulk.
    assert routed_queue("groupsite.tasks.deliver_emails", [1, 2], False) == "email"
    assert routed_queue("groupsite.tasks.deliver_emails", [3, 4], True) == "digest"


def test_a_digest_email_is_marked_bulk(db):
    now = timezone.now()
    group = factories.make_group()
    reader = factories.make_member(group=group, digest_frequency=DigestFrequency.DAILY, timezone="UTC")
    discussion_services.start_thread(
        topic=factories.make_topic(group=group), author=factories.make_member(group=group), title="Capacity",
        body="Opening.", now=now - timedelta(hours=1),
    )
    context = digest.digest_context(reader, now=now)

    assert context is not None
    assert mail.serialize_message(digest.build_digest_message(reader, context))["bulk"] is True


def test_a_queue_suffix_gives_a_run_its_own_copies_of_the_queues(settings):
    settings.CELERY_QUEUE_SUFFIX = "-bench1"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "default-bench1"
    try:
        assert routed_queue("groupsite.tasks.deliver_email", {"bulk": False}) == "email-bench1"
        assert routed_queue("discussions.tasks.send_digest_batch") == "digest-bench1"
    finally:
        celery_app.conf.task_default_queue = previous


def test_celery_queue_puts_every_task_on_that_one_queue():
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = "one-worker"  # what CELERY_QUEUE=one-worker sets
    try:
        assert routed_queue("groupsite.tasks.deliver_email", {"bulk": True}) == "one-worker"
        assert routed_queue("discussions.tasks.send_digest_batch") == "one-worker"
    finally:
        celery_app.conf.task_default_queue = previous


# With real workers


def waiting(queue: str) -> int:
    """How many messages wait in a queue of this test's, on the broker the settings name."""
    with celery_app.connection_for_write() as connection:
        try:
            return connection.default_channel.queue_declare(queue, passive=True).message_count
        except connection.channel_errors:
            return 0  # Redis keeps no empty list: an emptied queue is gone


def wait_until(condition, what: str, seconds: float = PROMPT_SECONDS) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    started = clock.monotonic()
    while clock.monotonic() - started < seconds:
        if condition():
            return clock.monotonic() - started
        clock.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def delivered_to(folder: Path, address: str) -> bool:
    return any(f"To: {address}" in path.read_text() for path in folder.iterdir() if path.stat().st_size)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)  # the workers read what the test writes
def test_a_digest_backlog_does_not_delay_a_verification_email_or_a_notification(
    start_worker, client, settings, tmp_path
):
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"  # pytest-django's keeps mail in the test process
    now = timezone.now()
    group = factories.make_group(name="CAR-T queue group")
    author, replier = factories.make_member(group=group), factories.make_member(group=group)
    reader = factories.make_member(
        group=group, digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0), timezone="UTC",
        email="reader@example.org", date_joined=now - timedelta(days=30),
    )
    thread = discussion_services.start_thread(
        topic=factories.make_topic(group=group), author=author, title="Capacity in Shanghai", body="Opening.",
        now=now - timedelta(hours=1),
    )
    urgent_mail, bulk_mail = tmp_path / "urgent", tmp_path / "bulk"
    urgent_mail.mkdir()
    bulk_mail.mkdir()
    mail_to = {"EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
    start_worker(queues=(queues.DEFAULT, queues.EMAIL), EMAIL_FILE_PATH=str(urgent_mail), **mail_to)
    digest_queue = queues.queue_name(queues.DIGEST)
    # A digest run in full swing: its batches wait on the digest queue, which no worker takes yet.
    for _ in range(BACKLOG_BATCHES):
        tasks.send_digest_batch.delay([reader.pk], now.isoformat())
    assert waiting(digest_queue) == BACKLOG_BATCHES

    password = "a long pass phrase"
    signup = {"email": "ada@example.org", "username": "ada", "password1": password, "password2": password}
    client.post(reverse("account_signup"), signup)
    discussion_services.publish_post(thread=thread, author=replier, body="A reply the author is told about.")

    wait_until(lambda: delivered_to(urgent_mail, "ada@example.org"), "the verification email's delivery")
    wait_until(lambda: Notification.objects.filter(user=author).exists(), "the notification of the reply")
    assert waiting(digest_queue) == BACKLOG_BATCHES  # none of the backlog went first, or anywhere else
    assert not DigestDelivery.objects.exists()

    # A digest worker then works through the backlog and delivers the digest itself: bulk mail stays off `email`.
    start_worker(queues=(queues.DIGEST,), EMAIL_FILE_PATH=str(bulk_mail), **mail_to)
    wait_until(lambda: delivered_to(bulk_mail, "reader@example.org"), "the digest's delivery", seconds=60)
    wait_until(lambda: waiting(digest_queue) == 0, "the end of the backlog", seconds=60)
    assert DigestDelivery.objects.get(user=reader).status == DigestDelivery.Status.SENT
    assert not delivered_to(urgent_mail, "reader@example.org")
