"""Keeping a group's discussion in order: moderators' thread tools, and the limits on how fast anyone posts."""

import math
import time
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Max, OuterRef, Subquery, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext, gettext_lazy, ngettext

from discussions import changes
from discussions.markdown import render_markdown
from discussions.models import Post, Thread
from discussions.search import index as search_index
from topics import audit
from topics.audit import AuditAction
from topics.models import Group, Membership, Prompt, Topic
from topics.prompts import prompt_of

MINUTE = 60
HOUR = 60 * 60

PROMPT_LOCK_ERROR = gettext_lazy(
    "This thread belongs to a prompt, and the prompt's status decides whether it takes replies: "
    "close or reopen the prompt instead."
)
POSTING_TOO_FAST = gettext_lazy("You are posting very fast: wait a minute and try again.")
TOO_MANY_THREADS = gettext_lazy("You have started many threads in the last hour: wait a while and try again.")
PREVIEWING_TOO_FAST = gettext_lazy("You are previewing very fast: wait a minute and try again.")


class ModerationError(Exception):
    """An action the thread's state does not allow; the message tells the moderator what to do instead."""


class RateLimited(Exception):
    """Too many actions in the current window; the message is meant for the person acting."""

    def __init__(self, message: str = "", *, retry_after: int = MINUTE):
        super().__init__(message)
        self.retry_after = retry_after  # seconds until trying again can succeed: the 429 page's Retry-After


class TooManyLinks(Exception):
    """A new member's post has more links than the group allows them; the message says how many may stay."""


# Thread tools. Each returns whether anything changed, so the view can say so. `by` is the moderator acting:
# a change they make is written to the moderation log in the same transaction.


def _log_thread_action(thread: Thread, *, by, action: str, summary: str = "") -> None:
    if by is None:
        return
    audit.record(actor=by, action=action, group=thread.topic.group, thread=thread, summary=summary or thread.title)


@transaction.atomic
def _set_thread_flag(thread: Thread, field: str, value: bool, *, by, action: str) -> bool:
    changed = Thread.objects.filter(pk=thread.pk).exclude(**{field: value}).update(**{field: value})
    setattr(thread, field, value)
    if changed:
        changes.thread_changed(thread.pk)
        _log_thread_action(thread, by=by, action=action)
    return bool(changed)


def pin_thread(*, thread: Thread, by=None) -> bool:
    return _set_thread_flag(thread, "is_pinned", True, by=by, action=AuditAction.PIN)


def unpin_thread(*, thread: Thread, by=None) -> bool:
    return _set_thread_flag(thread, "is_pinned", False, by=by, action=AuditAction.UNPIN)


def lock_thread(*, thread: Thread, by=None) -> bool:
    """Stop replies. A prompt's thread is locked by closing the prompt: its status would otherwise disagree."""
    if prompt_of(thread) is not None:
        raise ModerationError(str(PROMPT_LOCK_ERROR))
    return _set_thread_flag(thread, "is_locked", True, by=by, action=AuditAction.LOCK)


def unlock_thread(*, thread: Thread, by=None) -> bool:
    """Take replies again; a prompt's thread is unlocked by reopening the prompt."""
    if prompt_of(thread) is not None:
        raise ModerationError(str(PROMPT_LOCK_ERROR))
    return _set_thread_flag(thread, "is_locked", False, by=by, action=AuditAction.UNLOCK)


@transaction.atomic
def rename_thread(*, thread: Thread, title: str, by=None) -> bool:
    if title == thread.title:
        return False
    old_title = thread.title
    Thread.objects.filter(pk=thread.pk).update(title=title)
    thread.title = title
    changes.thread_changed(thread.pk)
    search_index.index_thread(thread)
    _log_thread_action(thread, by=by, action=AuditAction.RENAME, summary=f"“{old_title}” → “{title}”")
    return True


def _latest_thread_activity():
    """A topic's last activity: that of its most recently active thread (None when it has no threads)."""
    threads = Thread.objects.filter(topic=OuterRef("pk")).order_by("-last_activity_at")
    return Subquery(threads.values("last_activity_at")[:1])


@transaction.atomic
def move_thread(*, thread: Thread, topic: Topic, by=None) -> bool:
    """Move a thread, its posts' counts and its prompt (if any) to another topic of the same group."""
    if topic.group_id != thread.topic.group_id:
        raise ModerationError(gettext("A thread can only move to another topic of its own group."))
    # Locking the thread row holds off replies (publish_post locks it too), so the post count moved is the final one.
    locked = Thread.objects.select_for_update().only("topic_id", "post_count").get(pk=thread.pk)
    if locked.topic_id == topic.pk:
        return False
    source_id = locked.topic_id
    Thread.objects.filter(pk=thread.pk).update(topic=topic)
    # Topics count every post ever published in their threads (removed ones too), like publish_post does.
    # Greatest() keeps a counter that was already wrong from failing the positive-integer check.
    Topic.objects.filter(pk=source_id).update(
        thread_count=Greatest(F("thread_count") - 1, Value(0)),
        post_count=Greatest(F("post_count") - locked.post_count, Value(0)),
        last_activity_at=_latest_thread_activity(),
    )
    Topic.objects.filter(pk=topic.pk).update(
        thread_count=F("thread_count") + 1,
        post_count=F("post_count") + locked.post_count,
        last_activity_at=_latest_thread_activity(),
    )
    # A prompt lives in its thread's topic: the topic page, summary and export gather it from there.
    Prompt.objects.filter(thread_id=thread.pk).update(topic=topic)
    changes.thread_changed(thread.pk, also_topics=[source_id])  # the topic it left shows it no longer
    search_index.move_thread(thread=thread, topic=topic)
    source_title = Topic.objects.filter(pk=source_id).values_list("title", flat=True).first() or ""
    thread.topic = topic
    _log_thread_action(thread, by=by, action=AuditAction.MOVE, summary=f"“{thread.title}”: {source_title} → {topic.title}")
    return True


