"""Celery doorways into discussions' plain functions: each takes ids or ISO strings and is safe to run twice."""

from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from discussions import digest, mailing, notifications, view_counts


@shared_task
def send_due_notification_emails() -> int:
    """Beat runs this every minute: the notification emails whose short wait is over go out, batched per thread."""
    return mailing.send_due_notification_emails(now=timezone.now())


@shared_task
def flush_view_counts() -> int:
    """Beat runs this every minute: the thread views buffered in Redis are added to their threads."""
    return view_counts.flush_view_counts()


# Notifications (discussions/notifications.py): enqueued on commit by the services that publish posts, threads and
# prompts and that approve join requests; the unique constraints make a second run add nothing.


@shared_task
def notify_new_post(post_id: int, now: str) -> int:
    return notifications.notify_new_post(post_id=post_id, now=datetime.fromisoformat(now))


@shared_task
def notify_new_thread(thread_id: int, now: str) -> int:
    return notifications.notify_new_thread(thread_id=thread_id, now=datetime.fromisoformat(now))


@shared_task
def notify_prompt_published(prompt_id: int, now: str) -> int:
    return notifications.notify_prompt_published(prompt_id=prompt_id, now=datetime.fromisoformat(now))


@shared_task
def notify_join_approved(join_request_id: int, now: str) -> int:
    return notifications.notify_join_approved(join_request_id=join_request_id, now=datetime.fromisoformat(now))


@shared_task
def create_prompt_reminders() -> int:
    """Beat runs this every 15 minutes: reminders for prompts closing within a day, and any announcement whose task
    was lost."""
    now = timezone.now()
    return notifications.create_prompt_reminders(now=now) + notifications.announce_pending_prompts(now=now)


# The digest (discussions/digest/).


@shared_task
def enqueue_due_digests() -> int:
    """Beat runs this every 15 minutes: the members whose digest is due go to send_digest_batch in batches."""
    return digest.enqueue_due_digests(now=timezone.now())


@shared_task(
    autoretry_for=(digest.DigestsNotSent, OperationalError, InterfaceError, BrokerError, OSError),
    retry_backoff=True,
    retry_backoff_max=10 * 60,
    retry_jitter=True,
    max_retries=10,
)
def send_digest_batch(user_ids: list[int], now: str) -> dict[str, int]:
    """Compose and send a batch's digests due at `now`; a retry skips the members already served.

    Members still unserved after the last retry stay due, so the next beat tick queues them again.
    """
    result = digest.send_digest_batch(user_ids, now=datetime.fromisoformat(now))
    return {"sent": len(result.sent), "empty": len(result.empty), "skipped": len(result.skipped)}
