"""Moderators suspend, ban and lift from the group's member list (the rules are in topics.sanctions)."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from topics import sanctions
from topics.access import get_group_for_moderator
from topics.forms import SanctionForm
from topics.models import Membership
from topics.views.groups import render_member_list


@require_POST
@login_required
def sanction_member(request, slug, pk):
    group, own_membership = get_group_for_moderator(request.user, slug)
    target = get_object_or_404(Membership.objects.select_related("user", "group"), pk=pk, group=group)
    now = timezone.now()
    form = SanctionForm(request.POST, group=group, now=now)
    if form.is_valid():
        try:
            reason = form.cleaned_data["reason"]
            if form.is_ban:
                sanctions.ban_member(membership=target, actor=own_membership, reason=reason, now=now)
            else:
                sanctions.suspend_member(
                    membership=target, actor=own_membership, ends_at=form.ends_at(), reason=reason, now=now
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            name = target.user.public_name
            if form.is_ban:
                messages.success(request, gettext("%(name)s is banned and no longer a member.") % {"name": name})
            else:
                messages.success(request, gettext("%(name)s is suspended.") % {"name": name})
            return redirect("topics:members", slug=group.slug)
    return render_member_list(
        request, group, own_membership, sanction_form=form, sanction_target=target, status=HTTPStatus.BAD_REQUEST
    )


@require_POST
@login_required
def lift_sanction(request, slug, pk):
    group, own_membership = get_group_for_moderator(request.user, slug)
    sanction = get_object_or_404(sanctions.Sanction.objects.select_related("user", "group"), pk=pk, group=group)
    if sanctions.lift_sanction(sanction=sanction, actor=own_membership, now=timezone.now()):
        name = sanction.user.public_name
        if sanction.is_ban:
            messages.success(request, gettext("The ban of %(name)s is lifted.") % {"name": name})
        else:
            messages.success(request, gettext("The suspension of %(name)s is lifted.") % {"name": name})
    else:
        messages.info(request, gettext("That suspension or ban had already ended."))
    return redirect("topics:members", slug=group.slug)
