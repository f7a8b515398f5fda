"""Flagging posts, and the moderators' review queue with its decisions: dismiss, hide, unhide, warn."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from discussions import flags
from discussions.access import get_post_for_user
from discussions.flag_forms import FlagForm, ModeratorReasonForm, WarningForm
from discussions.moderation import RateLimited
from groupsite import clock
from topics.access import get_group_for_moderator, require_member, require_moderator

FLAGGED_POSTS_PER_PAGE = 20


@login_required
def flag_post(request, pk):
    """The flag form (GET, for a page of its own) and the flag itself (POST)."""
    post, membership = get_post_for_user(request.user, pk)
    require_member(membership)
    form = FlagForm(request.POST if request.method == "POST" else None)
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                flags.flag_post(
                    post=post, user=request.user, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"]
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = HTTPStatus.BAD_REQUEST
            except RateLimited as limited:
                form.add_error(None, str(limited))
                status = HTTPStatus.TOO_MANY_REQUESTS
            else:
                messages.success(request, _("Thank you: the moderators will look at this post."))
                return redirect(post)
        else:
            status = HTTPStatus.BAD_REQUEST
    context = {"post": post, "thread": post.thread, "topic": post.thread.topic, "group": post.thread.topic.group, "form": form}
    return render(request, "discussions/flag_form.html", context, status=status)


def _review_context(group, membership, page_number, *, invalid_pk=None, invalid_form=None) -> dict:
    page = Paginator(flags.flagged_posts(group), FLAGGED_POSTS_PER_PAGE).get_page(page_number)
    flags.flags_for_review(list(page.object_list))
    return {
        "group": group,
        "membership": membership,
        "page": page,
        "invalid_pk": invalid_pk,
        "invalid_form": invalid_form,
    }


@login_required
def review_queue(request, slug):
    group, membership = get_group_for_moderator(request.user, slug)
    context = _review_context(group, membership, request.GET.get("page"))
    with clock.reading(request.user, group):
        return render(request, "topics/review_queue.html", context)


def _moderated_post(request, pk):
    post, membership = get_post_for_user(request.user, pk)
    return post, require_moderator(membership)


def _back(request, post):
    """Back to the review queue when the decision was taken there, else to the post."""
    if request.POST.get("from") == "queue":
        return redirect("discussions:review_queue", slug=post.thread.topic.group.slug)
    return redirect(post)


def _invalid(request, post, membership, form):
    """The queue again, with the form's errors beside its post: nothing was changed."""
    group = post.thread.topic.group
    context = _review_context(group, membership, request.GET.get("page"), invalid_pk=post.pk, invalid_form=form)
    with clock.reading(request.user, group):
        return render(request, "topics/review_queue.html", context, status=HTTPStatus.BAD_REQUEST)


def _decide(request, pk, decision, done: str, unchanged: str):
    """A moderator's decision on a post that takes an optional reason (dismiss, hide, unhide), as the thread tools'
    _thread_action does (views_thread_tools.py): the change, then a message saying whether anything changed."""
    post, membership = _moderated_post(request, pk)
    form = ModeratorReasonForm(request.POST)
    if not form.is_valid():
        return _invalid(request, post, membership, form)
    if decision(post=post, moderator=request.user, reason=form.cleaned_data["reason"]):
        messages.success(request, done)
    else:
        messages.info(request, unchanged)
    return _back(request, post)


@require_POST
@login_required
def dismiss_flags(request, pk):
    return _decide(
        request, pk, flags.dismiss_flags, _("The flags were dismissed; the post stays."), _("This post had no open flags.")
    )


@require_POST
@login_required
def hide_post(request, pk):
    return _decide(
        request,
        pk,
        flags.hide_post,
        _("The post is hidden: only its author and the moderators see it."),
        _("The post was already hidden or removed."),
    )


@require_POST
@login_required
def unhide_post(request, pk):
    return _decide(
        request, pk, flags.unhide_post, _("The post is visible to everyone again."), _("The post was not hidden.")
    )


@require_POST
@login_required
def warn_author(request, pk):
    post, membership = _moderated_post(request, pk)
    form = WarningForm(request.POST)
    if not form.is_valid():
        return _invalid(request, post, membership, form)
    if flags.warn_author(post=post, moderator=request.user, message=form.cleaned_data["message"]) is None:
        messages.info(request, _("The author's account no longer exists: nobody was warned."))
    else:
        messages.success(request, _("The author was warned."))
    return _back(request, post)
