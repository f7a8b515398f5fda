"""A prompt's follow-up page: who has not answered yet, and one button to remind them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from topics import followup
from topics.views.prompts import _moderated_prompt


@login_required
def prompt_followup(request, slug, pk):
    group, membership, prompt = _moderated_prompt(request, slug, pk)
    if not prompt.is_published:
        messages.info(request, gettext("A prompt has answers to follow up once it is published."))
        return redirect("topics:prompt_edit", slug=group.slug, pk=prompt.pk)
    context = {"group": group, "membership": membership, "prompt": prompt}
    context |= followup.followup_context(prompt, viewer=request.user, now=timezone.now())
    with timezone.override(group.tzinfo):
        return render(request, "topics/prompt_followup.html", context)


@require_POST
@login_required
def prompt_remind(request, slug, pk):
    group, _, prompt = _moderated_prompt(request, slug, pk)
    try:
        reminder = followup.remind_unanswered(prompt=prompt, by=request.user, now=timezone.now())
    except (followup.AlreadyRemindedToday, followup.NobodyToRemind) as refusal:
        messages.info(request, str(refusal))
    else:
        count = reminder.member_count
        messages.success(
            request,
            ngettext(
                "%(count)d member who has not answered will be reminded.",
                "%(count)d members who have not answered will be reminded.",
                count,
            )
            % {"count": count},
        )
    return redirect("topics:prompt_followup", slug=group.slug, pk=prompt.pk)
