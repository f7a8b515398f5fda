"""Membership operations: joining, asking to join, invitations, leaving."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from topics.models import Group, Invitation, JoinRequest, Membership


def add_member(*, group: Group, user, role: str = Membership.Role.MEMBER) -> Membership:
    """Make the user a member; harmless if they already are (their role is kept)."""
    membership, _ = Membership.objects.get_or_create(group=group, user=user, defaults={"role": role})
    # Anything they were still asking for is settled by their joining.
    JoinRequest.objects.filter(group=group, user=user, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.APPROVED
    )
    return membership


def join_public_group(*, group: Group, user) -> Membership:
    if not group.is_public:
        raise ValidationError("This group is private: ask to join instead.")
    return add_member(group=group, user=user)


def request_to_join(*, group: Group, user, answers: list[tuple[str, str]]) -> JoinRequest:
    """Ask a moderator to let the user into a private group; a second request while one waits is refused."""
    if Membership.objects.filter(group=group, user=user).exists():
        raise ValidationError("You are already a member of this group.")
    try:
        with transaction.atomic():
            return JoinRequest.objects.create(group=group, user=user, answers=[list(pair) for pair in answers])
    except IntegrityError:
        raise ValidationError("You have already asked to join; a moderator will answer soon.") from None


@transaction.atomic
def decide_join_request(*, join_request: JoinRequest, moderator, approve: bool, now: datetime) -> bool:
    """Approve or decline a pending request; returns False if someone else already decided it."""
    status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    # A conditional update settles two moderators clicking at once: only one of them decides.
    decided = JoinRequest.objects.filter(pk=join_request.pk, status=JoinRequest.Status.PENDING).update(
        status=status, decided_by=moderator, decided_at=now
    )
    if not decided:
        return False
    if approve:
        Membership.objects.get_or_create(group=join_request.group, user=join_request.user)
    group = join_request.group
    context = {"group": group, "approved": approve, "group_url": settings.SITE_URL + group.get_absolute_url()}
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[{group.name}] Your request to join was {'approved' if approve else 'declined'}",
            message=render_to_string("emails/join_request_decided_body.txt", context),
            from_email=None,
            recipient_list=[join_request.user.email],
        )
    )
    return True


def withdraw_join_request(*, group: Group, user) -> bool:
    return bool(
        JoinRequest.objects.filter(group=group, user=user, status=JoinRequest.Status.PENDING).update(
            status=JoinRequest.Status.WITHDRAWN
        )
    )


@transaction.atomic
def leave_group(*, group: Group, user) -> None:
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        return
    if membership.role == Membership.Role.OWNER and _is_last_owner(membership):
        raise ValidationError("You are the group's only owner: make someone else an owner before you leave.")
    membership.delete()


@transaction.atomic
def change_role(*, membership: Membership, role: str, changed_by: Membership) -> bool:
    """Owners set anyone's role; the group always keeps at least one owner."""
    if not changed_by.role == Membership.Role.OWNER:
        raise PermissionDenied("Only the group's owners can change roles.")
    if role not in Membership.Role.values:
        raise ValidationError(f"{role!r} is not a role.")
    if membership.role == role:
        return False
    if membership.role == Membership.Role.OWNER and _is_last_owner(membership):
        raise ValidationError("A group needs an owner: make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return True


@transaction.atomic
def remove_member(*, membership: Membership, removed_by: Membership) -> None:
    """Moderators remove members; only owners remove moderators and other owners."""
    if not removed_by.is_moderator:
        raise PermissionDenied("Only moderators can remove members.")
    if membership.is_moderator and removed_by.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner can remove a moderator or an owner.")
    if membership.role == Membership.Role.OWNER and _is_last_owner(membership):
        raise ValidationError("A group needs an owner: make someone else an owner first.")
    membership.delete()


def _is_last_owner(membership: Membership) -> bool:
    owners = Membership.objects.select_for_update().filter(group_id=membership.group_id, role=Membership.Role.OWNER)
    return not owners.exclude(pk=membership.pk).exists()


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.INVITATION_LIFETIME_DAYS)


def invite_by_email(*, group: Group, email: str, invited_by, now: datetime) -> Invitation:
    """Create a single-use invitation and email its link to the person."""
    invitation = Invitation.objects.create(group=group, email=email, created_by=invited_by, expires_at=_expiry(now))
    context = {
        "group": group,
        "invited_by": invited_by,
        "invitation": invitation,
        "accept_url": settings.SITE_URL + invitation.get_absolute_url(),
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{invited_by.public_name} invites you to {group.name} on Roundtable",
            message=render_to_string("emails/invitation_body.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


def create_invitation_link(*, group: Group, created_by, now: datetime) -> Invitation:
    return Invitation.objects.create(group=group, created_by=created_by, expires_at=_expiry(now))


def revoke_invitation(*, invitation: Invitation, now: datetime) -> bool:
    return bool(Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=now))


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user, now: datetime) -> Membership:
    """Join the invitation's group; an email invitation works once, a link until it expires or is revoked."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    existing = Membership.objects.filter(group=invitation.group, user=user).first()
    if existing is not None:
        return existing  # an invitation opened by someone already inside stays usable for its real recipient
    if not invitation.is_usable(now):
        raise ValidationError("This invitation has expired or was revoked. Ask a moderator for a new one.")
    membership = add_member(group=invitation.group, user=user)
    fields = {"use_count": invitation.use_count + 1}
    if not invitation.is_link:
        fields["accepted_at"] = now
    Invitation.objects.filter(pk=invitation.pk).update(**fields)
    return membership
