"""Delivering digests you can trust: once per member and period, retried when the hand-off fails, a fixed number
of queries per batch, two concurrent runs on PostgreSQL, and a real Celery worker started by the beat entry."""

import email
import email.policy
import threading
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from smtplib import SMTPServerDisconnected

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from discussions import digest, tasks
from discussions import services as discussion_services
from discussions.models import DigestDelivery, Notification, ThreadRead
from groupsite.celery import app as celery_app
from groupsite.models import DigestFrequency, NotificationKind, OutboxMessage, User
from tests import factories
from topics import polls, scheduling
from topics.models import Membership, Prompt

WORKER_TIMEOUT_SECONDS = 60
MONDAY_8AM = datetime(2030, 3, 25, 8, 0, tzinfo=UTC)  # the default send time, London still on GMT


class RefusingBackend(locmem.EmailBackend):
    """A mail queue that is down for addresses starting with "refused"."""

    def send_messages(self, messages):
        for message in messages:
            if any(address.startswith("refused") for address in message.to):
                raise SMTPServerDisconnected("the mail queue is unreachable")
        return super().send_messages(messages)


class FlakyBackend(locmem.EmailBackend):
    """A mail queue that fails once, then works."""

    failures_left = 0

    def send_messages(self, messages):
        if FlakyBackend.failures_left:
            FlakyBackend.failures_left -= 1
            raise SMTPServerDisconnected("the mail queue blinked")
        return super().send_messages(messages)


def make_reader(group, **fields):
    """A member of `group` who joined long ago and takes the default weekly digest, on London time."""
    user = factories.make_member(group=group, timezone="Europe/London", **fields)
    Membership.objects.filter(user=user).update(joined_at=MONDAY_8AM - timedelta(days=90))
    return user


def busy_week(group, now=MONDAY_8AM):
    """A week of activity in `group`: a thread with replies from several people, and an open prompt with a poll."""
    topic = factories.make_topic(group=group)
    people = [make_reader(group) for _ in range(3)]
    thread = discussion_services.start_thread(
        topic=topic, author=people[0], title="Pricing in 2030", body="Opening.", now=now - timedelta(days=3)
    )
    for person in people:
        discussion_services.publish_post(thread=thread, author=person, body="A view.", now=now - timedelta(days=2))
    prompt = factories.make_prompt(topic, author=people[0], title="Will prices fall?")
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now - timedelta(days=2), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    return thread, prompt


@pytest.fixture
def week(group):
    return busy_week(group)


def test_a_due_member_gets_one_digest_and_the_period_is_recorded(group, week, mailoutbox):
    member = make_reader(group)

    assert digest.send_digest(member.pk, now=MONDAY_8AM) is True

    [message] = mailoutbox
    assert message.to == [member.email]
    assert message.subject.startswith(f"Your weekly digest: {group.name}")
    delivery = DigestDelivery.objects.get(user=member)
    assert (delivery.period.isoformat(), delivery.status) == ("2030-03-25", DigestDelivery.Status.SENT)
    assert delivery.covers_until == MONDAY_8AM
    assert delivery.covers_from == MONDAY_8AM - timedelta(days=7)
    assert delivery.sent_at is not None


def test_sending_twice_for_the_same_period_sends_one_email(group, week, mailoutbox):
    member = make_reader(group)

    assert digest.send_digest(member.pk, now=MONDAY_8AM)
    assert not digest.send_digest(member.pk, now=MONDAY_8AM)
    assert not digest.send_digest(member.pk, now=MONDAY_8AM + timedelta(minutes=15))

    assert len(mailoutbox) == 1
    assert DigestDelivery.objects.filter(user=member).count() == 1


def test_a_new_member_s_first_digest_waits_for_their_first_send_time_after_joining(group, week, mailoutbox):
    member = make_reader(group, date_joined=MONDAY_8AM - timedelta(days=2))  # joined on Saturday

    assert not digest.send_digest(member.pk, now=MONDAY_8AM - timedelta(seconds=1))
    assert digest.send_digest(member.pk, now=MONDAY_8AM)
    assert DigestDelivery.objects.get(user=member).covers_from == MONDAY_8AM - timedelta(days=7)


def test_the_unique_constraint_stops_a_second_digest_even_when_the_check_is_skipped(group, week, mailoutbox):
    """The claim, not the due check, is what guarantees once: insert the same period twice and only one wins."""
    member = make_reader(group)
    row = DigestDelivery(
        user=member, period=MONDAY_8AM.date(), frequency="weekly", covers_from=MONDAY_8AM - timedelta(days=7),
        covers_until=MONDAY_8AM, created_at=MONDAY_8AM,
    )

    assert digest.sending._claim([row]) == {member.pk: DigestDelivery.objects.get(user=member).pk}
    assert digest.sending._claim([row]) == {}


def test_a_member_with_nothing_new_gets_no_email_but_the_period_is_settled(group, mailoutbox):
    member = make_reader(group)

    assert digest.send_digest(member.pk, now=MONDAY_8AM) is False

    assert mailoutbox == []
    delivery = DigestDelivery.objects.get(user=member)
    assert delivery.status == DigestDelivery.Status.EMPTY
    assert member.pk not in digest.due_member_ids(now=MONDAY_8AM + timedelta(minutes=15))


