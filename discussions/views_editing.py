"""A post after it is written: editing it, removing it, and its earlier versions."""

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from discussions import moderation, services
from discussions.access import get_post_for_editor, get_post_for_user
from discussions.flag_forms import ModeratorReasonForm
from discussions.forms import PostForm
from discussions.views_posting import form_preview
from groupsite import clock
from topics.outcomes import group_today


@login_required
def edit_post(request, pk):
    post, membership = get_post_for_editor(request.user, pk)
    initial = {
        "body": post.body,
        "role": post.role,
        "source_url": post.source_url,
        "evidence_as_of": post.evidence_as_of,
    }
    form = PostForm(request.POST or None, initial=initial, today=group_today(post.thread.topic.group))
    form.fields["body"].label = gettext("Post")
    preview_html = ""
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            preview_html, status = form_preview(request, form)
        elif links_refused := _too_many_links_in_edit(post, membership, form.cleaned_data["body"]):
            form.add_error(None, links_refused)
            status = HTTPStatus.BAD_REQUEST
        else:
            if services.edit_post(
                post=post, editor=request.user, body=form.cleaned_data["body"], **form.argument_data()
            ):
                messages.success(request, gettext("Your changes were saved."))
            return redirect(post)
    context = {
        "post": post,
        "thread": post.thread,
        "group": post.thread.topic.group,
        "topic": post.thread.topic,
        "form": form,
        "preview_html": preview_html,
    }
    return render(request, "discussions/post_edit.html", context, status=status)


def _too_many_links_in_edit(post, membership, body: str) -> str | None:
    """A new member's edit is held to the same link limit as their posts (the message), or None."""
    try:
        moderation.check_new_member_limits(
            group=post.thread.topic.group, membership=membership, body=body, now=timezone.now(), new_post=False
        )
    except moderation.TooManyLinks as too_many:
        return str(too_many)
    return None


@login_required
def delete_post(request, pk):
    post, membership = get_post_for_editor(request.user, pk)
    form = ModeratorReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.delete_post(post=post, deleted_by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, gettext("The post was removed."))
        if request.POST.get("from") == "queue" and membership.is_moderator:
            return redirect("discussions:review_queue", slug=post.thread.topic.group.slug)
        return redirect(post)
    context = {
        "post": post,
        "thread": post.thread,
        "group": post.thread.topic.group,
        "topic": post.thread.topic,
        "form": form,
        "asks_reason": post.author_id != request.user.pk,
    }
    status = HTTPStatus.BAD_REQUEST if form.is_bound else HTTPStatus.OK
    return render(request, "discussions/post_delete.html", context, status=status)


@login_required
def post_revisions(request, pk):
    post, membership = get_post_for_user(request.user, pk)
    is_moderator = membership is not None and membership.is_moderator
    if not (is_moderator or (post.author_id == request.user.pk and membership is not None)):
        raise PermissionDenied(gettext("Only moderators and the author can see a post's earlier versions."))
    context = {
        "hide_authors": not is_moderator and post.thread.is_chatham_house,
        "post": post,
        "thread": post.thread,
        "group": post.thread.topic.group,
        "topic": post.thread.topic,
        "revisions": post.revisions.select_related("replaced_by"),
    }
    with clock.reading(request.user, post.thread.topic.group):
        return render(request, "discussions/post_revisions.html", context)
