"""Suspensions and bans: a moderator stops a member taking part in a group, for a while or for good.

A suspension keeps the membership, read-only, until it ends by itself (or is lifted): the member still reads
the group but cannot post, reply, start threads, edit, vote, flag or be @mentioned. A ban removes the
membership and keeps refusing the person: joining, asking to join and invitations all check for it, so
leaving and coming back does not undo it. Moderators sanction members; only owners sanction moderators (who
are made members first, so no sanctioned person keeps a moderator's tools); nobody sanctions an owner.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy as _

from groupsite import clock, freshness
from topics import audit


class SanctionQuerySet(models.QuerySet):
    def active(self, now: datetime):
        """In force at `now`: started, not lifted, and (for a suspension) not yet over."""
        return self.filter(lifted_at__isnull=True, starts_at__lte=now).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )


class Sanction(models.Model):
    class Kind(models.TextChoices):
        SUSPENSION = "suspension", _("Suspension")
        BAN = "ban", _("Ban")

    group = models.ForeignKey("topics.Group", on_delete=models.CASCADE, related_name="sanctions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sanctions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(max_length=2000)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty for a ban: it lasts until lifted."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            # Joining, asking to join and accepting an invitation ask whether this person is banned here.
            models.Index(fields=["group", "user", "kind"], name="sanction_group_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="ban", ends_at__isnull=True)
                | Q(kind="suspension", ends_at__isnull=False, ends_at__gt=models.F("starts_at")),
                name="sanction_ban_has_no_end_suspension_has_one",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.user} in {self.group}"

    @property
    def is_ban(self) -> bool:
        return self.kind == self.Kind.BAN

    def is_active(self, now: datetime) -> bool:
        return self.lifted_at is None and self.starts_at <= now and (self.ends_at is None or self.ends_at > now)

    def refusal(self, tzinfo=None) -> str:
        """Why the person may not take part, and until when (on `tzinfo`'s clock, named), in their words."""
        if self.is_ban:
            return gettext("You are banned from this group. Reason: %(reason)s") % {"reason": self.reason}
        tzinfo = tzinfo or timezone.get_current_timezone()
        ends = timezone.localtime(self.ends_at, tzinfo)
        return gettext("You are suspended from this group until %(ends)s %(zone)s. Reason: %(reason)s") % {
            "ends": formats.date_format(ends, "j M Y, H:i"),
            "zone": clock.zone_label(tzinfo),
            "reason": self.reason,
        }


def active_ban(*, group, user, now: datetime | None = None) -> Sanction | None:
    if not user.is_authenticated:
        return None
    bans = Sanction.objects.filter(group=group, user=user, kind=Sanction.Kind.BAN)
    return bans.active(now or timezone.now()).first()


def sanction_on_reader(*, user, group, membership, now: datetime | None = None) -> Sanction | None:
    """What keeps this reader from taking part, for the notice in place of the reply box: their suspension, or a
    ban (a banned person is no longer a member)."""
    if membership is not None:
        return membership.active_suspension(now)
    return active_ban(group=group, user=user, now=now)


def sanctioned_user_ids(*, group, now: datetime | None = None):
    """The ids of those suspended or banned from the group now, as a subquery: nobody may @mention them."""
    return Sanction.objects.filter(group=group).active(now or timezone.now()).values("user_id")


def check_not_banned(*, group, user, now: datetime | None = None) -> None:
    """Raise ValidationError for someone banned from the group: the check every way into a group makes."""
    if active_ban(group=group, user=user, now=now) is not None:
        raise ValidationError(gettext("You are banned from this group, so you cannot join it."))


def carry_over_suspension(*, membership, now: datetime | None = None) -> None:
    """Attach the suspension still in force from an earlier membership to a new one."""
    suspension = (
        Sanction.objects.filter(group_id=membership.group_id, user_id=membership.user_id, kind=Sanction.Kind.SUSPENSION)
        .active(now or timezone.now())
        .first()
    )
    if suspension is not None:
        membership.suspension = suspension
        membership.save(update_fields=["suspension"])


def check_may_sanction(*, target, actor) -> None:
    """Moderators sanction members; owners sanction moderators too, once made members; owners are not sanctioned."""
    from topics.models import Membership

    if not actor.is_moderator:
        raise PermissionDenied(gettext("Only the group's moderators can suspend or ban members."))
    if target.user_id == actor.user_id:
        raise ValidationError(gettext("You cannot suspend or ban yourself."))
    if target.role == Membership.Role.OWNER:
        raise ValidationError(gettext("An owner cannot be suspended or banned."))
    if target.role == Membership.Role.MODERATOR:
        if actor.role != Membership.Role.OWNER:
            raise PermissionDenied(gettext("Only an owner can suspend or ban a moderator."))
        raise ValidationError(gettext("Make this moderator a member first, then suspend or ban them."))


def _lift_current(*, membership, actor, now: datetime) -> None:
    if membership.suspension_id is not None:
        Sanction.objects.filter(pk=membership.suspension_id, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor.user
        )


@transaction.atomic
def suspend_member(*, membership, actor, ends_at: datetime, reason: str, now: datetime) -> Sanction:
    """Make a member read-only until `ends_at`; a new suspension replaces the one in force."""
    check_may_sanction(target=membership, actor=actor)
    if ends_at <= now:
        raise ValidationError(gettext("A suspension must end in the future."))
    _lift_current(membership=membership, actor=actor, now=now)
    sanction = Sanction.objects.create(
        group_id=membership.group_id,
        user_id=membership.user_id,
        kind=Sanction.Kind.SUSPENSION,
        reason=reason,
        starts_at=now,
        ends_at=ends_at,
        created_by=actor.user,
    )
    membership.suspension = sanction
    membership.save(update_fields=["suspension"])
    freshness.changed(groups=[membership.group_id])
    audit.record(
        actor=actor.user,
        action=audit.AuditAction.SUSPEND,
        group=membership.group,
        target_user=membership.user,
        summary=gettext("Suspended until %(ends)s") % {"ends": ends_at.isoformat(timespec="minutes")},
        reason=reason,
        now=now,
    )
    return sanction


@transaction.atomic
def ban_member(*, membership, actor, reason: str, now: datetime) -> Sanction:
    """Remove a member and keep them out: a ban has no end and is only undone by lifting it."""
    from topics.models import JoinRequest

    check_may_sanction(target=membership, actor=actor)
    _lift_current(membership=membership, actor=actor, now=now)
    sanction = Sanction.objects.create(
        group_id=membership.group_id,
        user_id=membership.user_id,
        kind=Sanction.Kind.BAN,
        reason=reason,
        starts_at=now,
        created_by=actor.user,
    )
    audit.record(
        actor=actor.user,
        action=audit.AuditAction.BAN,
        group=membership.group,
        target_user=membership.user,
        summary=gettext("Banned and removed from the group"),
        reason=reason,
        now=now,
    )
    membership.delete()
    freshness.changed(groups=[membership.group_id])  # one member fewer (moderators are never banned)
    # Whatever the person was still asking for is answered by the ban.
    pending = JoinRequest.objects.filter(
        group_id=sanction.group_id, user_id=sanction.user_id, status=JoinRequest.Status.PENDING
    )
    pending.update(status=JoinRequest.Status.DECLINED, decided_by=actor.user, decided_at=now)
    return sanction


@transaction.atomic
def lift_sanction(*, sanction: Sanction, actor, now: datetime, reason: str = "") -> bool:
    """End a suspension or ban early; returns False if it was already over or lifted."""
    if not actor.is_moderator or actor.group_id != sanction.group_id:
        raise PermissionDenied(gettext("Only the group's moderators can lift a suspension or ban."))
    lifted = Sanction.objects.filter(pk=sanction.pk).active(now).update(lifted_at=now, lifted_by=actor.user)
    if not lifted:
        return False
    sanction.lifted_at, sanction.lifted_by = now, actor.user
    freshness.changed(groups=[sanction.group_id])
    audit.record(
        actor=actor.user,
        action=audit.AuditAction.LIFT_SUSPENSION,
        group=sanction.group,
        target_user=sanction.user,
        summary=sanction.get_kind_display(),
        reason=reason,
        now=now,
    )
    return True


def current_sanctions(*, group, now: datetime):
    """The group's suspensions and bans in force, for its moderators' member page."""
    return group.sanctions.active(now).select_related("user", "created_by").order_by("ends_at", "-starts_at")
