"""Versions of what pages show, so that a cached piece of a page is never stale.

A cached piece (a rendered post, a whole page for visitors) is stored under a key that carries the versions of
the things it shows: its thread, topic, group, or the whole site. A change calls `changed(...)` for what it
alters, and once its transaction commits those versions move on, so the next request builds new keys, misses
and renders afresh; the old entries are never read again and expire by themselves.

The versions live in the shared cache (Redis in production), so a change made through one web process shows at
once on every other. A reader takes the versions *before* it reads the database: a piece stored under a version
then holds what was committed when that version was current, or something newer, never older. Inside a
transaction a change moves its versions twice, at once and again on commit: a reader in between may store the
data as it was before the commit, but only under the in-between version, which nobody reads after the commit.

A version missing from the cache (never set, evicted, Redis restarted) starts again from the clock in
nanoseconds rather than from 0, so it can never come back to a value that old entries are still stored under.
With Redis unreachable every version reads as "0", nothing is found and nothing is stored (the cache fails
open, groupsite/cache.py), so pages are simply rendered each time.
"""

import hashlib
import time
from functools import cache as once

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

PREFIX = "fresh"
SITE = "site"


def thread_scope(thread_id: int) -> str:
    return f"thread:{thread_id}"


def topic_scope(topic_id: int) -> str:
    return f"topic:{topic_id}"


def group_scope(group_id: int) -> str:
    return f"group:{group_id}"


def scopes_of(*, threads=(), topics=(), groups=(), site: bool = False) -> list[str]:
    scopes = [thread_scope(pk) for pk in threads] + [topic_scope(pk) for pk in topics]
    scopes += [group_scope(pk) for pk in groups]
    return scopes + [SITE] if site else scopes


def _key(scope: str) -> str:
    return f"{PREFIX}:{scope}"


def changed(*, threads=(), topics=(), groups=(), site: bool = False) -> None:
    """Move on the versions of what a change alters: now, and once more when the current transaction commits.

    Pass every id whose pages show the change: a new reply alters its thread (the post), its topic (counts, last
    activity) and its group (counts). `site=True` is for what every page may show, such as a display name.
    """
    scopes = scopes_of(threads=threads, topics=topics, groups=groups, site=site)
    if not scopes:
        return
    bump(scopes)  # the transaction's own reads (and a test's, which never commits) see the change at once
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: bump(scopes), robust=True)


def bump(scopes) -> None:
    for scope in dict.fromkeys(scopes):  # once each, in order
        key = _key(scope)
        try:
            cache.incr(key)
        except ValueError:  # not in the cache: whatever was stored under its old value is unreachable already
            cache.add(key, time.time_ns(), timeout=None)


def versions(scopes) -> list[int]:
    keys = [_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, time.time_ns(), timeout=None)  # another process may have added its own: read it back
        found.update(cache.get_many(missing))
    return [found.get(key, 0) for key in keys]


def stamp(scopes) -> str:
    """A short string that changes whenever any of these scopes changes: the part of a cache key that expires it."""
    return ".".join(str(version) for version in versions(scopes))


# What renders the cached pieces: a release that changes any of it starts new keys, so pieces made by the code
# before a deploy are never shown by the code after it.
RENDERING_SOURCES = ("templates", "discussions", "topics", "groupsite")


@once
def release() -> str:
    digest = hashlib.blake2b(digest_size=8)
    for folder in RENDERING_SOURCES:
        for path in sorted((settings.BASE_DIR / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt", ".mo"} and "migrations" not in path.parts:
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(kind: str, *parts) -> str:
    """A cache key of bounded length for a piece of kind `kind`, from any number of parts (stamps, ids, language)."""
    joined = "\x1f".join(str(part) for part in (release(), *parts))
    digest = hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()
    return f"{PREFIX}:{kind}:{digest}"
