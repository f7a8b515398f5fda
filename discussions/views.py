from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from discussions import drafts, moderation, notifications, services, submissions, view_counts
from discussions import post_fragments, post_index, reply_box
from discussions.flag_forms import ModeratorReasonForm
from discussions.forms import MoveThreadForm, PostForm, RenameThreadForm, SlowModeForm, ThreadForm
from discussions.markdown import render_markdown
from discussions.models import Flag, Post, Thread
from groupsite import clock, freshness, page_cache
from topics import bilingual
from topics.models import Group
from topics.outcomes import flag_review_due, group_today
from topics.prompts import prompt_of, prompt_panel
from discussions.access import get_post_for_editor, get_post_for_user, get_thread_for_moderator, get_thread_for_user
from discussions.access import thread_place
from topics import sanctions
from topics.access import get_topic_for_user, require_member


def _count_view(request, thread: Thread) -> int:
    # A member's view counts once: their read marker remembers the first. Neither way writes a session or a row
    # (discussions/view_counts.py buffers the count in Redis).
    if request.user.is_authenticated and thread.read_number is not None:
        return 0
    now = timezone.now()
    return view_counts.count_view(thread=thread, viewer=view_counts.viewer_of(request, now=now), now=now)


def _role_filter(request) -> str | None:
    """The role a thread page is filtered by: "" for every post, None when ?role= names no role."""
    role = request.GET.get("role", "")
    return role if not role or role in Post.Role.values else None


def _thread_tools(thread, membership, *, rename_form=None, move_form=None, slow_mode_form=None) -> dict | None:
    """The moderators' forms for the thread page (pin, lock, rename, move, slow mode); None for everyone else."""
    if membership is None or not membership.is_moderator:
        return None
    return {
        "rename_form": rename_form or RenameThreadForm(initial={"title": thread.title}, auto_id="id_rename_%s"),
        "move_form": move_form or MoveThreadForm(thread=thread, auto_id="id_move_%s"),
        "slow_mode_form": slow_mode_form
        or SlowModeForm(initial={"minutes": thread.slow_mode_minutes}, auto_id="id_slow_mode_%s"),
        # Show the forms with their errors.
        "open": any(form is not None for form in (rename_form, move_form, slow_mode_form)),
    }


