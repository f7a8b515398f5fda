"""Sending each member's digest once per period.

Sending is claimed by inserting the member's DigestDelivery row for the period: the unique constraint on (user,
period) is what makes two workers, a retried task or a duplicate beat tick send a digest once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from discussions.digest.content import build_digest_message, digest_contexts_for
from discussions.digest.schedule import covered_since, is_due, latest_deliveries, slot_for
from discussions.models import DigestDelivery
from groupsite import outbox
from groupsite.inserts import insert_returning
from groupsite.models import User

logger = logging.getLogger(__name__)

class DigestsNotSent(Exception):
    """Some members' digests could not be built or handed to the mail queue; their periods stay unclaimed."""

    def __init__(self, user_ids):
        self.user_ids = sorted(user_ids)
        super().__init__(f"digests not sent for members {self.user_ids}")


def _claim(rows: list[DigestDelivery]) -> dict[int, int]:
    """Insert the members' delivery rows, skipping any (member, period) already there; {user id: row id} inserted.

    One INSERT … ON CONFLICT DO NOTHING RETURNING for the whole batch, rather than a create() per member, keeps a
    batch's queries constant. The unique constraint decides: a concurrent worker inserting the same row waits for
    this transaction, then inserts nothing.
    """
    names = ("user", "period", "frequency", "covers_from", "covers_until", "status", "created_at")
    inserted = insert_returning(
        DigestDelivery, rows, names, returning=("id", "user_id"), skip_conflicts_on=("user_id", "period")
    )
    return {user_id: pk for pk, user_id in inserted}


@dataclass
class BatchResult:
    sent: list
    empty: list  # nothing new: recorded, not sent
    skipped: list  # not due, or served by another run


def send_digests(users, *, now: datetime) -> BatchResult:
    """Compose and send the digests due at `now` for these members, each at most once per period.

    Messages are built first, outside any transaction. Then, in one transaction, the members' periods are claimed
    and each claimed message is handed to the mail queue (Django mail, which writes the batch's messages to the
    outbox in this same transaction, in one INSERT). A member whose message cannot be composed, built or handed off has no claim when the transaction
    commits, so a retry can try again; DigestsNotSent is raised once the others are committed. Claim and email
    commit or roll back together, so a digest is neither lost nor sent twice.
    """
    users = sorted(users, key=lambda user: user.pk)  # the same insert order everywhere: no deadlocks between runs
    latest = latest_deliveries(user.pk for user in users)
    slots = {}
    for user in users:
        last_period, last_covers_until = latest.get(user.pk, (None, None))
        slot = slot_for(user, now=now)
        due = is_due(slot, last_period=last_period, last_covers_until=last_covers_until, joined_at=user.date_joined)
        if due and user.email:
            slots[user.pk] = slot
    due_users = [user for user in users if user.pk in slots]
    failed = set()
    contexts = digest_contexts_for(due_users, now=now, latest=latest, failed=failed)
    messages, reused = {}, {}
    for user in due_users:
        if contexts[user.pk] is not None:
            try:
                messages[user.pk] = build_digest_message(user, contexts[user.pk], reused=reused)
            except Exception:
                logger.exception("Could not build the digest of member %s", user.pk)
                failed.add(user.pk)
    rows = [
        DigestDelivery(
            user_id=user.pk,
            period=slots[user.pk].period,
            frequency=user.digest_frequency,
            covers_from=covered_since(user.digest_frequency, latest.get(user.pk, (None, None))[1], now),
            covers_until=now,
            status=DigestDelivery.Status.SENDING if user.pk in messages else DigestDelivery.Status.EMPTY,
            created_at=now,
        )
        for user in due_users
        if user.pk not in failed
    ]
    sent, empty, lost = [], [], []
    with transaction.atomic():
        claimed = _claim(rows)
        # The mail queue (the outbox) takes the batch's emails in one INSERT and one broker message.
        with outbox.enqueued_together():
            for user_id, delivery_id in claimed.items():
                if user_id not in messages:
                    empty.append(user_id)
                    continue
                try:
                    messages[user_id].send()
                except Exception:
                    logger.exception("Could not hand the digest of member %s to the mail queue", user_id)
                    lost.append(delivery_id)
                    failed.add(user_id)
                else:
                    sent.append(user_id)
        if lost:
            DigestDelivery.objects.filter(pk__in=lost).delete()
        if sent:
            DigestDelivery.objects.filter(pk__in=[claimed[user_id] for user_id in sent]).update(
                status=DigestDelivery.Status.SENT, sent_at=timezone.now()  # when it really left, whatever `now` says
            )
    if failed:
        raise DigestsNotSent(failed)
    skipped = [user.pk for user in users if user.pk not in claimed]
    return BatchResult(sent=sorted(sent), empty=sorted(empty), skipped=skipped)


def send_digest_batch(user_ids, *, now: datetime) -> BatchResult:
    return send_digests(User.objects.filter(pk__in=list(user_ids), is_active=True), now=now)


def send_digest(user_id: int, *, now: datetime) -> bool:
    """Email one member their digest due at `now`; False when not due, already sent, or nothing new.

    Calling it again, or at the same time from another worker, is harmless.
    """
    return user_id in send_digest_batch([user_id], now=now).sent