# Rate limits. Counts live in the cache (Redis in production), so every web process adds to the same count.


def count_in_window(*, key: str, window: int, now: float | None = None) -> int:
    """Count one more action in the fixed window of `window` seconds that `now` falls in; return the window's count.

    The window's number is part of the cache key, so the next window starts again from nothing and the old key
    just expires. `now` (seconds since the epoch) lets a test step into the next window without sleeping.
    """
    now = time.time() if now is None else now
    cache_key = f"rate-limit:{key}:{int(now // window)}"
    cache.add(cache_key, 0, timeout=window)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the key expired between add() and incr()
        cache.add(cache_key, 1, timeout=window)
        return 1


def count_new_post(*, user, membership: Membership | None, new_thread: bool = False, now: float | None = None) -> None:
    """Count a post (or a new thread) the user is about to publish; raise RateLimited when it is one too many.

    Limits are read at call time (POSTS_PER_MINUTE, NEW_THREADS_PER_HOUR). The group's moderators are exempt:
    they seed topics and answer many people at once.
    """
    if membership is not None and membership.is_moderator:
        return
    if new_thread and count_in_window(key=f"threads:{user.pk}", window=HOUR, now=now) > settings.NEW_THREADS_PER_HOUR:
        raise RateLimited(str(TOO_MANY_THREADS))
    if count_in_window(key=f"posts:{user.pk}", window=MINUTE, now=now) > settings.POSTS_PER_MINUTE:
        raise RateLimited(str(POSTING_TOO_FAST))


def count_preview(*, user, now: float | None = None) -> None:
    """Count a Markdown preview; raise RateLimited past PREVIEWS_PER_MINUTE (rendering is the costly part)."""
    if count_in_window(key=f"previews:{user.pk}", window=MINUTE, now=now) > settings.PREVIEWS_PER_MINUTE:
        raise RateLimited(str(PREVIEWING_TOO_FAST))


# Slow mode and the limits on new members. Both read the posts already in the database, so every web process
# sees the same counts, exactly, and they survive a cache flush.


@transaction.atomic
def set_slow_mode(*, thread: Thread, minutes: int | None, actor, now: datetime) -> bool:
    """Let each member post in the thread at most once per `minutes` (None: no limit); recorded in the log."""
    minutes = minutes or None
    if thread.slow_mode_minutes == minutes:
        return False
    Thread.objects.filter(pk=thread.pk).update(slow_mode_minutes=minutes)
    thread.slow_mode_minutes = minutes
    changes.thread_changed(thread.pk)
    summary = (
        gettext("Slow mode: one post per member every %(minutes)d minutes") % {"minutes": minutes}
        if minutes
        else gettext("Slow mode off")
    )
    group = thread.topic.group
    audit.record(actor=actor, action=audit.AuditAction.SLOW_MODE, group=group, thread=thread, summary=summary, now=now)
    return True


def check_slow_mode(*, thread: Thread, user, membership: Membership | None, now: datetime) -> None:
    """Raise RateLimited if the member posted in this slow-mode thread too recently; moderators are exempt."""
    if not thread.slow_mode_minutes or (membership is not None and membership.is_moderator):
        return
    last = Post.objects.filter(thread=thread, author=user).aggregate(last=Max("created_at"))["last"]
    if last is None:
        return
    wait = last + timedelta(minutes=thread.slow_mode_minutes) - now
    if wait > timedelta(0):
        minutes = math.ceil(wait.total_seconds() / MINUTE)
        raise RateLimited(
            ngettext(
                "Slow mode is on in this thread: you can post here again in %(minutes)d minute.",
                "Slow mode is on in this thread: you can post here again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )


class _LinkCounter(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and any(name == "href" for name, _ in attrs):
            self.links += 1


def count_links(body: str) -> int:
    """Links in a post as it will show: typed links, bare web addresses the renderer links, and autolinks."""
    counter = _LinkCounter()
    counter.feed(render_markdown(body))
    return counter.links


def check_new_member_limits(
    *, group: Group, membership: Membership, body: str, now: datetime, new_post: bool = True
) -> None:
    """Apply the group's limits for members in their first day: posts in total (RateLimited) and links per post
    (TooManyLinks; an edit, new_post=False, is held to the link limit only). Moderators are exempt."""
    if membership.is_moderator or not membership.is_new(now):
        return
    post_limit = group.new_member_post_limit
    if new_post and post_limit is not None:
        posted = Post.objects.filter(
            thread__topic__group=group, author_id=membership.user_id, created_at__gte=membership.joined_at
        ).count()
        if posted >= post_limit:
            raise RateLimited(
                ngettext(
                    "In their first day in this group members post at most %(limit)d time: try again tomorrow.",
                    "In their first day in this group members post at most %(limit)d times: try again tomorrow.",
                    post_limit,
                )
                % {"limit": post_limit}
            )
    link_limit = group.new_member_link_limit
    if link_limit is not None and (links := count_links(body)) > link_limit:
        raise TooManyLinks(
            ngettext(
                "In their first day in this group members may put at most %(limit)d link in a post; this one has "
                "%(links)d.",
                "In their first day in this group members may put at most %(limit)d links in a post; this one has "
                "%(links)d.",
                link_limit,
            )
            % {"limit": link_limit, "links": links}
        )
