from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from groupsite import mail, outbox

# A mail server that is down is retried with backoff for about a day.
MAIL_SERVER_RETRIES = dict(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=settings.EMAIL_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
)


@shared_task(**MAIL_SERVER_RETRIES)
def deliver_email(message: dict, outbox_id: int | None = None) -> None:
    """Deliver one queued email, once per outbox row."""
    mail.deliver(message, outbox_id)


@shared_task(**MAIL_SERVER_RETRIES)
def deliver_emails(outbox_ids: list[int], bulk: bool = False) -> int:
    """Deliver the emails of these outbox rows over one connection to the mail server, each once; a retry skips
    those already delivered. `bulk` only routes the task (groupsite/queues.py)."""
    return mail.deliver_rows(outbox_ids)


@shared_task
def send_pending_outbox() -> int:
    """Beat runs this every minute, and the worker once as it starts: jobs that waited for the broker go out."""
    return outbox.send_pending(now=timezone.now())


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")
