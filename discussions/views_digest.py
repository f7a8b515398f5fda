"""Digest previews: a member's "what would I receive now", and a moderator's view of what a member of their group
would receive from it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from discussions import digest
from topics.access import get_group_for_moderator
from topics.models import Membership


@login_required
def digest_preview(request):
    now = timezone.now()
    context = digest.digest_context(request.user, now=now)
    page = {
        "person": request.user,
        "is_self": True,
        "digest": context,
        "schedule": digest.digest_schedule(request.user, now=now),
    }
    if context is not None:
        # The email itself, as text: safe to show here, the unsubscribe link in it is the member's own.
        message = digest.build_digest_message(request.user, context)
        page.update(subject=message.subject, text_body=message.body)
    with timezone.override(digest.zone_named(request.user.timezone)):
        return render(request, "discussions/digest_preview.html", page)


@login_required
def member_digest_preview(request, slug, username):
    """Only the group's part of the member's digest: their other groups are none of this moderator's business."""
    group, own_membership = get_group_for_moderator(request.user, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), group=group, user__username=username)
    person = membership.user
    now = timezone.now()
    page = {
        "person": person,
        "is_self": person == request.user,
        "group": group,
        "membership": own_membership,
        "digest": digest.digest_context(person, now=now, groups=[group]),
        "schedule": digest.digest_schedule(person, now=now),
    }
    with timezone.override(digest.zone_named(person.timezone)):
        return render(request, "discussions/digest_preview.html", page)
