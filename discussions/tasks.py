"""Celery doorways into discussions' plain functions: each takes ids or ISO strings and is safe to run twice."""

from celery import shared_task
from django.utils import timezone

from discussions import mailing


@shared_task
def send_due_notification_emails() -> int:
    """Beat runs this every minute: the notification emails whose short wait is over go out, batched per thread."""
    return mailing.send_due_notification_emails(now=timezone.now())
