from smtplib import SMTPException

from celery import shared_task
from django.core.management import call_command

from groupsite import mail


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
)
def deliver_email(message: dict) -> None:
    """Deliver one queued email; a mail server that is down is retried with backoff for about a day."""
    mail.deliver(message)


@shared_task
def clear_expired_sessions() -> None:
    call_command("clearsessions")
