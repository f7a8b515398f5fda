"""The thread page, for members and visitors (whose whole page may be kept), and a post's lasting address on it.

`render_thread` also shows the page again around a form's errors: a reply's (views_posting.py) and a moderator's
thread tools' (views_thread_tools.py).
"""

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from discussions import drafts, notifications, post_fragments, post_index, reply_box, services, view_counts
from discussions.access import get_post_for_user, get_thread_for_user, thread_place
from discussions.forms import MoveThreadForm, PostForm, RenameThreadForm, SlowModeForm
from discussions.models import Flag, Post, Thread
from groupsite import clock, freshness, page_cache
from topics import bilingual, sanctions
from topics.models import Group
from topics.outcomes import flag_review_due, group_today
from topics.prompts import prompt_of, prompt_panel


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


def render_thread(
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
    return render_thread(request, thread, membership, versions=freshness.versions(scopes))


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
    response = render_thread(request, thread, membership, versions=[thread_version, group_version, site_version])
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


def post_permalink(request, pk):
    """A post's lasting address: the thread page it is on, scrolled to it."""
    post, _ = get_post_for_user(request.user, pk)
    page = services.page_of(post, settings.POSTS_PER_PAGE)
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{post.thread.get_absolute_url()}{query}#post-{post.pk}")