def test_a_member_who_is_not_due_yet_gets_nothing(group, week, mailoutbox):
    member = make_reader(group)
    last_monday = MONDAY_8AM - timedelta(days=7)
    DigestDelivery.objects.create(
        user=member, period=last_monday.date(), frequency="weekly", covers_from=last_monday - timedelta(days=7),
        covers_until=last_monday, status=DigestDelivery.Status.SENT,
    )

    assert digest.send_digest(member.pk, now=MONDAY_8AM - timedelta(seconds=1)) is False
    assert mailoutbox == []
    assert digest.send_digest(member.pk, now=MONDAY_8AM) is True
    assert len(mailoutbox) == 1


def test_daily_weekly_and_never(group, week, mailoutbox):
    tuesday = MONDAY_8AM + timedelta(days=1)
    daily = make_reader(group, digest_frequency=DigestFrequency.DAILY)
    weekly = make_reader(group, digest_frequency=DigestFrequency.WEEKLY)
    never = make_reader(group, digest_frequency=DigestFrequency.NEVER)

    mine = {daily.pk, weekly.pk, never.pk}

    def due_of_mine(now):
        return [pk for pk in digest.due_member_ids(now=now) if pk in mine]

    assert due_of_mine(tuesday) == [daily.pk, weekly.pk]  # weekly: Monday's is still owed
    assert digest.send_digest(weekly.pk, now=tuesday)
    assert not digest.send_digest(never.pk, now=tuesday)
    assert due_of_mine(tuesday) == [daily.pk]
    assert digest.send_digest(daily.pk, now=tuesday)
    assert due_of_mine(tuesday + timedelta(days=1)) == [daily.pk]
    assert [message.to for message in mailoutbox] == [[weekly.email], [daily.email]]


def test_a_failed_hand_off_leaves_the_period_unclaimed_and_the_others_are_sent(group, week, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.discussions.test_digest_delivery.RefusingBackend"
    first = make_reader(group)
    refused = make_reader(group, email="refused@example.org")
    last = make_reader(group)

    with pytest.raises(digest.DigestsNotSent) as raised:
        digest.send_digest_batch([first.pk, refused.pk, last.pk], now=MONDAY_8AM)

    assert raised.value.user_ids == [refused.pk]
    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.email, last.email])
    assert set(DigestDelivery.objects.values_list("user_id", flat=True)) == {first.pk, last.pk}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = digest.send_digest_batch([first.pk, refused.pk, last.pk], now=MONDAY_8AM)

    assert (result.sent, sorted(result.skipped)) == ([refused.pk], sorted([first.pk, last.pk]))
    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.email, last.email, refused.email])


def test_the_batch_task_retries_a_failed_hand_off_and_sends_each_digest_once(group, week, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.discussions.test_digest_delivery.FlakyBackend"
    FlakyBackend.failures_left = 1
    members = [make_reader(group) for _ in range(3)]

    # As a worker runs it: a retry runs the task again (here at once) instead of failing the caller.
    tasks.send_digest_batch.apply(args=[[member.pk for member in members], MONDAY_8AM.isoformat()], throw=False)

    assert sorted(message.to[0] for message in mailoutbox) == sorted(member.email for member in members)
    assert DigestDelivery.objects.filter(status=DigestDelivery.Status.SENT).count() == 3


def test_the_batch_task_retries_with_backoff_on_transient_errors():
    task = tasks.send_digest_batch

    assert digest.DigestsNotSent in task.autoretry_for
    assert OSError in task.autoretry_for  # SMTP and socket errors
    assert task.retry_backoff and task.retry_jitter and task.max_retries >= 5


def test_beat_enqueues_due_members_in_batches_that_send_each_digest(group, week, settings, mailoutbox):
    settings.DIGEST_BATCH_SIZE = 2
    members = [make_reader(group) for _ in range(5)]
    later = make_reader(group, digest_time=time(9, 0))
    last_monday = MONDAY_8AM - timedelta(days=7)
    DigestDelivery.objects.create(
        user=later, period=last_monday.date(), frequency="weekly", covers_from=last_monday - timedelta(days=7),
        covers_until=last_monday + timedelta(hours=1), status=DigestDelivery.Status.SENT,
    )

    assert digest.enqueue_due_digests(now=MONDAY_8AM) == 5 + 3  # the readers made by busy_week are due too

    recipients = {message.to[0] for message in mailoutbox}
    assert {member.email for member in members} <= recipients
    assert later.email not in recipients
    assert digest.enqueue_due_digests(now=MONDAY_8AM + timedelta(minutes=15)) == 0


def test_the_beat_entry_runs_the_fan_out_every_quarter_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["send-due-digests"]

    assert entry["task"] == tasks.enqueue_due_digests.name
    assert entry["schedule"] == crontab(minute="*/15")
    assert settings.DIGEST_BATCH_SIZE > 0


def members_with_activity(group, thread, prompt, count: int) -> list[int]:
    """Members who each voted, replied, read part of the thread and have a notification waiting."""
    ids = []
    poll = prompt.poll
    for _ in range(count):
        member = make_reader(group)
        yesterday = MONDAY_8AM - timedelta(days=1)
        polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=yesterday)
        discussion_services.publish_post(thread=prompt.thread, author=member, body="My answer.", now=yesterday)
        ThreadRead.objects.create(user=member, thread=thread, last_read_number=2)
        Notification.objects.create(
            user=member, kind=NotificationKind.REPLY, actor=thread.author, group=group, thread=thread,
            post=thread.posts.last(), created_at=MONDAY_8AM - timedelta(days=1),
        )
        ids.append(member.pk)
    return ids


