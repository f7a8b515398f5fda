"""One way in to each group: returns what the user may see, or raises 404 / 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from topics.models import Group, Membership, Topic


def membership_of(user, group: Group) -> Membership | None:
    if not user.is_authenticated:
        return None
    # The suspension comes along in the same query: every write path asks about it (require_member).
    return Membership.objects.filter(group=group, user=user).select_related("suspension").first()


def reader_membership(user, group: Group) -> Membership | None:
    """The user's membership of a group they may read; a private group is a 404 to anyone outside it."""
    membership = membership_of(user, group)
    if not group.is_public and membership is None:
        raise Http404(gettext("No such group"))
    return membership


def moderated_group_ids(user) -> set[int]:
    """The groups `user` owns or moderates: where the Chatham House rule does not hide authors from them."""
    return set(
        Membership.objects.filter(
            user_id=user.pk, role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
        ).values_list("group_id", flat=True)
    )


def require_moderator(membership: Membership | None) -> Membership:
    if membership is None or not membership.is_moderator:
        raise PermissionDenied(gettext("Only the group's moderators can do this."))
    # Moderators are not suspended (topics.sanctions), but a suspended member may since have been made one.
    suspension = membership.active_suspension()
    if suspension is not None:
        raise PermissionDenied(suspension.refusal())
    return membership


def get_group_for_user(user, slug: str) -> tuple[Group, Membership | None]:
    """The group and the user's membership; a private group is a 404 to anyone outside it."""
    group = get_object_or_404(Group, slug=slug)
    return group, reader_membership(user, group)


def get_group_to_join(user, slug: str) -> tuple[Group, Membership | None]:
    """The group and the user's membership, private or not: its join page is how outsiders ask to be let in."""
    group = get_object_or_404(Group, slug=slug)
    return group, membership_of(user, group)


def get_group_for_moderator(user, slug: str) -> tuple[Group, Membership]:
    group, membership = get_group_for_user(user, slug)
    return group, require_moderator(membership)


def get_topic_for_user(user, group_slug: str, topic_slug: str) -> tuple[Topic, Membership | None]:
    # The topic and its group in one query: a missing topic and a private group's topic are the same 404 to
    # anyone outside the group, so the group need not be looked up on its own first.
    topic = get_object_or_404(Topic.objects.select_related("group"), group__slug=group_slug, slug=topic_slug)
    return topic, reader_membership(user, topic.group)


def get_topic_for_moderator(user, group_slug: str, topic_slug: str) -> tuple[Topic, Membership]:
    topic, membership = get_topic_for_user(user, group_slug, topic_slug)
    return topic, require_moderator(membership)


def require_reader_membership(membership: Membership | None) -> Membership:
    """A member, suspended or not: for what only concerns their own reading (watching, muting)."""
    if membership is None:
        raise PermissionDenied(gettext("Join the group to take part."))
    return membership


def require_member(membership: Membership | None, *, now=None) -> Membership:
    """The membership of someone who may take part (post, reply, edit, vote, flag); 403 saying why if not.

    A suspended member stays a member, read-only, until the suspension ends; a banned person is no member.
    """
    if membership is None:
        raise PermissionDenied(gettext("Join the group to take part."))
    suspension = membership.active_suspension(now)
    if suspension is not None:
        raise PermissionDenied(suspension.refusal())
    return membership