def _render_thread(
    request, thread, membership, *, form=None, preview_html="", quote_pk=None, status=200, tools=None,
    versions=None,
):
    """The thread page. `versions` are those of the thread, its group and the site, read before the posts: with them
    the posts come from the cache where they can (discussions/post_fragments.py); without them (a page shown again
    with a form's errors) they are all read and rendered."""
    # The index of a page's posts shows what the thread's version covers, the authors' role badges (the group's)
    # and names (the site's).
    posts_stamp = ".".join(str(version) for version in versions) if versions and all(versions) else ""
    role = _role_filter(request) or ""
    page = post_fragments.posts_page(request, thread, role)
    index, loaded, index_key = post_fragments.page_index(thread, page, role=role, stamp=posts_stamp)
    facts = index.posts
    prompt = prompt_of(thread)
    # Under the Chatham House rule only moderators see who wrote what; a quote names nobody, whoever quotes.
    chatham_house = prompt is not None and prompt.chatham_house
    user = request.user
    sanction = sanctions.sanction_on_reader(user=user, group=thread.topic.group, membership=membership)
    reader = post_index.reader_of(user, membership, suspended=sanction is not None, thread_id=thread.pk)
    # Read before this visit moves the marker: where the member left off last time.
    first_unread = thread.first_unread_number(
        getattr(thread, "read_number", None), getattr(thread, "own_last_number", None)
    )
    if user.is_authenticated:
        # A filtered page skips posts, so it only records the visit; an unfiltered one reads up to its last post.
        last_number = 0 if role else max((post.number for post in facts), default=0)
        notifications.mark_thread_read(user=user, thread=thread, number=last_number, now=timezone.now())
    can_reply = membership is not None and not thread.is_locked and sanction is None
    draft = drafts.take(request.session, drafts.reply_key(thread.pk)) if can_reply and form is None else None
    if draft is not None:  # typed before a login: back in the box, to read again and send
        quote_pk = draft.pop("quote", None)
        form = PostForm(initial=draft)
    if can_reply and form is None:
        initial = {}
        quote_pk = request.GET.get("quote")
        if quote_pk and quote_pk.isascii() and quote_pk.isdigit():  # "²".isdigit() is true, but no id
            quoted = thread.posts.shown().filter(pk=quote_pk).select_related("author").first()
            if quoted is not None:
                initial["body"] = services.quote_markdown(quoted, anonymous=chatham_house)
            else:
                quote_pk = None
        form = PostForm(initial=initial)
    is_moderator = membership is not None and membership.is_moderator
    hide_authors = chatham_house and not is_moderator
    posts_page = {
        "hide_authors": hide_authors,
        "is_member": membership is not None,
        "is_moderator": is_moderator,
        "can_reply": can_reply,
        "page_number": page.number,
        "role_filter": role,
        "flag_reasons": Flag.Reason.choices,
        # The opening post of a prompt's thread shows the prompt in the language the page asks for.
        "prompt_text": bilingual.version(prompt, bilingual.wanted_language(request)) if prompt is not None else None,
    }
    context = {
        "thread": thread,
        "topic": thread.topic,
        "group": thread.topic.group,
        "membership": membership,
        "page": page,
        "no_posts": not facts,
        "first_unread": first_unread,
        "first_unread_url": thread.get_number_url(first_unread) if first_unread else "",
        "can_reply": can_reply,
        "form": form,
        "preview_html": preview_html,
        "quote_pk": quote_pk,
        "draft_restored": draft is not None,
        "prompt": prompt,
        "role_filter": role,
        "role_filters": services.role_filters(counts=index.role_counts, active=role),
        "pagination_query": f"role={role}&" if role else "",
        "chatham_house": chatham_house,
        "hide_authors": hide_authors,
        "thread_tools": _thread_tools(thread, membership, **(tools or {})),
        "sanction": sanction,
    }
    if user.is_authenticated and not thread.has_unread_notifications:
        # Counted with the thread (notifications.with_reader_state): this visit marked none read, so it still holds.
        context["unread_notification_count"] = thread.unread_notification_count
    if can_reply and reply_box.is_blank(form, preview_html=preview_html):
        mention_url = reverse("discussions:group_members_json", args=[thread.topic.group.slug])
        context["blank_editor"] = reply_box.blank_editor(form, mention_url=mention_url)
    if context["prompt"] is not None:
        context.update(prompt_panel(context["prompt"], user=user, membership=membership))
        flag_review_due([context.get("prompt_outcome")], today=group_today(thread.topic.group))
    with clock.reading(request.user, thread.topic.group):
        posts_html = post_fragments.render_posts(
            facts, reader, index_key=index_key, page=posts_page, load=post_fragments.loader(thread, loaded)
        )
        context["posts_html"] = post_fragments.posts_placeholder()
        response = render(request, "discussions/thread_detail.html", context, status=status)
    post_fragments.with_posts(response, posts_html)
    post_fragments.with_csrf_token(request, response)
    return response


def _preview(request, form) -> tuple[str, int]:
    """The form's text rendered, counted against the same limit as the preview endpoint."""
    try:
        moderation.count_preview(user=request.user)
    except moderation.RateLimited as limited:
        form.add_error(None, str(limited))
        return "", HTTPStatus.TOO_MANY_REQUESTS
    return render_markdown(form.cleaned_data["body"]), HTTPStatus.OK


def _page_scopes(pk, place: dict) -> list[str]:
    """What a thread page shows: the thread, its topic and group (names, breadcrumbs, role badges) and the site
    (names). `place`: thread_place's, or the thread's own ids."""
    return freshness.scopes_of(threads=[pk], topics=[place["topic_id"]], groups=[place["group_id"]], site=True)


def _kept_visitor_page(request, place: dict, slug, stamp: str):
    """A visitor's kept copy of the page, when the thread is public and asked for at its own address and with a
    valid filter; otherwise None, and the full path answers (a 404, a redirect, a 400 or a fresh page)."""
    if place["visibility"] != Group.Visibility.PUBLIC or place["slug"] != slug:
        return None
    if _role_filter(request) is None:
        return None
    return page_cache.fetch(request, stamp)


