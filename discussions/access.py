"""One way in to threads and posts, on top of topics.access: the object, or 404 / 403."""

from functools import cache as once

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, TextField
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from discussions import notifications
from discussions.models import Post, Thread
from topics.access import reader_membership, require_member, require_moderator
from topics.models import Group, Prompt, Topic


def get_thread_for_user(user, pk: int):
    # Not the thread's author: the thread page does not show it (it stays a lazy attribute elsewhere).
    threads = Thread.objects.select_related("topic__group")
    # The opening post's HTML, for the page's link preview (feeds.templatetags.sharing), in the same query: plain
    # SQL, which costs a member's page less than building the same subquery through the ORM.
    threads = threads.annotate(
        opening_html=RawSQL(_opening_html_sql(), [], output_field=TextField()),
        has_prompt=RawSQL(_has_prompt_sql(), [], output_field=BooleanField()),
    )
    # The member's read marker and watch levels come along in the same query (discussions.notifications).
    thread = get_object_or_404(notifications.with_reader_state(threads, user), pk=pk)
    _attach_prompt(thread)
    return thread, reader_membership(user, thread.topic.group)


def _attach_prompt(thread) -> None:
    """`thread.prompt` as select_related would leave it: the prompt with its poll and outcome (one query, for a
    prompt's thread only), or none without a query. Joined into the thread's query for every thread, those four
    tables were half of PostgreSQL's planning of it (0.76 ms against 0.33), on every thread page."""
    prompt = None
    if thread.has_prompt:
        prompt = Prompt.objects.select_related("poll", "outcome__author").filter(thread=thread).first()
    Thread.prompt.related.set_cached_value(thread, prompt)  # None: thread.prompt raises DoesNotExist, asks nothing
    if prompt is not None:
        Prompt.thread.field.set_cached_value(prompt, thread)


@once
def _has_prompt_sql() -> str:
    prompt, thread = (connection.ops.quote_name(model._meta.db_table) for model in (Prompt, Thread))
    return f"EXISTS (SELECT 1 FROM {prompt} pr WHERE pr.thread_id = {thread}.id)"


@once
def _opening_html_sql() -> str:
    post, thread = (connection.ops.quote_name(model._meta.db_table) for model in (Post, Thread))
    # Post.objects.shown(): neither removed nor hidden.
    return (
        f"SELECT p.body_html FROM {post} p WHERE p.thread_id = {thread}.id AND p.number = 1 "
        "AND p.deleted_at IS NULL AND p.hidden_at IS NULL"
    )


def thread_place(pk: int) -> dict | None:
    """Where a thread lives and its group's visibility, in one narrow query: enough to check a visitor's access
    and to serve them a kept copy of the page. Plain SQL: building even a narrow query through the ORM cost more
    than the rest of a cached page."""
    if not -(2**63) <= pk < 2**63:
        return None  # beyond any id the column can hold (the ORM answers so too; SQLite would raise)
    with connection.cursor() as cursor:
        cursor.execute(_thread_place_sql(), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    title, topic_id, group_id, visibility = row
    return {"title": title, "topic_id": topic_id, "group_id": group_id, "visibility": visibility,
            "slug": Thread(title=title).slug}


@once
def _thread_place_sql() -> str:
    thread, topic, group = (connection.ops.quote_name(model._meta.db_table) for model in (Thread, Topic, Group))
    return (
        f"SELECT t.title, t.topic_id, tp.group_id, g.visibility FROM {thread} t "
        f"JOIN {topic} tp ON tp.id = t.topic_id JOIN {group} g ON g.id = tp.group_id WHERE t.id = %s"
    )


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
