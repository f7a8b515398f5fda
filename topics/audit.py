"""The moderation log: every moderator action in a group, with who, what, when and why. Rows are only ever added."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    PIN = "pin", _("Pinned a thread")
    UNPIN = "unpin", _("Unpinned a thread")
    LOCK = "lock", _("Closed a thread")
    UNLOCK = "unlock", _("Reopened a thread")
    MOVE = "move", _("Moved a thread")
    RENAME = "rename", _("Renamed a thread")
    EDIT_POST = "edit_post", _("Edited another member's post")
    DELETE_POST = "delete_post", _("Removed a post")
    HIDE_POST = "hide_post", _("Hid a post")
    UNHIDE_POST = "unhide_post", _("Made a hidden post visible again")
    FLAG_DISMISSED = "flag_dismissed", _("Dismissed flags")
    WARN = "warn", _("Warned a member")
    ROLE_CHANGE = "role_change", _("Changed a member's role")
    REMOVE_MEMBER = "remove_member", _("Removed a member")
    JOIN_APPROVED = "join_approved", _("Approved a join request")
    JOIN_DECLINED = "join_declined", _("Declined a join request")
    INVITE = "invite", _("Invited someone")
    REVOKE_INVITATION = "revoke_invitation", _("Revoked an invitation")
    SUSPEND = "suspend", _("Suspended a member")
    BAN = "ban", _("Banned a member")
    LIFT_SUSPENSION = "lift_suspension", _("Lifted a suspension or ban")
    PROMPT_PUBLISH = "prompt_publish", _("Published a prompt")
    PROMPT_CLOSE = "prompt_close", _("Closed a prompt")
    PROMPT_REOPEN = "prompt_reopen", _("Reopened a prompt")
    PROMPT_REMIND = "prompt_remind", _("Reminded members to answer a prompt")
    OUTCOME_EDIT = "outcome_edit", _("Wrote or edited an outcome")
    SETTINGS = "settings", _("Changed the group's settings")
    SLOW_MODE = "slow_mode", _("Changed a thread's slow mode")
    DEACTIVATE = "deactivate", _("Deactivated an account")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The moderation log is append-only.")

    def delete(self):
        raise TypeError("The moderation log is append-only.")


class AuditEntry(models.Model):
    """One moderator action. Targets are kept by id and by name, so an entry still reads right after a deletion."""

    Action = AuditAction

    group = models.ForeignKey("topics.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    thread = models.ForeignKey("discussions.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    post = models.ForeignKey("discussions.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    prompt = models.ForeignKey("topics.Prompt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the action was about, in words, as it stood then ("Pricing thread → Cost topic").
    summary = models.CharField(max_length=500, blank=True)
    reason = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            # The group's moderation log page reads its newest entries first.
            models.Index(fields=["group", "-created_at"], name="audit_group_recent_idx"),
        ]

    def __str__(self):
        return f"{self.actor} {self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The moderation log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The moderation log is append-only.")


def record(
    *,
    actor,
    action: str,
    group=None,
    target_user=None,
    thread=None,
    post=None,
    prompt=None,
    summary: str = "",
    reason: str = "",
    now=None,
) -> AuditEntry:
    """Write one entry in the moderation log; call it inside the transaction that makes the change."""
    return AuditEntry.objects.create(
        group=group,
        actor=actor,
        action=action,
        target_user=target_user,
        thread=thread,
        post=post,
        prompt=prompt,
        summary=summary[:500],
        reason=reason,
        created_at=now or timezone.now(),
    )
