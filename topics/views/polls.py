"""Members vote in a prompt's stance poll; the results show on the prompt's thread page."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from topics import polls
from topics.access import get_group_for_user, require_member
from topics.forms import VoteForm
from topics.models import Poll, Prompt


@require_POST
@login_required
def vote(request, slug, pk):
    group, membership = get_group_for_user(request.user, slug)  # 404 for a private group to outsiders
    prompt = get_object_or_404(Prompt.objects.published().select_related("topic", "thread"), pk=pk, topic__group=group)
    prompt.topic.group = group
    poll = get_object_or_404(Poll, prompt=prompt)
    poll.prompt = prompt
    require_member(membership)
    form = VoteForm(request.POST)
    now = timezone.now()
    if not form.is_valid():
        return _vote_error(
            request, poll, membership, errors=form.errors, now=now, status=HTTPStatus.BAD_REQUEST,
            reason=form.data.get("reason", "").replace("\x00", ""),
        )
    option_id, reason = form.cleaned_data["option"], form.cleaned_data["reason"]
    try:
        polls.cast_vote(poll=poll, user=request.user, option_id=option_id, reason=reason, now=now)
    except polls.VotingClosed as error:
        errors = {"__all__": [str(error)]}
        return _vote_error(request, poll, membership, errors=errors, now=now, status=HTTPStatus.FORBIDDEN)
    except ValidationError as error:
        return _vote_error(
            request, poll, membership, errors=error.message_dict, now=now, status=HTTPStatus.BAD_REQUEST,
            option_id=option_id, reason=reason,
        )
    messages.success(request, gettext("Your vote is recorded. You can change it until the prompt closes."))
    return redirect(_poll_url(prompt))


def _poll_url(prompt: Prompt) -> str:
    url = prompt.thread.get_absolute_url() if prompt.thread_id else prompt.get_absolute_url()
    return f"{url}#poll"


def _vote_error(request, poll, membership, *, errors, now, status, option_id=None, reason=""):
    """The poll again, with what went wrong and what the member chose and typed, so nothing is lost."""
    prompt = poll.prompt
    context = {
        "group": prompt.topic.group,
        "topic": prompt.topic,
        "thread": prompt.thread,
        "prompt": prompt,
        "membership": membership,
        "thread_url": _poll_url(prompt),
        **polls.poll_panel(poll, user=request.user, membership=membership, now=now),
        "vote_errors": errors,
    }
    if status == HTTPStatus.BAD_REQUEST:
        context |= {"vote_option_id": option_id, "vote_reason": reason}
    return render(request, "topics/vote_error.html", context, status=status)
