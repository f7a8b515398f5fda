"""The transactional outbox: follow-up jobs are rows written with the change, handed to Celery after the commit.

A write never fails because the broker is down. `enqueue(task, *args)` only inserts an OutboxMessage in the current
transaction; after the commit the row is handed to the broker and marked sent. If the broker cannot be reached the
request still succeeds and the row waits: `send_pending` (run by the worker as it starts and by beat every minute,
where the broker is reachable again) hands it over. A job can therefore run twice (a request's hand-off racing the
drain, a broker redelivering), which the tasks allow: each is idempotent, and an email records its delivery on its
own row (`deliver_once`), so a message handed off twice is sent once.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from groupsite.celery import app
from groupsite.models import EMAIL_DELIVERY_TASK, OutboxMessage

logger = logging.getLogger(__name__)

# A drain hands over at most this many rows per run; the next run takes the rest.
DRAIN_BATCH_SIZE = 500


def enqueue(task, *args) -> OutboxMessage:
    """Run `task(*args)` once the current transaction commits, and later if the broker is down; never before.

    The arguments are stored as JSON: ids, ISO date strings and plain dicts, never model instances.
    """
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: hand_off([message]))
    return message


def hand_off(messages: list[OutboxMessage]) -> int:
    """Give the messages to the broker and mark them sent; stops at the first broker error. Returns how many went.

    A broker that is down fails fast (CELERY_BROKER_CONNECTION_TIMEOUT and the publish retry policy in settings),
    so a request whose hand-off fails answers at once; its rows wait for `send_pending`.
    """
    sent = 0
    for message in messages:
        args = list(message.args)
        if message.task == EMAIL_DELIVERY_TASK:
            args.append(message.pk)  # deliver_email records its delivery on this row
        try:
            app.signature(message.task, args=args).apply_async()
        except (BrokerError, OSError) as error:
            logger.warning("The broker is unreachable (%s): %s waits in the outbox", error, message)
            break
        except Exception:
            if app.conf.task_always_eager:
                raise  # the task itself ran here (tests) and failed: show it
            # Whatever went wrong, the change is committed: the request must not fail now. The row waits.
            logger.exception("Could not hand %s to the broker: it waits in the outbox", message)
            break
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), handoffs=F("handoffs") + 1)
        sent += 1
    return sent


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
