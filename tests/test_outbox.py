"""The transactional outbox (groupsite/outbox.py): follow-up jobs are written with the change and survive a dead broker.

Tasks run eagerly here (tests/conftest.py); a broker that is down is a real one: a port where nothing listens.
"""

import socket
import threading
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from celery.signals import task_prerun
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from smtplib import SMTPServerDisconnected

from discussions import services
from discussions.models import Notification
from groupsite import mail, outbox
from groupsite.celery import app as celery_app
from groupsite.models import EMAIL_BATCH_DELIVERY_TASK, EMAIL_DELIVERY_TASK, OutboxMessage
from groupsite.tasks import clear_expired_sessions, deliver_emails
from tests import factories


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down():
    """Tasks really go to a broker (not eagerly), and that broker is a Redis port where nothing listens."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.get("broker_write_url")
    celery_app.conf.task_always_eager = False
    # The write URL, which publishing uses: a CELERY_BROKER_URL in the environment outranks conf.broker_url.
    celery_app.conf.broker_write_url = f"redis://127.0.0.1:{unused_port()}/0"
    celery_app._after_fork()  # forget the pooled connections to the previous broker
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_write_url = previous
    celery_app._after_fork()


@pytest.fixture
def broker_hung():
    """Tasks really go to a broker that accepts connections and never answers (a Redis frozen or overloaded)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def hold_connections():
        while True:
            try:
                held.append(listener.accept())
            except OSError:  # the listener is closed at teardown
                return

    threading.Thread(target=hold_connections, daemon=True).start()
    previous = celery_app.conf.task_always_eager, celery_app.conf.get("broker_write_url")
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_write_url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    celery_app._after_fork()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_write_url = previous
    celery_app._after_fork()
    listener.close()
    for held_connection, _ in held:
        held_connection.close()


@pytest.fixture
def mail_via_outbox(transactional_db, mailoutbox, settings):
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mailoutbox


def test_a_job_is_written_to_the_outbox_in_the_transaction_of_the_change(db, topic, member):
    with transaction.atomic():
        thread = services.start_thread(topic=topic, author=member, title="Pricing", body="Opening.")
        [message] = OutboxMessage.objects.all()
    assert (message.task, message.args[0], message.sent_at) == ("discussions.tasks.notify_new_thread", thread.pk, None)


def test_a_job_is_handed_to_the_broker_after_the_commit_and_marked_sent(
    db, topic, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_thread(topic=topic, author=member, title="Pricing", body="Opening.")
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.handoffs == 1


def test_a_job_of_a_rolled_back_change_is_never_handed_off(transactional_db, topic, member):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.start_thread(topic=topic, author=member, title="Pricing", body="Opening.")
        raise RuntimeError("the request failed after writing")
    assert not OutboxMessage.objects.exists()


def test_a_reply_is_stored_and_its_job_waits_when_the_broker_is_down(transactional_db, thread, member, broker_down):
    post = services.publish_post(thread=thread, author=member, body="Agreed.")
    message = OutboxMessage.objects.get(task="discussions.tasks.notify_new_post")
    assert message.args[0] == post.pk
    assert message.sent_at is None


def test_the_drain_sends_what_waited_once_the_broker_is_back(transactional_db, thread, member, broker_down):
    services.publish_post(thread=thread, author=member, body="Agreed.")
    celery_app.conf.task_always_eager = True  # the broker is back (tasks run here)
    sent = outbox.send_pending(now=timezone.now() + timedelta(minutes=1))
    assert sent == 1
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert Notification.objects.filter(user=thread.author, kind="reply").count() == 1


def test_the_drain_leaves_fresh_rows_to_their_own_request(transactional_db, thread, member, broker_down):
    services.publish_post(thread=thread, author=member, body="Agreed.")
    celery_app.conf.task_always_eager = True
    assert outbox.send_pending(now=timezone.now()) == 0


def test_an_email_sent_while_the_broker_is_down_waits_in_the_outbox(mail_via_outbox, broker_down):
    assert EmailMessage("Hello", "Body.", to=["mei@example.org"]).send() == 1
    message = OutboxMessage.objects.get()
    assert (message.task, message.sent_at, message.delivered_at) == (EMAIL_DELIVERY_TASK, None, None)
    assert mail_via_outbox == []


def test_an_email_handed_off_twice_is_delivered_once(mail_via_outbox):
    EmailMessage("Hello", "Body.", to=["mei@example.org"]).send()
    message = OutboxMessage.objects.get()
    outbox.hand_off([message])
    assert [sent.subject for sent in mail_via_outbox] == ["Hello"]
    assert OutboxMessage.objects.get().delivered_at is not None


def test_an_email_the_broker_lost_is_handed_off_again_and_delivered_once(mail_via_outbox, settings):
    EmailMessage("Hello", "Body.", to=["mei@example.org"]).send()
    OutboxMessage.objects.update(delivered_at=None)  # as if the broker had lost the delivery task
    mail_via_outbox.clear()
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS + 1)
    assert outbox.send_pending(now=later) == 1
    assert outbox.send_pending(now=later) == 0  # delivered now: not handed off again
    assert len(mail_via_outbox) == 1


