"""Site-wide account actions: a member's own profile, and what site staff do to accounts."""

from datetime import datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from groupsite import freshness
from topics import audit


# What a profile shows on other pages: names with posts, threads and outcomes everywhere, affiliations beside
# a group's moderators.
SHOWN_EVERYWHERE = ("display_name", "affiliation")


@transaction.atomic
def save_profile(*, form) -> None:
    """Save a validated ProfileForm; a new name shows on every page at once, cached or not."""
    form.save()
    if any(field in form.changed_data for field in SHOWN_EVERYWHERE):
        freshness.changed(site=True)


@transaction.atomic
def deactivate_account(*, user, actor, reason: str, now: datetime) -> bool:
    """Stop the account logging in (allauth and Django's backends refuse inactive users) and end its sessions.

    Returns False if it was already inactive. Superusers are changed in the admin only, and nobody ends their
    own account here.
    """
    if not actor.is_staff:
        raise PermissionDenied(gettext("Only site staff can deactivate accounts."))
    if user.pk == actor.pk:
        raise ValidationError(gettext("You cannot deactivate your own account here."))
    if user.is_superuser:
        raise ValidationError(gettext("A superuser's account is changed in the admin only."))
    if not type(user).objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        return False
    user.is_active = False
    end_sessions(user=user, now=now)
    audit.record(
        actor=actor,
        action=audit.AuditAction.DEACTIVATE,
        target_user=user,
        summary=gettext("Deactivated the account of %(username)s") % {"username": user.username},
        reason=reason,
        now=now,
    )
    return True


def end_sessions(*, user, now: datetime) -> int:
    """Delete the user's unexpired sessions. Sessions are stored signed, not by user, so each is decoded; this is a
    rare staff action. (An inactive user is logged out on their next request anyway: the backends refuse them.)"""
    ended = []
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
