"""Cached pieces of the topic, group and home pages, shared by every reader who would see them the same.

A piece is stored under a key made of the freshness stamp of what it shows (groupsite/freshness.py) and of what
makes readers see it differently: the language, the `?lang=` switch and query, the clock it is read on, and
whether the reader moderates the group (moderators see every author and their own links). What belongs to one
reader alone never goes into a piece: unread markers, "Waiting for your answer", watch buttons, CSRF tokens and
forms. The topic page's thread rows keep a marker where the unread badge goes, and each request puts the reader's
own badge there.

Pieces also expire after ANONYMOUS_PAGE_SECONDS, like visitors' whole pages, for what changes without a change
being announced: view counts (buffered and flushed in batches) and "3 minutes ago".
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from discussions.models import Thread
from groupsite import freshness
from topics import bilingual
from topics.models import Prompt

# Where a thread row's unread badge goes. Text a member typed is escaped ("<" becomes "&lt;"), so this comment
# can only come from the row's own template.
UNREAD_MARK = "<!--roundtable:unread-->"
ROW_SEPARATOR = "<!--roundtable:row-->"
PART_SEPARATOR = "<!--roundtable:part-->"


def topic_scopes(topic) -> list[str]:
    """What a topic page shows: the topic, its group (name, clock, roles, settings) and names site-wide."""
    return freshness.scopes_of(topics=[topic.pk], groups=[topic.group_id], site=True)


def group_scopes(group) -> list[str]:
    return freshness.scopes_of(groups=[group.pk], site=True)


def reader_variant(request, *, is_moderator: bool) -> tuple:
    """What makes two readers see the same stored piece differently, besides the data itself."""
    return (
        translation.get_language(),
        str(timezone.get_current_timezone()),
        is_moderator,
        bilingual.wanted_language(request),
        request.META.get("QUERY_STRING", ""),  # the bilingual switch links keep the page's own query
    )


def membership_changed(*, group_id: int, user_id: int, badge: bool) -> None:
    """After someone joins, leaves, is removed or banned, or changes role: the group's pages (member count,
    moderators), and with `badge` every thread row and page of the group that shows their name with its badge
    (threads they started or posted in). Called inside the change's transaction."""
    threads = []
    if badge:
        started_or_posted = Q(author_id=user_id) | Q(posts__author_id=user_id)
        threads = Thread.objects.filter(started_or_posted, topic__group_id=group_id).values_list("pk", flat=True)
        threads = list(threads.distinct())
    freshness.changed(threads=threads, groups=[group_id])


def prompt_changed(prompt_id: int) -> None:
    """After a prompt is published, closed, reopened or edited: its topic and group pages (open prompts,
    outcomes) and its thread (the prompt panel, and the row's pin and lock)."""
    prompt = Prompt.objects.filter(pk=prompt_id).values("thread_id", "topic_id", "topic__group_id").first()
    if prompt is None:
        return
    threads = [prompt["thread_id"]] if prompt["thread_id"] else []
    freshness.changed(threads=threads, topics=[prompt["topic_id"]], groups=[prompt["topic__group_id"]])


def _seconds() -> int:
    return max(settings.ANONYMOUS_PAGE_SECONDS, 1)


def render_piece(template_name: str, context: dict) -> str:
    """A piece rendered without the request's context processors: no `user`, no CSRF token can get into it."""
    return render_to_string(template_name, context)


def fragments(wanted: dict) -> dict:
    """{name: (kind, key_parts, render)} -> {name: safe HTML}: stored pieces in one round trip to the cache, the
    missing ones made by their `render()` and stored for the next reader."""
    keys = {name: freshness.cache_key(kind, *parts) for name, (kind, parts, _) in wanted.items()}
    found = cache.get_many(list(keys.values()))
    made = {}
    for name, (_, _, render) in wanted.items():
        if keys[name] not in found:
            made[keys[name]] = str(render())
    if made:
        cache.set_many(made, _seconds())
    found |= made
    # Rendered by our own autoescaping templates and stored as they were made.
    return {name: mark_safe(found[keys[name]]) for name in wanted}


def split_parts(html: str) -> list[str]:
    """A stored piece made of parts shown in different places of a page, split where its template said."""
    return [mark_safe(part) for part in html.split(PART_SEPARATOR)]


def thread_rows(request, *, topic, threads: list[dict], is_moderator: bool, load_threads) -> str:
    """The topic page's rows for `threads` (dicts of pk, title, post_count and read_number, in page order), as
    one HTML string with each reader's own unread badges in place.

    Rows are stored one per thread under that thread's version, so a reply re-renders only its own row; the
    threads that missed are read by `load_threads(ids)` (one query) and rendered by one template pass.
    """
    if not threads:
        return mark_safe("")
    # The rows show no bilingual text: the language, the clock and the reader's role are what matter. A role
    # badge beside a starter's name changes with the thread's version (topics.services.change_role).
    variant = reader_variant(request, is_moderator=is_moderator)[:3]
    scopes = [freshness.SITE] + [freshness.thread_scope(row["pk"]) for row in threads]
    site, *versions = freshness.versions(scopes)
    keys = {
        row["pk"]: freshness.cache_key("topic-row", row["pk"], version, site, *variant)
        for row, version in zip(threads, versions)
    }
    found = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        loaded = load_threads(missing)  # read after the versions were taken: never older than they say
        for thread in loaded:
            # The Chatham House rule: who started a prompt's thread is as hidden as who posted in it.
            thread.author_hidden = thread.is_chatham_house and not is_moderator
        html = render_piece("topics/_thread_rows.html", {"threads": loaded, "group": topic.group})
        rendered = dict(zip((thread.pk for thread in loaded), html.split(ROW_SEPARATOR)))
        fresh = {keys[pk]: row_html for pk, row_html in rendered.items()}
        cache.set_many(fresh, _seconds())
        found.update(fresh)
    rows = []
    for row in threads:
        html = found.get(keys[row["pk"]], "")
        rows.append(html.replace(UNREAD_MARK, unread_badge(row)))
    return mark_safe("".join(rows))  # stored rows from our own template, each with its badge from another


def unread_badge(row: dict) -> str:
    """The reader's own "3 new posts" link to their first unread post, or nothing: never stored in a shared row."""
    read_number = row.get("read_number")
    if read_number is None or read_number >= row["post_count"]:
        return ""  # never opened (it opens at the start), or read to the end: most rows, so no model is made
    thread = Thread(pk=row["pk"], title=row["title"], post_count=row["post_count"])  # enough for its addresses
    first_unread = thread.first_unread_number(read_number)
    if not first_unread:
        return ""
    context = {"count": thread.post_count - read_number, "url": thread.get_number_url(first_unread)}
    return render_to_string("topics/_unread_badge.html", context)