def test_an_email_in_a_rolled_back_transaction_is_never_delivered(mail_via_outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        EmailMessage("Hello", "Body.", to=["mei@example.org"]).send()
        raise RuntimeError("the request failed after sending")
    assert mail_via_outbox == []
    assert not OutboxMessage.objects.exists()


def test_rows_sent_long_ago_are_deleted_by_the_drain(db, settings):
    long_ago = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    OutboxMessage.objects.create(task=clear_expired_sessions.name, created_at=long_ago, sent_at=long_ago)
    outbox.send_pending(now=timezone.now())
    assert not OutboxMessage.objects.exists()


@pytest.fixture
def thread(topic, moderator):
    return factories.make_thread(topic=topic, author=moderator)


def test_an_email_holding_a_nul_byte_or_a_lone_surrogate_is_queued_and_delivered(mail_via_outbox):
    EmailMessage("Hello\x00", "Body \ud800 and \x00.", to=["mei@example.org"]).send()
    [message] = mail_via_outbox
    assert (message.subject, message.body) == ("Hello", "Body ? and .")


def test_a_reply_is_answered_within_seconds_when_the_broker_hangs(
    client, transactional_db, thread, member, broker_hung, settings
):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the Redis broker's timeouts are set with a Redis broker (the PostgreSQL + Redis pass)")
    client.force_login(member)
    responses = []

    def reply():
        try:
            responses.append(client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Agreed."}))
        finally:
            connections.close_all()

    started = time.monotonic()
    request = threading.Thread(target=reply, daemon=True)
    request.start()
    request.join(timeout=10)
    assert [response.status_code for response in responses] == [HTTPStatus.FOUND]
    assert time.monotonic() - started < 8
    assert OutboxMessage.objects.get(task="discussions.tasks.notify_new_post").sent_at is None


class FailingOnceBackend(locmem.EmailBackend):
    """A mail server that drops the connection on the second message it is given, once."""

    failures_left = 0
    seen = 0

    def send_messages(self, messages):
        FailingOnceBackend.seen += len(messages)
        if FailingOnceBackend.seen == 2 and FailingOnceBackend.failures_left:
            FailingOnceBackend.failures_left -= 1
            raise SMTPServerDisconnected("the mail server went away")
        return super().send_messages(messages)


@pytest.fixture
def tasks_run():
    """The names and arguments of the tasks the worker runs (here, eagerly), in order."""
    ran = []

    def record(sender=None, args=None, **kwargs):
        ran.append((sender.name, list(args or ())))

    task_prerun.connect(record, weak=False)
    yield ran
    task_prerun.disconnect(record)


def emails_to(*names: str, bulk: bool = False) -> list[EmailMessage]:
    messages = [EmailMessage(f"Digest for {name}", "Body.", to=[f"{name}@example.org"]) for name in names]
    return [mail.mark_bulk(message) if bulk else message for message in messages]


def test_emails_enqueued_together_cost_one_insert_and_one_task_and_each_is_delivered_once(mail_via_outbox, tasks_run):
    names = ["ada", "bo", "chen", "dara"]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with outbox.enqueued_together():
            for message in emails_to(*names, bulk=True):
                message.send()
        assert mail_via_outbox == []  # nothing leaves before the commit

    inserts = [query for query in queries if query["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert [row.task for row in rows] == [EMAIL_DELIVERY_TASK] * 4
    assert tasks_run == [(EMAIL_BATCH_DELIVERY_TASK, [[row.pk for row in rows], True])]
    assert sorted(message.to[0] for message in mail_via_outbox) == sorted(f"{name}@example.org" for name in names)
    assert all(row.sent_at and row.delivered_at and row.handoffs == 1 for row in rows)


def test_urgent_and_bulk_emails_enqueued_together_go_as_separate_tasks(mail_via_outbox, tasks_run):
    with transaction.atomic(), outbox.enqueued_together():
        for message in [*emails_to("ada", "bo"), *emails_to("chen", "dara", bulk=True)]:
            message.send()

    assert [(name, args[1]) for name, args in tasks_run] == [(EMAIL_BATCH_DELIVERY_TASK, False),
                                                             (EMAIL_BATCH_DELIVERY_TASK, True)]
    assert len(mail_via_outbox) == 4


def test_a_lone_email_enqueued_together_goes_as_its_own_task(mail_via_outbox, tasks_run):
    with transaction.atomic(), outbox.enqueued_together():
        [message] = emails_to("ada")
        message.send()

    row = OutboxMessage.objects.get()
    assert [name for name, _ in tasks_run] == [EMAIL_DELIVERY_TASK]
    assert tasks_run[0][1][-1] == row.pk  # the row deliver_email records its delivery on
    assert len(mail_via_outbox) == 1


def test_emails_enqueued_together_in_a_rolled_back_transaction_are_never_written(mail_via_outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        with outbox.enqueued_together():
            for message in emails_to("ada", "bo"):
                message.send()
        raise RuntimeError("the batch failed after queueing its mail")
    assert not OutboxMessage.objects.exists()
    assert mail_via_outbox == []


def test_a_delivery_batch_the_mail_server_fails_in_keeps_what_went_and_its_retry_sends_the_rest(
    mail_via_outbox, settings, broker_down
):
    settings.EMAIL_DELIVERY_BACKEND = "tests.test_outbox.FailingOnceBackend"
    FailingOnceBackend.seen, FailingOnceBackend.failures_left = 0, 1
    with outbox.enqueued_together():
        for message in emails_to("ada", "bo", "chen", bulk=True):
            message.send()
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))

    with pytest.raises(SMTPServerDisconnected):
        mail.deliver_rows(ids)
    assert [message.to[0] for message in mail_via_outbox] == ["ada@example.org"]  # the first stays delivered

    assert mail.deliver_rows(ids) == 2  # the task's retry
    assert [message.to[0] for message in mail_via_outbox] == ["ada@example.org", "bo@example.org", "chen@example.org"]
    assert mail.deliver_rows(ids) == 0  # and once more: nothing is sent twice
    assert issubclass(SMTPServerDisconnected, deliver_emails.autoretry_for) and deliver_emails.max_retries >= 5


def test_emails_enqueued_together_while_the_broker_is_down_wait_and_the_drain_delivers_each_once(
    mail_via_outbox, broker_down
):
    with outbox.enqueued_together():
        for message in emails_to("ada", "bo", bulk=True):
            message.send()
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2

    celery_app.conf.task_always_eager = True  # the broker is back (tasks run here)
    assert outbox.send_pending(now=timezone.now() + timedelta(minutes=1)) == 2
    assert outbox.send_pending(now=timezone.now() + timedelta(minutes=1)) == 0
    assert sorted(message.to[0] for message in mail_via_outbox) == ["ada@example.org", "bo@example.org"]
