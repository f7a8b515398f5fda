"""The moderators' thread tools: pin, lock, rename, move and slow mode. POST only, for the moderators and owners
of the thread's group; a form with errors is shown on the thread page, in its tools."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from discussions import moderation
from discussions.access import get_thread_for_moderator
from discussions.forms import MoveThreadForm, RenameThreadForm, SlowModeForm
from discussions.views_threads import render_thread


def _thread_action(request, pk, action, done: str, unchanged: str):
    thread, membership = get_thread_for_moderator(request.user, pk)
    try:
        changed = action(thread=thread, by=request.user)
    except moderation.ModerationError as error:
        messages.error(request, str(error))
        return render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST)
    if changed:
        messages.success(request, done)
    else:
        messages.info(request, unchanged)
    return redirect(thread)


@require_POST
@login_required
def pin_thread(request, pk):
    return _thread_action(
        request,
        pk,
        moderation.pin_thread,
        gettext("The thread is pinned to the top of its topic."),
        gettext("It was already pinned."),
    )


@require_POST
@login_required
def unpin_thread(request, pk):
    return _thread_action(
        request, pk, moderation.unpin_thread, gettext("The thread is no longer pinned."), gettext("It was not pinned.")
    )


@require_POST
@login_required
def lock_thread(request, pk):
    return _thread_action(
        request,
        pk,
        moderation.lock_thread,
        gettext("The thread is closed: it takes no new replies."),
        gettext("It was already closed."),
    )


@require_POST
@login_required
def unlock_thread(request, pk):
    return _thread_action(
        request,
        pk,
        moderation.unlock_thread,
        gettext("The thread is open to replies again."),
        gettext("It was already open."),
    )


@require_POST
@login_required
def rename_thread(request, pk):
    thread, membership = get_thread_for_moderator(request.user, pk)
    form = RenameThreadForm(request.POST, auto_id="id_rename_%s")
    if not form.is_valid():
        return render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST, tools={"rename_form": form})
    if moderation.rename_thread(thread=thread, title=form.cleaned_data["title"], by=request.user):
        messages.success(request, gettext("The thread is renamed."))
    else:
        messages.info(request, gettext("The title was unchanged."))
    return redirect(thread)


@require_POST
@login_required
def move_thread(request, pk):
    thread, membership = get_thread_for_moderator(request.user, pk)
    form = MoveThreadForm(request.POST, thread=thread, auto_id="id_move_%s")
    if not form.is_valid():
        return render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST, tools={"move_form": form})
    topic = form.cleaned_data["topic"]
    moderation.move_thread(thread=thread, topic=topic, by=request.user)
    messages.success(request, gettext("The thread moved to %(topic)s.") % {"topic": topic.title})
    return redirect(thread)


@require_POST
@login_required
def set_slow_mode(request, pk):
    thread, membership = get_thread_for_moderator(request.user, pk)
    form = SlowModeForm(request.POST, auto_id="id_slow_mode_%s")
    if not form.is_valid():
        return render_thread(
            request, thread, membership, status=HTTPStatus.BAD_REQUEST, tools={"slow_mode_form": form}
        )
    minutes = form.cleaned_data["minutes"]
    if not moderation.set_slow_mode(thread=thread, minutes=minutes, actor=request.user, now=timezone.now()):
        messages.info(request, gettext("Slow mode was already set to that."))
    elif minutes:
        messages.success(request, gettext("Slow mode is on: members post here at most once per interval."))
    else:
        messages.success(request, gettext("Slow mode is off."))
    return redirect(thread)
