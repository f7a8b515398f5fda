"""Thread views, counted without a write on the page that is read.

A view counts once per viewer, thread and day: a member by their id, a visitor by a keyed hash of their address and
browser (the raw address is never stored, and the hash changes every day). Reading a thread adds the viewer to a
HyperLogLog for the thread and the day in Redis; when that raises the day's estimate, the rise goes into a hash of
pending counts. Every minute beat runs `flush_view_counts`, which takes the whole hash at once (RENAME to a key of its
own, so two workers never take the same counts) and adds it to the threads in one UPDATE per batch; if the UPDATE
fails the counts go back into the hash for the next tick. The rows, and so the pages, are at most a minute behind.

Without Redis (dev mode and the SQLite test pass cache in local memory, and dev mode's worker is another process that
could never flush this one's memory) a view is added to its thread at once, as before, and the same cache remembers
who was counted today. Neither way opens a session. With Redis unreachable a view is simply not counted.
"""

import uuid
from datetime import datetime, timedelta

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.utils.crypto import salted_hmac
from redis.exceptions import ResponseError

from discussions.models import Thread
from groupsite import freshness
from groupsite.cache import UNAVAILABLE, _unavailable as log_unavailable  # logged once a minute at most

# A day's viewers are remembered into the next day, so a view just before midnight (UTC) is not counted again at once.
SEEN_FOR = timedelta(days=2)
# Threads per UPDATE when flushing: one statement's CASE stays a readable size.
FLUSH_BATCH = 500
# Counts taken by a flush that died before applying them are dropped after this long rather than kept for ever.
CLAIM_KEPT_FOR = timedelta(hours=1)

# Atomic in Redis: add the viewer, and if the day's estimate rose above what was counted, count the rise. Counting
# PFADD's answers instead would fall well short on busy threads: once the registers fill, most new viewers change none.
COUNT_VIEW = """
if redis.call('PFADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
local estimate = redis.call('PFCOUNT', KEYS[1])
local counted = tonumber(redis.call('GET', KEYS[2]) or '0')
if estimate <= counted then
  return 0
end
redis.call('SET', KEYS[2], estimate, 'EX', ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[2], estimate - counted)
return estimate - counted
"""


def viewer_of(request, *, now: datetime) -> str:
    """Who is reading: a member by id; a visitor by a keyed hash of their address and browser that changes daily."""
    if request.user.is_authenticated:
        return f"member:{request.user.pk}"
    address = request.META.get("REMOTE_ADDR", "")
    browser = request.META.get("HTTP_USER_AGENT", "")
    reader = f"{now.date().isoformat()}\x1f{address}\x1f{browser}"
    return "visitor:" + salted_hmac("discussions.view_counts", reader).hexdigest()[:32]


def count_view(*, thread: Thread, viewer: str, now: datetime) -> int:
    """Count `viewer`'s view of the thread, once a day. Returns the views added (0 for a viewer counted already)."""
    day = now.date().isoformat()
    client = redis_client()
    if client is None:
        return _count_in_database(thread=thread, viewer=viewer, day=day)
    keys = [_key(f"seen:{thread.pk}:{day}"), _key(f"counted:{thread.pk}:{day}"), _key("pending")]
    try:
        count = client.register_script(COUNT_VIEW)  # sent by its SHA1 once Redis has it
        return int(count(keys=keys, args=[viewer, thread.pk, int(SEEN_FOR.total_seconds())]))
    except UNAVAILABLE as error:  # the page is still shown; this view is not counted
        log_unavailable(error)
        return 0


def pending_views() -> dict[int, int]:
    """The views counted but not yet flushed, by thread id."""
    client = redis_client()
    if client is None:
        return {}
    try:
        return {int(pk): int(count) for pk, count in client.hgetall(_key("pending")).items()}
    except UNAVAILABLE as error:
        log_unavailable(error)
        return {}


def flush_view_counts() -> int:
    """Add the pending views to their threads; returns how many threads changed. Safe to run twice at once."""
    client = redis_client()
    if client is None:
        return 0  # without Redis every view is in its row already
    pending, claimed = _key("pending"), _key(f"flushing:{uuid.uuid4().hex}")
    try:
        with client.pipeline(transaction=True) as claim:
            claim.rename(pending, claimed).expire(claimed, int(CLAIM_KEPT_FOR.total_seconds())).hgetall(claimed)
            renamed, _, taken = claim.execute(raise_on_error=False)
    except UNAVAILABLE as error:
        log_unavailable(error)
        return 0
    if isinstance(renamed, ResponseError):  # "no such key": nothing was viewed since the last flush
        return 0
    counts = {int(pk): int(count) for pk, count in taken.items()}
    try:
        changed = add_views(counts)
    except Exception:
        # Back into the pending hash, beside whatever was counted meanwhile, for the next flush to try again.
        with client.pipeline(transaction=True) as put_back:
            for pk, count in counts.items():
                put_back.hincrby(pending, pk, count)
            put_back.delete(claimed).execute()
        raise
    client.delete(claimed)
    return changed


def add_views(counts: dict[int, int]) -> int:
    """Add views to threads (a thread deleted meanwhile is skipped) and move on the versions of their pages.

    All or nothing, in one transaction: a flush that fails puts back every count it took, so none may have landed.
    """
    changed = 0
    ids = sorted(counts)
    with transaction.atomic():
        for start in range(0, len(ids), FLUSH_BATCH):
            batch = ids[start : start + FLUSH_BATCH]
            topic_of = dict(Thread.objects.filter(pk__in=batch).values_list("pk", "topic_id"))
            if not topic_of:
                continue
            added = Case(
                *(When(pk=pk, then=Value(counts[pk])) for pk in topic_of), output_field=PositiveIntegerField()
            )
            changed += Thread.objects.filter(pk__in=topic_of).update(view_count=F("view_count") + added)
            freshness.changed(threads=list(topic_of), topics=sorted(set(topic_of.values())))
    return changed


def buffered() -> bool:
    """Whether views wait in Redis for the flush; without Redis each new view is written to its thread at once."""
    return redis_client() is not None


def redis_client():
    """The Redis client behind Django's cache (its own connection pool), or None when the cache is not Redis."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def _key(name: str) -> str:
    return cache.make_key(f"views:{name}")


def _count_in_database(*, thread: Thread, viewer: str, day: str) -> int:
    # A cache that is not Redis lives in this process only: it remembers who was counted, but a buffer in it would
    # never reach the worker that flushes. So the view goes straight to the row, as before this module: one UPDATE.
    if not cache.add(f"views:seen:{thread.pk}:{day}:{viewer}", 1, timeout=int(SEEN_FOR.total_seconds())):
        return 0
    Thread.objects.filter(pk=thread.pk).update(view_count=F("view_count") + 1)
    thread.view_count += 1  # the page being shown says so too
    freshness.changed(threads=[thread.pk], topics=[thread.topic_id])
    return 1
