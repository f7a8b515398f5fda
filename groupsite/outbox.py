"""The transactional outbox: follow-up jobs are rows written with the change, handed to Celery after the commit.

A write never fails because the broker is down. `enqueue(task, *args)` only inserts an OutboxMessage in the current
transaction; after the commit the row is handed to the broker and marked sent. If the broker cannot be reached the
request still succeeds and the row waits: `send_pending` (run by the worker as it starts and by beat every minute,
where the broker is reachable again) hands it over. A job can therefore run twice (a request's hand-off racing the
drain, a broker redelivering), which the tasks allow: each is idempotent, and an email records its delivery on its
own row (`deliver_once`), so a message handed off twice is sent once.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from groupsite.celery import app
from groupsite.inserts import insert_returning
from groupsite.models import EMAIL_BATCH_DELIVERY_TASK, EMAIL_DELIVERY_TASK, OutboxMessage

logger = logging.getLogger(__name__)

# A drain hands over at most this many rows per run; the next run takes the rest.
DRAIN_BATCH_SIZE = 500

# The rows of an `enqueued_together` block in this thread, written as it ends; None outside one.
_together = threading.local()


def enqueue(task, *args) -> OutboxMessage:
    """Run `task(*args)` once the current transaction commits, and later if the broker is down; never before.

    The arguments are stored as JSON: ids, ISO date strings and plain dicts, never model instances.
    """
    message = OutboxMessage(task=task.name, args=list(args))
    waiting = getattr(_together, "rows", None)
    if waiting is not None:
        waiting.append(message)
        return message
    message.save()
    transaction.on_commit(lambda: hand_off([message]))
    return message


@contextmanager
def enqueued_together():
    """The jobs enqueued in this block are written in one INSERT as it ends, and handed off together after the
    commit, emails as one task per queue (`hand_off`).

    A digest batch sends 200 emails: one row each, but one query and one broker message for them all rather than
    400 queries and 200 messages that each carry a whole email. The rows are written when the block ends, so use
    it where the block's jobs stand or fall together: a savepoint rolled back inside it does not take its rows
    back; the transaction around it failing does. Blocks nest: the outermost one writes.
    """
    if getattr(_together, "rows", None) is not None:
        yield
        return
    rows = _together.rows = []
    try:
        yield
    finally:
        _together.rows = None
    if rows:
        names = ("task", "args", "created_at", "sent_at", "handoffs", "delivered_at")
        for row, (pk,) in zip(rows, insert_returning(OutboxMessage, rows, names), strict=True):
            row.pk = row.id = pk
            row._state.adding = False
        transaction.on_commit(lambda: hand_off(rows))


def _deliveries(messages: list[OutboxMessage]) -> list[tuple[str, list, list[OutboxMessage]]]:
    """(task, args, rows) for each broker message that hands these rows off, in order.

    Emails of the same urgency go together in one `deliver_emails` task, which reads them from their rows: a
    broker message of ids, not of whole emails, and one connection to the mail server for them all. A lone email,
    and every other job, goes as its own task.
    """
    emails = {False: [], True: []}  # urgent, bulk
    for message in messages:
        if message.task == EMAIL_DELIVERY_TASK:
            emails[bool(message.args and message.args[0].get("bulk"))].append(message)
    deliveries = []
    for message in messages:
        if message.task != EMAIL_DELIVERY_TASK:
            deliveries.append((message.task, list(message.args), [message]))
            continue
        together = emails[bool(message.args and message.args[0].get("bulk"))]
        if len(together) == 1:
            # deliver_email records its delivery on this row
            deliveries.append((message.task, [*message.args, message.pk], [message]))
        elif together[0] is message:
            bulk = bool(message.args[0].get("bulk"))
            deliveries.append((EMAIL_BATCH_DELIVERY_TASK, [[row.pk for row in together], bulk], together))
    return deliveries


def hand_off(messages: list[OutboxMessage]) -> int:
    """Give the messages to the broker and mark them sent; stops at the first broker error. Returns how many went.

    A broker that is down fails fast (CELERY_BROKER_CONNECTION_TIMEOUT and the publish retry policy in settings),
    so a request whose hand-off fails answers at once; its rows wait for `send_pending`.
    """
    handed = []
    for task, args, rows in _deliveries(messages):
        try:
            app.signature(task, args=args).apply_async()
        except (BrokerError, OSError) as error:
            logger.warning("The broker is unreachable (%s): %s waits in the outbox", error, rows[0])
            break
        except Exception:
            if app.conf.task_always_eager:
                raise  # the task itself ran here (tests) and failed: show it
            # Whatever went wrong, the change is committed: the request must not fail now. The row waits.
            logger.exception("Could not hand %s to the broker: it waits in the outbox", rows[0])
            break
        handed.extend(row.pk for row in rows)
    if handed:
        OutboxMessage.objects.filter(pk__in=handed).update(sent_at=timezone.now(), handoffs=F("handoffs") + 1)
    return len(handed)


def send_pending(*, now: datetime) -> int:
    """Hand over what is waiting: rows the broker was down for, and emails it seems to have lost. Returns how many.

    Rows younger than OUTBOX_GRACE_SECONDS are left to their own request's hand-off, which is likely under way.
    An email handed off OUTBOX_RESEND_AFTER_SECONDS ago and still undelivered (the broker was restarted empty, or
    the worker holding it died) is handed off again, up to OUTBOX_MAX_HANDOFFS times; its row keeps it from being
    sent twice. Sent rows older than OUTBOX_KEEP_DAYS are deleted, except emails never delivered.
    """
    waiting = OutboxMessage.objects.filter(
        sent_at__isnull=True, created_at__lte=now - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS)
    )
    undelivered = OutboxMessage.objects.filter(
        task=EMAIL_DELIVERY_TASK,
        delivered_at__isnull=True,
        sent_at__lte=now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS),
        handoffs__lt=settings.OUTBOX_MAX_HANDOFFS,
    )
    sent = 0
    for rows in (waiting, undelivered):
        # Locked rows belong to another drain running now; skipping them keeps two drains from doubling the work.
        with transaction.atomic():
            batch = list(rows.select_for_update(skip_locked=True).order_by("created_at", "pk")[:DRAIN_BATCH_SIZE])
            handed = hand_off(batch)
        sent += handed
        if handed < len(batch):
            break  # the broker is still down
    OutboxMessage.objects.filter(sent_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS)).exclude(
        task=EMAIL_DELIVERY_TASK, delivered_at__isnull=True
    ).delete()
    return sent


def deliver_once(outbox_id: int, send) -> bool:
    """Call `send()` unless this outbox row's email was already delivered; False if it was.

    The conditional UPDATE claims the row and holds its lock until `send()` returns: a second hand-off of the same
    row waits, then finds it delivered. If `send()` raises, the claim is rolled back so a retry can try again.
    """
    with transaction.atomic():
        claimed = OutboxMessage.objects.filter(pk=outbox_id, delivered_at__isnull=True).update(
            delivered_at=timezone.now()
        )
        if not claimed:
            return False
        send()
    return True
