"""Membership operations: joining, asking to join, invitations, leaving."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.timezone import now as timezone_now
from django.utils.translation import gettext

from discussions import tasks as discussion_tasks
from discussions.emails import render_plain_text
from discussions.moderation import HOUR, RateLimited, count_in_window
from discussions.search import index as search_index
from topics import page_parts, sanctions
from topics import audit
from topics.audit import AuditAction
from groupsite import freshness, languages, outbox
from groupsite.models import User
from topics.models import Group, Invitation, JoinRequest, Membership, PromptProgramme, Topic


def _one_line(text: str) -> str:
    """An email header from names people typed: a line break in a group name would break the header (BadHeaderError)."""
    return " ".join(text.split())


def add_member(*, group: Group, user, role: str = Membership.Role.MEMBER) -> Membership:
    """Make the user a member; harmless if they already are (their role is kept). A banned person is refused."""
    sanctions.check_not_banned(group=group, user=user)
    membership, created = Membership.objects.get_or_create(group=group, user=user, defaults={"role": role})
    if created:
        sanctions.carry_over_suspension(membership=membership)  # leaving and rejoining does not end a suspension
        page_parts.membership_changed(group_id=group.pk, user_id=user.pk, badge=membership.is_moderator)
    # Anything they were still asking for is settled by their joining.
    JoinRequest.objects.filter(group=group, user=user, status=JoinRequest.Status.PENDING).update(
        status=JoinRequest.Status.APPROVED
    )
    return membership


def check_name_fits_group(*, group: Group, user) -> None:
    """Refuse someone whose name reads like that of one of the group's owners or moderators: a look-alike
    name taken while outside the group must not pass for its staff inside it."""
    from groupsite import names

    lookalike = names.staff_lookalike(user.public_name, names.staff_of(group).exclude(pk=user.pk))
    if lookalike is not None:
        raise ValidationError(
            gettext("Your name, %(name)s, reads too much like that of %(staff)s, who runs this group: "
              "change it under Your profile, then join."),
            code="staff_lookalike",
            params={"name": user.public_name, "staff": lookalike},
        )


def join_public_group(*, group: Group, user) -> Membership:
    if not group.is_public:
        raise ValidationError(gettext("This group is private: ask to join instead."))
    check_name_fits_group(group=group, user=user)
    return add_member(group=group, user=user)


def _count_or_refuse(*, key: str, limit: int, message: str, now: datetime) -> None:
    """Count one more action in this hour; raise RateLimited (the 429 page) when it is one past `limit`."""
    seconds = now.timestamp()
    if count_in_window(key=key, window=HOUR, now=seconds) > limit:
        raise RateLimited(message, retry_after=HOUR - int(seconds % HOUR))


def request_to_join(*, group: Group, user, answers: list[tuple[str, str]]) -> JoinRequest:
    """Ask a moderator to let the user into a private group; a second request while one waits is refused.

    Each request reaches the group's moderators, so asking again and again (withdraw, ask, across groups) is limited
    to JOIN_REQUESTS_PER_HOUR.
    """
    if Membership.objects.filter(group=group, user=user).exists():
        raise ValidationError(gettext("You are already a member of this group."))
    sanctions.check_not_banned(group=group, user=user)
    check_name_fits_group(group=group, user=user)
    _count_or_refuse(
        key=f"join-requests:{user.pk}",
        limit=settings.JOIN_REQUESTS_PER_HOUR,
        message=gettext("You have asked to join groups many times in the last hour: wait a while and try again."),
        now=timezone_now(),
    )
    try:
        with transaction.atomic():
            return JoinRequest.objects.create(group=group, user=user, answers=[list(pair) for pair in answers])
    except IntegrityError:
        raise ValidationError(gettext("You have already asked to join; a moderator will answer soon.")) from None


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
    audit.record(
        actor=moderator,
        action=AuditAction.JOIN_APPROVED if approve else AuditAction.JOIN_DECLINED,
        group=join_request.group,
        target_user=join_request.user,
        summary=join_request.user.public_name,
        now=now,
    )
    if approve:
        membership, created = Membership.objects.get_or_create(group=join_request.group, user=join_request.user)
        if created:
            sanctions.carry_over_suspension(membership=membership)
            page_parts.membership_changed(group_id=join_request.group_id, user_id=join_request.user_id, badge=False)
        outbox.enqueue(discussion_tasks.notify_join_approved, join_request.pk, now.isoformat())
    group = join_request.group
    context = {"group": group, "approved": approve, "group_url": settings.SITE_URL + group.get_absolute_url()}
    transaction.on_commit(lambda: _email_join_decision(join_request.user, context))
    return True


def _email_join_decision(user, context: dict) -> None:
    with languages.speaking(user):  # the member's language, whoever decided and in whatever language
        if context["approved"]:
            subject = gettext("[%(group)s] Your request to join was approved")
        else:
            subject = gettext("[%(group)s] Your request to join was declined")
        send_mail(
            subject=_one_line(subject % {"group": context["group"].name}),
            message=render_plain_text("emails/join_request_decided_body.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )


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
        raise ValidationError(gettext("You are the group's only owner: make someone else an owner before you leave."))
    membership.delete()
    page_parts.membership_changed(group_id=group.pk, user_id=user.pk, badge=membership.is_moderator)


@transaction.atomic
def change_role(*, membership: Membership, role: str, changed_by: Membership) -> bool:
    """Owners set anyone's role; the group always keeps at least one owner."""
    if not changed_by.role == Membership.Role.OWNER:
        raise PermissionDenied(gettext("Only the group's owners can change roles."))
    if role not in Membership.Role.values:
        raise ValidationError(gettext("%(role)r is not a role.") % {"role": role})
    if membership.role == role:
        return False
    if membership.role == Membership.Role.OWNER and _is_last_owner(membership):
        raise ValidationError(gettext("A group needs an owner: make someone else an owner first."))
    old_role = membership.get_role_display()
    had_badge = membership.is_moderator
    membership.role = role
    membership.save(update_fields=["role"])
    # Owners and moderators wear a badge beside their name; an owner made moderator changes which one.
    page_parts.membership_changed(group_id=membership.group_id, user_id=membership.user_id, badge=had_badge or membership.is_moderator)
    audit.record(
        actor=changed_by.user,
        action=AuditAction.ROLE_CHANGE,
        group=membership.group,
        target_user=membership.user,
        summary=f"{membership.user.public_name}: {old_role} → {membership.get_role_display()}",
    )
    return True


