"""One way in to threads and posts, on top of topics.access: the object, or 404 / 403."""

from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from discussions import notifications
from discussions.models import Post, Thread
from topics.access import reader_membership, require_member, require_moderator


def get_thread_for_user(user, pk: int):
    threads = Thread.objects.select_related("topic__group", "author", "prompt__poll", "prompt__outcome__author")
    # The opening post's HTML, for the page's link preview (feeds.templatetags.sharing), in the same query.
    opening = Post.objects.shown().filter(thread=OuterRef("pk"), number=1).values("body_html")[:1]
    threads = threads.annotate(opening_html=Subquery(opening))
    # The member's read marker and watch levels come along in the same query (discussions.notifications).
    thread = get_object_or_404(notifications.with_reader_state(threads, user), pk=pk)
    return thread, reader_membership(user, thread.topic.group)


def thread_place(pk: int) -> dict | None:
    """Where a thread lives and its group's visibility, in one narrow query: enough to check a visitor's access
    and to serve them a kept copy of the page (the full thread row is wide, and building its query alone cost
    more than the rest of a cached page)."""
    place = (
        Thread.objects.filter(pk=pk)
        .values("title", "topic_id", group_id=F("topic__group_id"), visibility=F("topic__group__visibility"))
        .first()
    )
    if place is not None:
        place["slug"] = Thread(title=place["title"]).slug
    return place


def get_post_for_user(user, pk: int):
    post = get_object_or_404(Post.objects.select_related("thread__topic__group", "author"), pk=pk)
    return post, reader_membership(user, post.thread.topic.group)


def get_post_for_editor(user, pk: int):
    post, membership = get_post_for_user(user, pk)
    require_member(membership)  # a suspended author may not change their posts either
    if not post.can_edit(user, membership):
        raise PermissionDenied(gettext("Only the author or a moderator can change this post."))
    return post, membership


def get_thread_for_moderator(user, pk: int):
    """The thread and the moderator's membership: 404 where the group is hidden, 403 for non-moderators."""
    thread, membership = get_thread_for_user(user, pk)
    return thread, require_moderator(membership)
