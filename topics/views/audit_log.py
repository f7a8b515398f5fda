"""The group's moderation log, for its moderators: newest first, filtered by action and by member."""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from groupsite import clock
from groupsite.text import CleanCharField
from topics.access import get_group_for_moderator
from topics.audit import AuditAction, AuditEntry

ENTRIES_PER_PAGE = 50


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=[("", _("Every action"))] + AuditAction.choices, required=False)
    member = CleanCharField(
        label=_("Member (username)"),
        required=False,
        max_length=150,
        help_text=_("Entries where this member acted or was acted on."),
    )


@login_required
def audit_log(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)  # 404 outside a private group, 403 for members
    form = AuditFilterForm(request.GET)
    entries = AuditEntry.objects.filter(group=group).select_related("actor", "target_user", "thread", "post", "prompt")
    filters = {}
    if form.is_valid():
        filters = {name: value for name, value in form.cleaned_data.items() if value}
        if "action" in filters:
            entries = entries.filter(action=filters["action"])
        if "member" in filters:
            member = filters["member"]
            entries = entries.filter(Q(actor__username=member) | Q(target_user__username=member))
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "group": group,
        "membership": membership,
        "form": form,
        "page": page,
        "pagination_query": urlencode(filters) + "&" if filters else "",
    }
    status = 200 if form.is_valid() else 400
    with clock.reading(request.user, group):
        return render(request, "topics/audit_log.html", context, status=status)