@transaction.atomic
def remove_member(*, membership: Membership, removed_by: Membership, reason: str = "") -> None:
    """Moderators remove members; only owners remove moderators and other owners."""
    if not removed_by.is_moderator:
        raise PermissionDenied(gettext("Only moderators can remove members."))
    if membership.is_moderator and removed_by.role != Membership.Role.OWNER:
        raise PermissionDenied(gettext("Only an owner can remove a moderator or an owner."))
    if membership.role == Membership.Role.OWNER and _is_last_owner(membership):
        raise ValidationError(gettext("A group needs an owner: make someone else an owner first."))
    membership.delete()
    page_parts.membership_changed(group_id=membership.group_id, user_id=membership.user_id, badge=membership.is_moderator)
    audit.record(
        actor=removed_by.user,
        action=AuditAction.REMOVE_MEMBER,
        group=membership.group,
        target_user=membership.user,
        summary=membership.user.public_name,
        reason=reason,
    )


def _is_last_owner(membership: Membership) -> bool:
    owners = Membership.objects.select_for_update().filter(group_id=membership.group_id, role=Membership.Role.OWNER)
    return not owners.exclude(pk=membership.pk).exists()


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.INVITATION_LIFETIME_DAYS)


def _count_invitation(*, moderator, now: datetime) -> None:
    """Invitations send email to any address: a moderator's account makes at most INVITATIONS_PER_HOUR."""
    _count_or_refuse(
        key=f"invitations:{moderator.pk}",
        limit=settings.INVITATIONS_PER_HOUR,
        message=gettext("You have made many invitations in the last hour: wait a while and try again."),
        now=now,
    )


@transaction.atomic
def invite_by_email(*, group: Group, email: str, invited_by, now: datetime) -> Invitation:
    """Create a single-use invitation and email its link to the person."""
    _count_invitation(moderator=invited_by, now=now)
    invitation = Invitation.objects.create(group=group, email=email, created_by=invited_by, expires_at=_expiry(now))
    audit.record(actor=invited_by, action=AuditAction.INVITE, group=group, summary=email, now=now)
    context = {
        "group": group,
        "invited_by": invited_by,
        "invitation": invitation,
        "accept_url": settings.SITE_URL + invitation.get_absolute_url(),
    }
    transaction.on_commit(lambda: _email_invitation(email, context))
    return invitation


