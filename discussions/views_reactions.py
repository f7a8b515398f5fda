"""Reacting to posts, bookmarking them, and the pages that list both.

The buttons submit a thread page's one form (a POST, then back to the post); site.js sends the same with fetch
and asks for JSON, so a page with JavaScript updates in place.
"""

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from discussions import reactions
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


@require_POST
@login_required
def react(request, pk):
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


def who_reacted(request, pk):
    """Who gave each reaction to a post; under the Chatham House rule only the counts, except to moderators."""
    post, membership = get_post_for_user(request.user, pk)
    if post.is_deleted or (post.is_hidden and not post.can_read_hidden(request.user, membership)):
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
