"""Keeping a group's discussion in order: moderators' thread tools, and the limits on how fast anyone posts."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Greatest

from discussions.models import Thread
from topics.models import Membership, Prompt, Topic
from topics.prompts import prompt_of

MINUTE = 60
HOUR = 60 * 60

PROMPT_LOCK_ERROR = (
    "This thread belongs to a prompt, and the prompt's status decides whether it takes replies: "
    "close or reopen the prompt instead."
)
POSTING_TOO_FAST = "You are posting very fast: wait a minute and try again."
TOO_MANY_THREADS = "You have started many threads in the last hour: wait a while and try again."
PREVIEWING_TOO_FAST = "You are previewing very fast: wait a minute and try again."


class ModerationError(Exception):
    """An action the thread's state does not allow; the message tells the moderator what to do instead."""


class RateLimited(Exception):
    """Too many actions in the current window; the message is meant for the person acting."""

    def __init__(self, message: str = "", *, retry_after: int = MINUTE):
        super().__init__(message)
        self.retry_after = retry_after  # seconds until trying again can succeed: the 429 page's Retry-After


# Thread tools. Each returns whether anything changed, so the view can say so.


def _set_thread_flag(thread: Thread, field: str, value: bool) -> bool:
    changed = Thread.objects.filter(pk=thread.pk).exclude(**{field: value}).update(**{field: value})
    setattr(thread, field, value)
    return bool(changed)


def pin_thread(*, thread: Thread) -> bool:
    return _set_thread_flag(thread, "is_pinned", True)


def unpin_thread(*, thread: Thread) -> bool:
    return _set_thread_flag(thread, "is_pinned", False)


def lock_thread(*, thread: Thread) -> bool:
    """Stop replies. A prompt's thread is locked by closing the prompt: its status would otherwise disagree."""
    if prompt_of(thread) is not None:
        raise ModerationError(PROMPT_LOCK_ERROR)
    return _set_thread_flag(thread, "is_locked", True)


def unlock_thread(*, thread: Thread) -> bool:
    """Take replies again; a prompt's thread is unlocked by reopening the prompt."""
    if prompt_of(thread) is not None:
        raise ModerationError(PROMPT_LOCK_ERROR)
    return _set_thread_flag(thread, "is_locked", False)


def rename_thread(*, thread: Thread, title: str) -> bool:
    if title == thread.title:
        return False
    Thread.objects.filter(pk=thread.pk).update(title=title)
    thread.title = title
    return True


def _latest_thread_activity():
    """A topic's last activity: that of its most recently active thread (None when it has no threads)."""
    threads = Thread.objects.filter(topic=OuterRef("pk")).order_by("-last_activity_at")
    return Subquery(threads.values("last_activity_at")[:1])


@transaction.atomic
def move_thread(*, thread: Thread, topic: Topic) -> bool:
    """Move a thread, its posts' counts and its prompt (if any) to another topic of the same group."""
    if topic.group_id != thread.topic.group_id:
        raise ModerationError("A thread can only move to another topic of its own group.")
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
    thread.topic = topic
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
        raise RateLimited(TOO_MANY_THREADS)
    if count_in_window(key=f"posts:{user.pk}", window=MINUTE, now=now) > settings.POSTS_PER_MINUTE:
        raise RateLimited(POSTING_TOO_FAST)


def count_preview(*, user, now: float | None = None) -> None:
    """Count a Markdown preview; raise RateLimited past PREVIEWS_PER_MINUTE (rendering is the costly part)."""
    if count_in_window(key=f"previews:{user.pk}", window=MINUTE, now=now) > settings.PREVIEWS_PER_MINUTE:
        raise RateLimited(PREVIEWING_TOO_FAST)