def _email_invitation(email: str, context: dict) -> None:
    # A member already here reads it in their language; an unknown address gets the site's.
    recipient = User.objects.filter(email__iexact=email, is_active=True).first()
    with languages.speaking(recipient):
        subject = gettext("%(inviter)s invites you to %(group)s on Roundtable") % {
            "inviter": context["invited_by"].public_name,
            "group": context["group"].name,
        }
        send_mail(
            subject=_one_line(subject),
            message=render_plain_text("emails/invitation_body.txt", context),
            from_email=None,
            recipient_list=[email],
        )


@transaction.atomic
def create_invitation_link(*, group: Group, created_by, now: datetime) -> Invitation:
    _count_invitation(moderator=created_by, now=now)
    invitation = Invitation.objects.create(group=group, created_by=created_by, expires_at=_expiry(now))
    audit.record(actor=created_by, action=AuditAction.INVITE, group=group, summary="Shareable link", now=now)
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, now: datetime, revoked_by=None) -> bool:
    """Stop an invitation's link working; `revoked_by` (the moderator) is written to the moderation log."""
    revoked = Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked and revoked_by is not None:
        audit.record(
            actor=revoked_by,
            action=AuditAction.REVOKE_INVITATION,
            group=invitation.group,
            summary=invitation.email or "Shareable link",
            now=now,
        )
    return bool(revoked)


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user, now: datetime) -> Membership:
    """Join the invitation's group; an email invitation works once, a link until it expires or is revoked."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    existing = Membership.objects.filter(group=invitation.group, user=user).first()
    if existing is not None:
        return existing  # an invitation opened by someone already inside stays usable for its real recipient
    if not invitation.is_usable(now):
        raise ValidationError(gettext("This invitation has expired or was revoked. Ask a moderator for a new one."))
    check_name_fits_group(group=invitation.group, user=user)
    membership = add_member(group=invitation.group, user=user)
    fields = {"use_count": invitation.use_count + 1}
    if not invitation.is_link:
        fields["accepted_at"] = now
    Invitation.objects.filter(pk=invitation.pk).update(**fields)
    return membership


# Group settings and topics, managed by the group's moderators from the site.

# topics/new/ is the form for a new topic, so no topic may take that web address.
RESERVED_TOPIC_SLUGS = frozenset({"new"})


@transaction.atomic
def update_group_settings(
    *,
    group: Group,
    changed_by: Membership,
    name: str,
    description: str,
    visibility: str,
    membership_questions: str,
    timezone: str,
    evidence_stale_after_days: int,
    emails_titles_only: bool = False,
    new_member_post_limit: int | None = None,
    new_member_link_limit: int | None = None,
    flags_to_hide: int | None = None,
) -> list[str]:
    """Save the group's settings and return the names of those that changed; only an owner may change visibility."""
    if changed_by.group_id != group.pk or not changed_by.is_moderator:
        raise PermissionDenied(gettext("Only the group's moderators can change its settings."))
    check_visibility_change(group=group, changed_by=changed_by, visibility=visibility)
    wanted = {
        "name": name,
        "description": description,
        "visibility": visibility,
        "membership_questions": membership_questions,
        "timezone": timezone,
        "evidence_stale_after_days": evidence_stale_after_days,
        "emails_titles_only": emails_titles_only,
        "new_member_post_limit": new_member_post_limit,
        "new_member_link_limit": new_member_link_limit,
    }
    if flags_to_hide is not None:
        wanted["flags_to_hide"] = flags_to_hide
    changed = [field for field, value in wanted.items() if getattr(group, field) != value]
    for field in changed:
        setattr(group, field, wanted[field])
    if changed:
        # Only what changed is written, so two moderators editing different settings do not undo each other.
        group.save(update_fields=changed)
        # Every page of the group shows its name, clock or visibility (and the home page lists it). A group made
        # private is closed to visitors by the access check on every request, cached page or not.
        freshness.changed(groups=[group.pk])
        audit.record(
            actor=changed_by.user,
            action=AuditAction.SETTINGS,
            group=group,
            summary=", ".join(str(Group._meta.get_field(field).verbose_name) for field in changed),
        )
    if "timezone" in changed:
        _reschedule_programme(group)
    return changed


def _reschedule_programme(group: Group) -> None:
    """A new time zone moves the programme's next release to the same local time on the new clock."""
    from topics.scheduling import schedule_programme

    programme = PromptProgramme.objects.filter(group=group).first()
    if programme is not None:
        programme.group = group
        schedule_programme(programme=programme, now=timezone_now())


