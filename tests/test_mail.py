"""Email goes through Celery: CeleryEmailBackend queues, groupsite.tasks.deliver_email delivers (eagerly in tests)."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.utils.translation import gettext_lazy

from groupsite.mail import CeleryEmailBackend, deserialize_message, serialize_message
from groupsite.tasks import deliver_email


@pytest.fixture
def outbox(transactional_db, mailoutbox, settings):
    """mail.outbox, filled by the locmem backend at the far end of the Celery queue.

    The queue is the outbox, handed to Celery once the transaction commits: these tests commit as they go.
    """
    # After mailoutbox: pytest-django's set-up points EMAIL_BACKEND at locmem, and this puts Celery back in front.
    settings.EMAIL_BACKEND = "groupsite.mail.CeleryEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mailoutbox


def rich_message() -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject="Your weekly digest",
        body="Three new threads in China CAR-T market.",
        from_email="Roundtable <noreply@example.org>",
        to=["mei@example.org"],
        cc=["cc@example.org"],
        bcc=["bcc@example.org"],
        reply_to=["moderators@example.org"],
        headers={"List-Unsubscribe": "<https://example.org/unsubscribe/abc>", "X-Roundtable": "digest"},
    )
    message.attach_alternative("<p>Three new threads in <b>China CAR-T market</b>.</p>", "text/html")
    return message


def test_send_mail_arrives_through_the_queue(outbox):
    sent = send_mail("Hello", "A plain message.", "noreply@example.org", ["mei@example.org"])
    assert sent == 1
    [message] = outbox
    assert (message.subject, message.body, message.from_email, message.to) == (
        "Hello",
        "A plain message.",
        "noreply@example.org",
        ["mei@example.org"],
    )


def test_a_message_with_an_html_part_and_headers_arrives_intact(outbox):
    rich_message().send()
    [message] = outbox
    assert message.subject == "Your weekly digest"
    assert message.body == "Three new threads in China CAR-T market."
    assert message.from_email == "Roundtable <noreply@example.org>"
    assert (message.to, message.cc, message.bcc) == (["mei@example.org"], ["cc@example.org"], ["bcc@example.org"])
    assert message.reply_to == ["moderators@example.org"]
    assert message.extra_headers == {
        "List-Unsubscribe": "<https://example.org/unsubscribe/abc>",
        "X-Roundtable": "digest",
    }
    assert [tuple(part) for part in message.alternatives] == [
        ("<p>Three new threads in <b>China CAR-T market</b>.</p>", "text/html")
    ]


def test_the_delivered_message_keeps_its_headers_on_the_wire(outbox):
    rich_message().send()
    wire = outbox[0].message()
    assert wire["List-Unsubscribe"] == "<https://example.org/unsubscribe/abc>"
    assert wire["Reply-To"] == "moderators@example.org"
    assert "Bcc" not in wire


def test_a_message_is_rebuilt_by_the_delivery_task(outbox):
    sent = EmailMessage("Hello", "A plain message.", to=["mei@example.org"])
    sent.send()
    assert type(outbox[0]) is EmailMultiAlternatives  # deserialize_message's class, not the one sent


def test_a_message_without_recipients_is_not_queued(outbox):
    queued = CeleryEmailBackend().send_messages([EmailMessage("Nobody", "No one to send to.")])
    assert queued == 0
    assert outbox == []


def test_a_message_with_an_attachment_is_refused_rather_than_stripped(outbox):
    message = EmailMessage("Report", "See attached.", to=["mei@example.org"])
    message.attach("report.txt", "numbers", "text/plain")
    with pytest.raises(ValueError, match="Attachments"):
        message.send()
    assert outbox == []


def test_a_serialized_message_is_plain_data(db):
    data = serialize_message(rich_message())
    assert all(isinstance(value, (str, list, dict, bool)) for value in data.values())


def test_serializing_and_deserializing_keeps_every_part(db):
    original = rich_message()
    copy = deserialize_message(serialize_message(original))
    for attribute in ["subject", "body", "from_email", "to", "cc", "bcc", "reply_to", "extra_headers"]:
        assert getattr(copy, attribute) == getattr(original, attribute), attribute
    assert [tuple(part) for part in copy.alternatives] == [tuple(part) for part in original.alternatives]


def test_a_lazy_subject_is_queued_as_text(outbox):
    EmailMessage(gettext_lazy("Password reset"), "Body.", to=["mei@example.org"]).send()
    assert mail.outbox[0].subject == "Password reset"


def test_the_delivery_task_sends_a_queued_message_when_called_directly(outbox):
    deliver_email(serialize_message(rich_message()))
    assert [message.subject for message in outbox] == ["Your weekly digest"]
