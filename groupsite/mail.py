"""Outgoing email goes through Celery, so a slow mail server never holds up a request.

`CeleryEmailBackend` is Django's EMAIL_BACKEND: it turns each message into a plain
dict and writes it to the outbox (groupsite/outbox.py) in the current transaction;
after the commit `groupsite.tasks.deliver_email` rebuilds the message and hands it
to the real backend named by EMAIL_DELIVERY_BACKEND, once per outbox row. A message
sent in a transaction that rolls back is never delivered; one sent while the broker
is down waits in the outbox.
"""

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from groupsite import outbox


def mark_bulk(message: EmailMessage) -> EmailMessage:
    """Mark mail sent to many members at once (the digest): it is delivered from the digest queue, so it never
    waits in front of urgent mail (groupsite/queues.py)."""
    message.is_bulk = True
    return message


def serialize_message(message: EmailMessage) -> dict:
    if message.attachments:
        # Nothing on the site sends attachments; refuse rather than drop them silently.
        raise ValueError("Attachments cannot be queued for delivery")
    return {
        "subject": storable(message.subject),
        "body": storable(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {name: storable(value) for name, value in message.extra_headers.items()},
        "alternatives": [[storable(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])],
        "bulk": getattr(message, "is_bulk", False),
    }


def storable(text) -> str:
    """Text PostgreSQL's JSON accepts in the outbox: no NUL character, no lone surrogate (neither means anything
    in an email)."""
    return str(text).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def deserialize_message(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def deliver(data: dict, outbox_id: int | None = None) -> int:
    """Send one queued message through the delivery backend; raises if the mail server refuses it.

    With the message's outbox row, a message already delivered is not sent again (0 is returned).
    """

    def send() -> int:
        connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
        return connection.send_messages([deserialize_message(data)])

    if outbox_id is None:
        return send()
    delivered = []
    outbox.deliver_once(outbox_id, lambda: delivered.append(send()))
    return sum(delivered)


def deliver_rows(outbox_ids: list[int]) -> int:
    """Send the emails of these outbox rows that are not delivered yet, over one connection to the mail server.

    Each row is claimed and sent on its own (`outbox.deliver_once`): when the mail server fails on one, those before
    it stay delivered and the error goes up, so that a retry sends the rest. Returns how many were sent.
    """
    from groupsite.models import OutboxMessage

    rows = OutboxMessage.objects.filter(pk__in=outbox_ids, delivered_at__isnull=True).order_by("pk")
    delivered = []
    with get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False) as connection:
        for outbox_id, args in rows.values_list("pk", "args"):
            outbox.deliver_once(
                outbox_id, lambda: delivered.append(connection.send_messages([deserialize_message(args[0])]))
            )
    return sum(delivered)


class CeleryEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from groupsite.tasks import deliver_email

        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            outbox.enqueue(deliver_email, serialize_message(message))
            queued += 1
        return queued