def check_visibility_change(*, group: Group, changed_by: Membership, visibility: str) -> None:
    """Raise ValidationError if the membership may not give the group this visibility."""
    if visibility != group.visibility and changed_by.role != Membership.Role.OWNER:
        # Making a private group public shows every post to the world: the owners decide that.
        raise ValidationError({"visibility": gettext("Only an owner can change who can see the group.")})


def check_topic_slug(*, group: Group, slug: str, topic: Topic | None = None) -> None:
    """Raise ValidationError if the slug is reserved or another topic of the group has it."""
    if slug in RESERVED_TOPIC_SLUGS:
        message = gettext("“%(slug)s” is reserved for the site's own pages: choose another web address.")
        raise ValidationError({"slug": message % {"slug": slug}})
    others = Topic.objects.filter(group=group, slug=slug)
    if topic is not None:
        others = others.exclude(pk=topic.pk)
    if others.exists():
        raise ValidationError({"slug": _slug_taken(slug)})


def _slug_taken(slug: str) -> str:
    message = gettext("Another topic in this group already uses the web address “%(slug)s”: choose another.")
    return message % {"slug": slug}


@transaction.atomic
def create_topic(
    *, group: Group, title: str, slug: str, briefing: str, briefing_language: str = "", briefing_translated: str = ""
) -> Topic:
    """Add a topic at the end of the group's list; its briefing (and the other language's version) rendered when
    saved. An empty `briefing_language` is the site's."""
    bilingual = {"briefing_translated": briefing_translated} | (
        {"briefing_language": briefing_language} if briefing_language else {}
    )
    check_topic_slug(group=group, slug=slug)
    last = Topic.objects.filter(group=group).aggregate(Max("position"))["position__max"] or 0
    try:
        with transaction.atomic():  # the unique constraint settles two moderators taking the same slug at once
            topic = Topic.objects.create(
                group=group, title=title, slug=slug, briefing=briefing, position=last + 1, **bilingual
            )
    except IntegrityError:
        raise ValidationError({"slug": _slug_taken(slug)}) from None
    search_index.index_briefing(topic)
    freshness.changed(topics=[topic.pk], groups=[group.pk])  # the group page lists its topics
    return topic


@transaction.atomic
def update_topic(
    *, topic: Topic, title: str, slug: str, briefing: str, briefing_language: str = "", briefing_translated=None
) -> Topic:
    """Save the topic's new title, address and briefing; the briefing's language and other-language version only
    when given (empty language, None version: left as they are)."""
    check_topic_slug(group=topic.group, slug=slug, topic=topic)
    topic.title, topic.slug, topic.briefing = title, slug, briefing
    fields = ["title", "slug", "briefing"]
    if briefing_language:
        topic.briefing_language = briefing_language
        fields.append("briefing_language")
    if briefing_translated is not None:
        topic.briefing_translated = briefing_translated
        fields.append("briefing_translated")
    try:
        with transaction.atomic():
            topic.save(update_fields=fields)  # Topic.save adds the HTML of each
    except IntegrityError:
        raise ValidationError({"slug": _slug_taken(slug)}) from None
    search_index.index_briefing(topic)
    # Its threads' pages name their topic too.
    threads = topic.threads.values_list("pk", flat=True)
    freshness.changed(threads=list(threads), topics=[topic.pk], groups=[topic.group_id])
    return topic


@transaction.atomic
def move_topic(*, topic: Topic, direction: str) -> bool:
    """Swap the topic with its neighbour ("up" or "down") and number the group's topics 1..n.

    Returns False when the topic is already first (up) or last (down); nothing is written then.
    """
    if direction not in {"up", "down"}:
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    # Locking the group's topics makes two quick clicks (or two moderators) apply one after the other.
    topics = list(
        Topic.objects.select_for_update()
        .filter(group_id=topic.group_id)
        .only("pk", "group_id", "position", "title")
        .order_by("position", "title", "pk")  # the order the group page shows, ties broken for good
    )
    index = next(i for i, each in enumerate(topics) if each.pk == topic.pk)
    neighbour = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour < len(topics):
        return False
    topics[index], topics[neighbour] = topics[neighbour], topics[index]
    renumbered = []
    for position, each in enumerate(topics, start=1):
        if each.position != position:
            each.position = position
            renumbered.append(each)
    Topic.objects.bulk_update(renumbered, ["position"])
    freshness.changed(groups=[topic.group_id])  # the order of the group page's list
    return True
