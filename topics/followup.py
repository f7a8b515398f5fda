"""Following up a prompt: moderators see who has not answered it yet and remind them, at most once a day.

"Answered" is topics.answers' definition (replied in the prompt's thread or voted in its poll). A reminder goes to
each member who has not answered, except suspended or banned members, the prompt's author and the moderator
sending it: a notification (the REMINDER kind, so each member's email choice for reminders decides the email).
The request only writes a PromptReminder row (its unique (prompt, day) constraint is what allows one a day, on the
group's clock), a line in the moderation log and an outbox job; the job (`send_reminder`) makes the notifications.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _


class PromptReminder(models.Model):
    """One moderator's reminder to the members who had not answered a prompt, on one day of the group's clock."""

    prompt = models.ForeignKey("topics.Prompt", on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField(help_text=_("The day it was sent, on the group's clock: one reminder per prompt a day."))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    member_count = models.PositiveIntegerField(default=0, help_text=_("How many members it was for."))
    notified_at = models.DateTimeField(null=True, blank=True, help_text=_("When its notifications were made."))

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["prompt", "day"], name="one_prompt_reminder_per_day")]

    def __str__(self):
        return f"Reminder about {self.prompt} on {self.day}"


class AlreadyRemindedToday(Exception):
    """This prompt's members were already reminded today (the group's day)."""


class NobodyToRemind(Exception):
    """Everyone who can be reminded has answered."""


def group_day(prompt, now: datetime):
    return now.astimezone(prompt.topic.group.tzinfo).date()


def waiting_members(prompt, *, now: datetime) -> list:
    """The members who have not answered `prompt`, by name, each with `can_be_reminded` (False when suspended
    or banned, for a deactivated account and for the prompt's author) and `sanctioned`."""
    from topics.answers import unanswered_memberships
    from topics.sanctions import sanctioned_user_ids

    sanctioned = sanctioned_user_ids(group=prompt.topic.group, now=now).filter(user_id=models.OuterRef("user_id"))
    memberships = unanswered_memberships(prompt).annotate(sanctioned=models.Exists(sanctioned))
    waiting = sorted(memberships, key=lambda m: (m.user.public_name.lower(), m.user.pk))
    for membership in waiting:
        membership.can_be_reminded = (
            not membership.sanctioned and membership.user.is_active and membership.user_id != prompt.author_id
        )
    return waiting


def followup_context(prompt, *, viewer, now: datetime) -> dict:
    """What the follow-up page shows `viewer`: who has not answered, how many a reminder from them would reach,
    and today's reminder."""
    from topics.answers import with_response_counts
    from topics.models import Prompt

    waiting = waiting_members(prompt, now=now)
    counts = with_response_counts(Prompt.objects.filter(pk=prompt.pk)).values(
        "answered_count", "voted_count", "member_count"
    )
    return {
        "counts": counts.get(),
        "waiting": waiting,
        "remindable_count": sum(1 for m in waiting if m.can_be_reminded and m.user_id != viewer.pk),
        "reminded_today": prompt.reminders.filter(day=group_day(prompt, now)).select_related("sent_by").first(),
        "reminders": list(prompt.reminders.select_related("sent_by")[:10]),
    }


def remind_unanswered(*, prompt, by, now: datetime) -> PromptReminder:
    """Remind the members who have not answered `prompt`; raises AlreadyRemindedToday or NobodyToRemind.

    The unique constraint decides a race between two moderators (or two clicks): the second insert fails and
    nothing else is written.
    """
    from groupsite import outbox
    from topics import audit, tasks

    if not prompt.is_open():
        raise NobodyToRemind(gettext("Only an open prompt can be answered, so only an open prompt takes reminders."))
    recipients = [m.user_id for m in waiting_members(prompt, now=now) if m.can_be_reminded and m.user_id != by.pk]
    if not recipients:
        raise NobodyToRemind(gettext("Everyone who can be reminded has answered this prompt."))
    try:
        with transaction.atomic():
            reminder = PromptReminder.objects.create(
                prompt=prompt, day=group_day(prompt, now), sent_by=by, created_at=now, member_count=len(recipients)
            )
            audit.record(
                actor=by,
                action=audit.AuditAction.PROMPT_REMIND,
                group=prompt.topic.group,
                thread=prompt.thread,
                prompt=prompt,
                summary=gettext("%(title)s: reminded %(count)d members")
                % {"title": prompt.title, "count": len(recipients)},
                now=now,
            )
            outbox.enqueue(tasks.send_prompt_reminder, reminder.pk, recipients, now.isoformat())
    except IntegrityError:
        raise AlreadyRemindedToday(
            gettext("The members were already reminded about this prompt today; you can remind them again tomorrow.")
        ) from None
    return reminder


@transaction.atomic
def send_reminder(*, reminder_id: int, user_ids: list[int], now: datetime) -> int:
    """Make a reminder's notifications, once however often the job runs; returns how many."""
    from discussions.notifications import remind_to_answer

    # The row lock makes a second run wait for the first, then find it done.
    reminder = (
        PromptReminder.objects.select_for_update(of=("self",))
        .select_related("prompt__topic__group")
        .filter(pk=reminder_id, notified_at__isnull=True)
        .first()
    )
    if reminder is None:
        return 0
    prompt = reminder.prompt
    # Someone may have answered between the click and now: they are left out.
    still_waiting = {m.user_id for m in waiting_members(prompt, now=now) if m.can_be_reminded}
    created = remind_to_answer(
        prompt=prompt, user_ids=[pk for pk in user_ids if pk in still_waiting], actor_id=reminder.sent_by_id, now=now
    )
    PromptReminder.objects.filter(pk=reminder.pk).update(notified_at=now)
    return created