def thread_detail(request, pk, slug=None):
    # Versions first, the database after: what is cached under them is never older than they are.
    if not request.user.is_authenticated:
        return _visitor_thread_detail(request, pk, slug)
    thread, membership = get_thread_for_user(request.user, pk)  # the access check runs on every request
    if (refusal := _refused_address(request, thread, slug)) is not None:
        return refusal
    # Without Redis (dev mode) a counted view is written to the thread at once and moves its version on: read after.
    _count_view(request, thread)
    # A member's page is never kept whole. The index of its posts (post_fragments) is kept under these versions,
    # read before the posts are; each post's HTML under what it is made of.
    scopes = [freshness.thread_scope(pk), freshness.group_scope(thread.topic.group_id), freshness.SITE]
    return _render_thread(request, thread, membership, versions=freshness.versions(scopes))


def _visitor_thread_detail(request, pk, slug):
    place = thread_place(pk)  # the access check of a visitor's kept page, on every request
    if place is None:
        raise Http404  # as get_thread_for_user would
    scopes = _page_scopes(pk, place)
    versions = freshness.versions(scopes)
    stamp = ".".join(str(version) for version in versions)
    whole_page = all(versions)  # a version 0: the cache is unreachable
    if whole_page and (kept := _kept_visitor_page(request, place, slug, stamp)) is not None:
        _count_view(request, Thread(pk=pk, topic_id=place["topic_id"]))  # a page served from the cache is a view too
        return kept
    thread, membership = get_thread_for_user(request.user, pk)  # the access check runs on every request
    if (refusal := _refused_address(request, thread, slug)) is not None:
        return refusal
    if _count_view(request, thread) and not view_counts.buffered():
        # Without Redis (dev mode) the view was written to the thread at once and moved its version on.
        versions = freshness.versions(scopes)
        stamp = ".".join(str(version) for version in versions)
    thread_version, _, group_version, site_version = versions
    response = _render_thread(request, thread, membership, versions=[thread_version, group_version, site_version])
    if whole_page:
        page_cache.keep(request, stamp, response)
    return response


def _refused_address(request, thread, slug):
    """A redirect to the thread's own address, or a 400 for a filter by no role; None when the request may go on."""
    if slug != thread.slug:
        # A temporary redirect: browsers cache a permanent one, and after a rename back (A→B→A) the cached
        # B→A and A→B redirects would send them round in a loop. The target always carries thread.slug.
        query = request.GET.urlencode()
        return redirect(thread.get_absolute_url() + (f"?{query}" if query else ""))
    if _role_filter(request) is None:
        return HttpResponseBadRequest(
            gettext("There is no such role to filter by: use evidence, for, against, question or proposal."),
            content_type="text/plain; charset=utf-8",
        )
    return None


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
        return _render_thread(request, thread, membership, form=form, quote_pk=quote_pk, status=400)
    if "preview" in request.POST:
        preview_html, status = _preview(request, form)
        return _render_thread(
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
        return _render_thread(request, thread, membership, form=form, quote_pk=quote_pk, status=refusal[1])
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
        return _render_thread(
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
            preview_html, status = _preview(request, form)
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


def post_permalink(request, pk):
    """A post's lasting address: the thread page it is on, scrolled to it."""
    post, _ = get_post_for_user(request.user, pk)
    page = services.page_of(post, settings.POSTS_PER_PAGE)
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{post.thread.get_absolute_url()}{query}#post-{post.pk}")


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
            preview_html, status = _preview(request, form)
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


# Moderators' thread tools: POST only, for the moderators and owners of the thread's group.


def _thread_action(request, pk, action, done: str, unchanged: str):
    thread, membership = get_thread_for_moderator(request.user, pk)
    try:
        changed = action(thread=thread, by=request.user)
    except moderation.ModerationError as error:
        messages.error(request, str(error))
        return _render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST)
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
        return _render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST, tools={"rename_form": form})
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
        return _render_thread(request, thread, membership, status=HTTPStatus.BAD_REQUEST, tools={"move_form": form})
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
        return _render_thread(
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