def test_a_batch_costs_the_same_number_of_queries_for_5_or_50_members(group, week, mailoutbox):
    thread, prompt = week
    small = members_with_activity(group, thread, prompt, 5)
    large = members_with_activity(group, thread, prompt, 50)

    with CaptureQueriesContext(connection) as small_queries:
        assert len(digest.send_digest_batch(small, now=MONDAY_8AM).sent) == 5
    with CaptureQueriesContext(connection) as large_queries:
        assert len(digest.send_digest_batch(large, now=MONDAY_8AM).sent) == 50

    assert len(small_queries) == len(large_queries), [query["sql"][:90] for query in large_queries]
    assert len(large_queries) <= 20
    assert len(mailoutbox) == 55


def test_through_the_site_s_mail_queue_a_batch_still_costs_the_same_queries_and_each_digest_arrives_once(
    group, week, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """The outbox (groupsite/outbox.py) takes a batch's emails in one INSERT and one task, delivered after commit."""
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    thread, prompt = week
    small = members_with_activity(group, thread, prompt, 5)
    large = members_with_activity(group, thread, prompt, 50)
    before = OutboxMessage.objects.order_by("pk").values_list("pk", flat=True).last() or 0

    counts = []
    for members in (small, large):
        with django_capture_on_commit_callbacks(execute=True):
            with CaptureQueriesContext(connection) as queries:
                assert len(digest.send_digest_batch(members, now=MONDAY_8AM).sent) == len(members)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    digests = OutboxMessage.objects.filter(pk__gt=before)
    assert digests.count() == 55
    assert not digests.filter(delivered_at__isnull=True).exists()
    member_emails = set(User.objects.filter(pk__in=small + large).values_list("email", flat=True))
    assert sorted(message.to[0] for message in mailoutbox if message.to[0] in member_emails) == sorted(member_emails)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent claims are proven on PostgreSQL (the CI pass); SQLite runs one writer at a time",
)
def test_two_concurrent_runs_for_the_same_members_and_period_send_each_member_exactly_one_email(mailoutbox):
    group = factories.make_group()
    busy_week(group)
    members = [make_reader(group) for _ in range(30)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(digest.send_digest_batch([member.pk for member in members], now=MONDAY_8AM))
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()

    assert not errors
    first, second = results
    assert not set(first.sent) & set(second.sent)
    member_emails = sorted(member.email for member in members)
    assert sorted(message.to[0] for message in mail.outbox if message.to[0] in member_emails) == member_emails
    assert DigestDelivery.objects.filter(user__in=members).count() == 30


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_started_by_the_beat_entry_delivers_the_digest(start_worker, tmp_path):
    now = timezone.now()
    group = factories.make_group(name="CAR-T worker group")
    topic = factories.make_topic(group=group)
    author = factories.make_member(group=group)
    member = factories.make_member(
        group=group, digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0), timezone="UTC",
        email="reader@example.org", date_joined=now - timedelta(days=30),
    )
    discussion_services.start_thread(
        topic=topic, author=author, title="Capacity in Shanghai", body="Opening.", now=now - timedelta(hours=1)
    )
    outbox = tmp_path / "mail"
    outbox.mkdir()
    queue = start_worker(
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(outbox)
    )
    beat_entry = settings.CELERY_BEAT_SCHEDULE["send-due-digests"]

    celery_app.send_task(beat_entry["task"], queue=queue)  # what beat sends every quarter hour

    text = wait_for_mail(outbox, "To: reader@example.org")
    delivered = email.message_from_string(text.split("\n" + "-" * 79)[0], policy=email.policy.default)
    assert delivered["Subject"].strip().startswith("Your daily digest: CAR-T worker group")
    assert "Capacity in Shanghai" in delivered.get_body(preferencelist=("plain",)).get_content()
    assert "Capacity in Shanghai" in delivered.get_body(preferencelist=("html",)).get_content()
    assert delivered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = DigestDelivery.objects.get(user=member)
    assert delivery.status == DigestDelivery.Status.SENT


def wait_for_mail(folder: Path, needle: str) -> str:
    deadline = clock.monotonic() + WORKER_TIMEOUT_SECONDS
    while clock.monotonic() < deadline:
        for path in folder.iterdir():
            text = path.read_text()
            if needle in text:
                clock.sleep(0.2)  # let the backend finish writing
                return path.read_text()
        clock.sleep(0.3)
    raise AssertionError(f"no email with {needle!r} was delivered within {WORKER_TIMEOUT_SECONDS} s")
