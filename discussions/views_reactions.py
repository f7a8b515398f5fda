"""Reacting to posts, bookmarking them, and the pages that list both.

The buttons submit a thread page's one form (a POST, then back to the post); reactions.js sends the same with fetch
and asks for JSON, so a page with JavaScript updates in place. A thread page shows only the reactions a post has;
its "React" link leads to the post's reaction page (the same address, GET), which offers all four, the bookmark
and the flag: what a thread page no longer repeats under every post.
"""

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from discussions import post_index, reactions
from discussions.access import get_post_for_user
from discussions.moderation import RateLimited
from groupsite import clock
from topics.access import moderated_group_ids, require_member, require_reader_membership
from topics.prompts import prompt_of


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _refuse(request, post, message: str, status: int):
    """A refusal in the caller's terms: JSON for the script, else a message on the post's page."""
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect(post)


def _state(request) -> bool | None:
    """The state the button asks for: on=1 or on=0 (None for anything else)."""
    return {"1": True, "0": False}.get(request.POST.get("on", ""))


def _reaction_asked(request) -> tuple[str, bool | None]:
    """The reaction and the state a button asks for: one value, set=agree:1 (a thread page's buttons carry both
    in their own name and value, with no hidden inputs), or kind=agree and on=1 as two fields."""
    if "set" in request.POST:
        kind, _colon, on = request.POST["set"].partition(":")
        return kind, {"1": True, "0": False}.get(on)
    return request.POST.get("kind", ""), _state(request)


@login_required
def react(request, pk):
    """The post's reaction page (GET), or a reaction given or taken back (POST)."""
    if request.method == "GET":
        return reaction_page(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    post, membership = get_post_for_user(request.user, pk)
    try:
        require_member(membership)  # a suspended or banned member takes no part, reactions included
    except PermissionDenied as refusal:
        if _wants_json(request):
            return JsonResponse({"error": str(refusal)}, status=HTTPStatus.FORBIDDEN)
        raise
    kind, on = _reaction_asked(request)
    if kind not in reactions.Reaction.Kind.values or on is None:
        return _refuse(request, post, _("Choose a reaction and whether to give it."), HTTPStatus.BAD_REQUEST)
    try:
        reactions.set_reaction(post=post, user=request.user, kind=kind, on=on)
    except ValidationError as error:
        return _refuse(request, post, error.messages[0], HTTPStatus.BAD_REQUEST)
    except RateLimited as limited:
        return _refuse(request, post, str(limited), HTTPStatus.TOO_MANY_REQUESTS)
    if _wants_json(request):
        return JsonResponse({"kind": kind, "pressed": on, "count": reactions.reaction_count(post, kind)})
    return redirect(post)


def _unreadable(post, user, membership) -> bool:
    return post.is_deleted or (post.is_hidden and not post.can_read_hidden(user, membership))


def reaction_page(request, pk):
    """A post and its four reaction buttons, for members: where a thread page's "React" leads without script.

    The same rules as the buttons: a suspended member sees the counts and why (the sanction's refusal); the
    author and a hidden post get the counts and the reason too; a removed post, or a hidden one the reader may not
    read, is a 404. Under the Chatham House rule the post names no author (moderators excepted). Each button is a
    plain POST to this address, which sends the reader back to the post in its thread.
    """
    post, membership = get_post_for_user(request.user, pk)
    require_reader_membership(membership)  # members only; a suspended one still reads
    if _unreadable(post, request.user, membership):
        raise Http404("This post was removed.")
    thread = post.thread
    refusal = None
    sanction = membership.active_suspension()
    # The reader as the thread page sees them (post_index): what they may do to the post, and their marks on it.
    reader = post_index.reader_of(request.user, membership, suspended=sanction is not None, thread_id=thread.pk)
    if sanction is not None:
        refusal = sanction.refusal()
    else:
        try:
            reactions.check_may_react(post=post, user=request.user)
        except ValidationError as error:
            refusal = error.messages[0]
    buttons = reactions.reaction_buttons(reactions.reactions_on([post], request.user).get(post.pk, {}))
    may_flag = post_index.may_flag(reader, author_id=post.author_id, deleted=post.is_deleted)
    context = {
        "post": post,
        "thread": thread,
        "topic": thread.topic,
        "group": thread.topic.group,
        "buttons": buttons,
        "reaction_total": sum(button["count"] for button in buttons),
        "refusal": refusal,
        "hide_author": thread.is_chatham_house and not membership.is_moderator,
        "is_own": post.author_id == request.user.pk,
        "bookmarked": post.pk in reader.bookmarks,
        "may_flag": may_flag,
        "flagged": may_flag and post.pk in reader.flags,
    }
    with clock.reading(request.user, thread.topic.group):
        return render(request, "discussions/react.html", context)


def who_reacted(request, pk):
    """Who gave each reaction to a post; under the Chatham House rule only the counts, except to moderators."""
    post, membership = get_post_for_user(request.user, pk)
    if _unreadable(post, request.user, membership):
        raise Http404("This post was removed.")
    prompt = prompt_of(post.thread)
    hide_names = (
        prompt is not None and prompt.chatham_house and not (membership is not None and membership.is_moderator)
    )
    context = {
        "post": post,
        "thread": post.thread,
        "topic": post.thread.topic,
        "group": post.thread.topic.group,
        "reactions": reactions.who_reacted(post),
        "hide_names": hide_names,
    }
    return render(request, "discussions/who_reacted.html", context)


@require_POST
@login_required
def bookmark(request, pk):
    post, membership = get_post_for_user(request.user, pk)
    try:
        require_reader_membership(membership)  # a bookmark only concerns the member's own reading
    except PermissionDenied as refusal:
        if _wants_json(request):
            return JsonResponse({"error": str(refusal)}, status=HTTPStatus.FORBIDDEN)
        raise
    on = _state(request)
    if on is None:
        return _refuse(request, post, _("Say whether to bookmark the post."), HTTPStatus.BAD_REQUEST)
    if post.is_hidden and not post.can_read_hidden(request.user, membership):
        raise Http404("This post is hidden.")
    try:
        reactions.set_bookmark(post=post, user=request.user, on=on)
    except ValidationError as error:
        return _refuse(request, post, error.messages[0], HTTPStatus.BAD_REQUEST)
    if _wants_json(request):
        return JsonResponse({"bookmarked": on})
    if on:
        messages.success(request, _("Bookmarked: find it again under Bookmarks."))
    return redirect(post)


@login_required
def bookmark_list(request):
    page = Paginator(reactions.bookmarks_of(request.user), settings.BOOKMARKS_PER_PAGE).get_page(request.GET.get("page"))
    moderated = moderated_group_ids(request.user)
    for saved in page.object_list:
        thread = saved.post.thread
        # The Chatham House rule: what was said, not who said it (moderators of the group excepted).
        saved.author_hidden = thread.is_chatham_house and thread.topic.group_id not in moderated
    with clock.reading(request.user, None):
        return render(request, "discussions/bookmarks.html", {"page": page})
