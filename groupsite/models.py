import zoneinfo
from datetime import time

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


def validate_timezone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(f"{name!r} is not a time zone name such as Europe/London or Asia/Shanghai.")


class NotificationKind(models.TextChoices):
    """What a notification is about; each kind has its own email choice in the member's preferences."""

    REPLY = "reply", "Replies in threads you watch"
    QUOTE = "quote", "Quotes of your posts"
    MENTION = "mention", "@mentions of you"
    PROMPT = "prompt", "New prompts in your groups"
    NEW_THREAD = "new_thread", "New threads in topics you watch"
    JOIN_APPROVED = "join_approved", "Your join request approved"
    REMINDER = "reminder", "Reminders before a prompt closes"
    WARNING = "warning", "Warnings from a group's moderators"


class EmailChoice(models.TextChoices):
    IMMEDIATELY = "immediately", "Email me at once"
    DIGEST = "digest", "Only in the digest"
    NEVER = "never", "Never"


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
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    NEVER = "never", "Never"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class User(AbstractUser):
    """A person on the site; the profile fields are what other members see beside their posts."""

    display_name = models.CharField(max_length=80, blank=True, help_text="How your name appears on your posts.")
    affiliation = models.CharField(
        max_length=120, blank=True, help_text='Where you speak from, e.g. "clinician, Shanghai" or "biotech investor".'
    )
    bio = models.TextField(max_length=1000, blank=True, help_text="A few sentences about you (plain text).")
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="Times are shown and digests sent on this clock."
    )
    digest_frequency = models.CharField(max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="For a weekly digest."
    )
    digest_time = models.TimeField(default=time(8, 0), help_text="Local time the digest is sent.")
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
        return zoneinfo.ZoneInfo(self.timezone)

    def email_choice(self, kind: str) -> str:
        return self.email_choices.get(kind) or DEFAULT_EMAIL_CHOICES[kind]
