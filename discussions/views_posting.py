"""Writing in threads: a reply, a new thread, and the preview of a draft.

`preview` answers the editor's script; `form_preview` is the same rendering behind a form's Preview button, which
works without script (the edit form's too: views_editing.py), counted against the same limit.
"""

from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from discussions import drafts, moderation, notifications, services, submissions
from discussions.access import get_thread_for_user
from discussions.forms import PostForm, ThreadForm
from discussions.markdown import render_markdown
from discussions.views_threads import render_thread
from topics.access import get_topic_for_user, require_member
from topics.outcomes import group_today


def form_preview(request, form) -> tuple[str, int]:
    """The form's text rendered, counted against the same limit as the preview endpoint."""
    try:
        moderation.count_preview(user=request.user)
    except moderation.RateLimited as limited:
        form.add_error(None, str(limited))
        return "", HTTPStatus.TOO_MANY_REQUESTS
    return render_markdown(form.cleaned_data["body"]), HTTPStatus.OK


def reply(request, pk):
    if request.method != "POST":
        # Where a login interrupted a reply lands afterwards (?next=): the thread's reply box, holding the draft.
        thread, _ = get_thread_for_user(request.user, pk)
        return redirect(f"{thread.get_absolute_url()}#reply")
    if not request.user.is_authenticated:  # nothing is looked up: the draft is only shown to someone who may reply
        return drafts.keep_through_login(request, drafts.reply_key(pk), drafts.REPLY_FIELDS)
    thread, membership = get_thread_for_user(request.user, pk)
    require_member(membership)
    if thread.is_locked:
        raise PermissionDenied(gettext("This thread is closed to new replies."))
    form = PostForm(request.POST, today=group_today(thread.topic.group))
    quote_pk = request.POST.get("quote") or None
    quoted = None
    if quote_pk and quote_pk.isascii() and quote_pk.isdigit():  # "²".isdigit() is true, but names no post
        quoted = thread.posts.filter(pk=quote_pk).first()
    if not form.is_valid():
        return render_thread(request, thread, membership, form=form, quote_pk=quote_pk, status=400)
    if "preview" in request.POST:
        preview_html, status = form_preview(request, form)
        return render_thread(
            request, thread, membership, form=form, preview_html=preview_html, quote_pk=quote_pk, status=status
        )
    token = submissions.token_of(request)
    if (earlier := submissions.claim(request.user, token)) is not None:
        return redirect(earlier or thread)  # the same form sent again: show what the first one stored
    body = form.cleaned_data["body"]
    refusal = _posting_refusal(request.user, membership, group=thread.topic.group, body=body, thread=thread)
    if refusal is not None:
        submissions.release(request.user, token)
        form.add_error(None, refusal[0])
        return render_thread(request, thread, membership, form=form, quote_pk=quote_pk, status=refusal[1])
    try:
        notifications.count_mentions(
            author=request.user, body=form.cleaned_data["body"], group=thread.topic.group, membership=membership
        )
        moderation.count_new_post(user=request.user, membership=membership)
        post = services.publish_post(
            thread=thread,
            author=request.user,
            body=form.cleaned_data["body"],
            quoted_post=quoted,
            **form.argument_data(),
        )
    except moderation.RateLimited as limited:
        submissions.release(request.user, token)
        form.add_error(None, str(limited))
        return render_thread(
            request, thread, membership, form=form, quote_pk=quote_pk, status=HTTPStatus.TOO_MANY_REQUESTS
        )
    except BaseException:
        submissions.release(request.user, token)
        raise
    submissions.remember(request.user, token, post.get_absolute_url())
    return redirect(post)


def _posting_refusal(user, membership, *, group, body: str, thread=None) -> tuple[str, int] | None:
    """The thread's slow mode and the group's limits for new members: None if the post may go ahead, else the
    message and status saying why not (429 for posting too often, 400 for too many links)."""
    now = timezone.now()
    try:
        if thread is not None:
            moderation.check_slow_mode(thread=thread, user=user, membership=membership, now=now)
        moderation.check_new_member_limits(group=group, membership=membership, body=body, now=now)
    except moderation.RateLimited as limited:
        return str(limited), HTTPStatus.TOO_MANY_REQUESTS
    except moderation.TooManyLinks as too_many:
        return str(too_many), HTTPStatus.BAD_REQUEST
    return None


def _rate_limited_thread(user, membership, topic, body: str) -> str | None:
    """Count a new thread against the user's limits: None if it may go ahead, else the message saying why not."""
    try:
        notifications.count_mentions(author=user, body=body, group=topic.group, membership=membership)
        moderation.count_new_post(user=user, membership=membership, new_thread=True)
    except moderation.RateLimited as limited:
        return str(limited)
    return None


def new_thread(request, group_slug, topic_slug):
    if not request.user.is_authenticated:
        return drafts.keep_through_login(request, drafts.thread_key(group_slug, topic_slug), drafts.THREAD_FIELDS)
    topic, membership = get_topic_for_user(request.user, group_slug, topic_slug)
    require_member(membership)
    draft = None if request.method == "POST" else drafts.take(request.session, drafts.thread_key(group_slug, topic_slug))
    form = ThreadForm(request.POST or None, initial=draft, today=group_today(topic.group))
    preview_html = ""
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif "preview" in request.POST:
            preview_html, status = form_preview(request, form)
        elif (earlier := submissions.claim(request.user, token := submissions.token_of(request))) is not None:
            return redirect(earlier or topic)  # the same form sent again: show what the first one stored
        elif refusal := _posting_refusal(request.user, membership, group=topic.group, body=form.cleaned_data["body"]):
            submissions.release(request.user, token)
            form.add_error(None, refusal[0])
            status = refusal[1]
        elif (limited := _rate_limited_thread(request.user, membership, topic, form.cleaned_data["body"])) is not None:
            submissions.release(request.user, token)
            form.add_error(None, limited)
            status = HTTPStatus.TOO_MANY_REQUESTS
        else:
            try:
                thread = services.start_thread(
                    topic=topic,
                    author=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    **form.argument_data(),
                )
            except BaseException:
                submissions.release(request.user, token)
                raise
            submissions.remember(request.user, token, thread.get_absolute_url())
            return redirect(thread)
    context = {"group": topic.group, "topic": topic, "membership": membership, "form": form, "preview_html": preview_html}
    context["draft_restored"] = draft is not None
    return render(request, "discussions/thread_form.html", context, status=status)


@require_POST
@login_required
def preview(request):
    """The rendered HTML of a draft, for the live preview script; the same rendering a saved post gets."""
    try:
        # Counted before validating: checking that the Markdown renders is itself the costly part.
        moderation.count_preview(user=request.user)
    except moderation.RateLimited as limited:
        return HttpResponse(str(limited), status=HTTPStatus.TOO_MANY_REQUESTS, content_type="text/plain; charset=utf-8")
    body = PostForm.base_fields["body"]
    try:
        text = body.clean(request.POST.get("body", ""))  # only the text matters for a preview
    except ValidationError as error:
        return HttpResponse(error.messages[0], status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(render_markdown(text))
