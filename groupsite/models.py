import zoneinfo
from datetime import time

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from groupsite import clock
from groupsite.timezones import is_zone_name


def validate_timezone(name: str) -> None:
    if not is_zone_name(name):
        raise ValidationError(
            gettext("%(name)s is not a time zone name such as Europe/London or Asia/Shanghai.") % {"name": repr(name)}
        )


class NotificationKind(models.TextChoices):
    """What a notification is about; each kind has its own email choice in the member's preferences."""

    REPLY = "reply", _("Replies in threads you watch")
    QUOTE = "quote", _("Quotes of your posts")
    MENTION = "mention", _("@mentions of you")
    PROMPT = "prompt", _("New prompts in your groups")
    NEW_THREAD = "new_thread", _("New threads in topics you watch")
    JOIN_APPROVED = "join_approved", _("Your join request approved")
    REMINDER = "reminder", _("Reminders before a prompt closes")
    WARNING = "warning", _("Warnings from a group's moderators")


class EmailChoice(models.TextChoices):
    IMMEDIATELY = "immediately", _("Email me at once")
    DIGEST = "digest", _("Only in the digest")
    NEVER = "never", _("Never")


# What a member gets before they choose: what is addressed to them at once, the rest in the digest.
DEFAULT_EMAIL_CHOICES = {
    NotificationKind.REPLY: EmailChoice.DIGEST,
    NotificationKind.QUOTE: EmailChoice.IMMEDIATELY,
    NotificationKind.MENTION: EmailChoice.IMMEDIATELY,
    NotificationKind.PROMPT: EmailChoice.DIGEST,
    NotificationKind.NEW_THREAD: EmailChoice.DIGEST,
    NotificationKind.JOIN_APPROVED: EmailChoice.IMMEDIATELY,
    NotificationKind.REMINDER: EmailChoice.IMMEDIATELY,
    NotificationKind.WARNING: EmailChoice.IMMEDIATELY,
}


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    NEVER = "never", _("Never")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class User(AbstractUser):
    """A person on the site; the profile fields are what other members see beside their posts."""

    display_name = models.CharField(max_length=80, blank=True, help_text=_("How your name appears on your posts."))
    affiliation = models.CharField(
        max_length=120,
        blank=True,
        help_text=_('Where you speak from, e.g. "clinician, Shanghai" or "biotech investor".'),
    )
    bio = models.TextField(max_length=1000, blank=True, help_text=_("A few sentences about you (plain text)."))
    # Blank: never chosen, so times follow groupsite.clock's rule (the group's clock, else the site's).
    timezone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_timezone],
        help_text=_("Times are shown and digests sent on this clock; blank shows each group's own time."),
    )
    # Blank: never chosen, so pages follow the browser and emails the site's language (groupsite.languages).
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        help_text=_("The site and your emails are in this language; not chosen follows your browser."),
    )
    digest_frequency = models.CharField(max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text=_("For a weekly digest.")
    )
    digest_time = models.TimeField(default=time(8, 0), help_text=_("Local time the digest is sent."))
    # {kind: EmailChoice}; a kind missing here follows DEFAULT_EMAIL_CHOICES.
    email_choices = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return self.public_name

    def get_absolute_url(self):
        return reverse("profile", args=[self.username])

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The member's clock outside any group: their own zone, else the site's (groupsite.clock)."""
        return clock.reader_zone(self)

    def email_choice(self, kind: str) -> str:
        return self.email_choices.get(kind) or DEFAULT_EMAIL_CHOICES[kind]


# The outbox's one task that records its own delivery (OutboxMessage.delivered_at).
EMAIL_DELIVERY_TASK = "groupsite.tasks.deliver_email"
# Several rows' emails at once (groupsite/outbox.py); each row is still an EMAIL_DELIVERY_TASK job of its own.
EMAIL_BATCH_DELIVERY_TASK = "groupsite.tasks.deliver_emails"


class OutboxMessage(models.Model):
    """A follow-up job (a Celery task and its arguments), written in the transaction of the change that needs it.

    After the commit it is handed to the broker and marked sent; while the broker is unreachable it waits here,
    and the worker sends it when the broker is back (groupsite/outbox.py). An email's row also records its
    delivery, so that a row handed off twice still sends one email.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("When it was last handed to the broker."))
    handoffs = models.PositiveSmallIntegerField(default=0, help_text=_("How many times it was handed to the broker."))
    delivered_at = models.DateTimeField(null=True, blank=True, help_text=_("Emails only: when the mail server took it."))

    class Meta:
        indexes = [
            # send_pending(): the rows still waiting for the broker, oldest first.
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_pending_idx"),
            # send_pending(): emails handed off a while ago and still not delivered (a broker that lost them).
            models.Index(
                fields=["sent_at"],
                condition=models.Q(task=EMAIL_DELIVERY_TASK, delivered_at__isnull=True),
                name="outbox_undelivered_email_idx",
            ),
        ]

    def __str__(self):
        return f"{self.task} #{self.pk}"
