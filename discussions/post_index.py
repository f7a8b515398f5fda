"""What a thread page must know of its posts to find their cached HTML, so that a warm page reads no post and builds
no Post object (a member's 200-post page spent most of its time building 400 models it did not show).

A page's index (`PageIndex`) holds a `PostFacts` for each post: the few facts that decide how the post looks to each reader
(its author, removed or hidden, its reaction counts) and a digest of everything else it shows. It is kept in the
shared cache under the versions of all of that (groupsite/freshness.py): the thread's (posts, edits, reactions,
moves), its topic's and group's (role badges) and the site's (names), read before the posts are.

The reader is a `Reader`: who they are in the group, and their own marks on the thread (reactions, bookmarks,
flags), which one query reads each time. `reader_bits` is the one place that says how a post looks to a reader;
discussions/post_fragments.py keys each post's HTML by the post's facts and those bits. A post's reaction page
(discussions/views_reactions.py) reads the same reader and asks `may_flag`, as reader_bits does.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cache as once
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from discussions.models import Flag, Post
from discussions.reactions import Bookmark, Reaction
from groupsite import freshness

KINDS = tuple(Reaction.Kind.values)
# Entries are never read stale (the key carries the versions); this only lets unread ones go.
INDEX_SECONDS = 24 * 60 * 60
_BOOKMARK, _FLAG = "+bookmark", "+flag"  # not reaction kinds: their rows share the marks query with reactions


class PostFacts(NamedTuple):  # a tuple: a page's 200 come out of the cache faster than dataclasses
    pk: int
    number: int
    author_id: int | None
    deleted: bool
    hidden: bool
    reaction_counts: tuple[int, ...]  # in the order of KINDS
    state: str  # a digest of everything else the post shows: text, times, author's name and badge, key insight


@dataclass(frozen=True)
class PageIndex:
    posts: list[PostFacts]
    role_counts: dict[str, int]  # the thread's, for its role filter links (discussions.services.role_counts)


@dataclass(frozen=True)
class Reader:
    """Who reads the page, as far as the posts are concerned. A visitor is `Reader()`."""

    user_id: int | None = None
    is_moderator: bool = False
    may_edit: bool = False  # a member not suspended: their own posts, or every post for a moderator
    may_flag: bool = False
    may_react: bool = False
    reactions: dict[int, frozenset[str]] = field(default_factory=dict)
    bookmarks: frozenset[int] = frozenset()
    flags: frozenset[int] = frozenset()


def reader_of(user, membership, *, suspended: bool, thread_id: int) -> Reader:
    """The reader and their marks on the thread: one query for a member, none for a visitor."""
    if not user.is_authenticated:
        return Reader()
    in_good_standing = membership is not None and not suspended
    is_moderator = membership is not None and membership.is_moderator
    reactions: dict[int, set[str]] = {}
    bookmarks, flags = set(), set()
    for post_id, mark in _marks(user.pk, thread_id):
        if mark == _BOOKMARK:
            bookmarks.add(post_id)
        elif mark == _FLAG:
            flags.add(post_id)
        else:
            reactions.setdefault(post_id, set()).add(mark)
    return Reader(
        user_id=user.pk,
        is_moderator=is_moderator,
        may_edit=in_good_standing,
        # Moderators act on posts instead of flagging them; a suspended member takes no part.
        may_flag=in_good_standing and not is_moderator,
        may_react=in_good_standing,
        reactions={post_id: frozenset(kinds) for post_id, kinds in reactions.items()},
        bookmarks=frozenset(bookmarks),
        flags=frozenset(flags),
    )


def _marks(user_id: int, thread_id: int) -> list[tuple[int, str]]:
    """(post id, reaction kind or _BOOKMARK or _FLAG) for each mark the user left on the thread's posts. Plain SQL:
    the same three-part union built through the ORM cost a member's warm page more than reading it."""
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(), [user_id, thread_id] * 3)
        return cursor.fetchall()


@once
def _marks_sql() -> str:
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in (Reaction, Bookmark, Flag, Post)}
    on_the_thread = f"JOIN {table[Post]} p ON p.id = m.post_id WHERE m.{{user}} = %s AND p.thread_id = %s"
    return " UNION ALL ".join((
        f"SELECT m.post_id, m.kind FROM {table[Reaction]} m {on_the_thread.format(user='user_id')}",
        f"SELECT m.post_id, '{_BOOKMARK}' FROM {table[Bookmark]} m {on_the_thread.format(user='user_id')}",
        f"SELECT m.post_id, '{_FLAG}' FROM {table[Flag]} m {on_the_thread.format(user='flagged_by_id')}",
    ))


def reader_signature(facts: list[PostFacts], reader: Reader) -> tuple:
    """Everything about the reader that reader_bits reads, for a page of these posts: equal signatures, equal bits
    for every post of the page."""
    same_author = tuple(post.pk for post in facts if post.author_id == reader.user_id)
    return (
        reader.user_id is None, reader.is_moderator, reader.may_edit, reader.may_flag, reader.may_react, same_author,
        sorted((pk, sorted(kinds)) for pk, kinds in reader.reactions.items()),
        sorted(reader.bookmarks),
        sorted(reader.flags),
    )


def may_flag(reader: Reader, *, author_id: int | None, deleted: bool) -> bool:
    """Whether the reader may flag a post: a member in good standing but no moderator (Reader.may_flag), on a post
    neither removed nor their own. A post on the thread page (reader_bits) and on its reaction page ask here."""
    return reader.may_flag and not deleted and author_id != reader.user_id


def reader_bits(facts: PostFacts, reader: Reader) -> tuple:
    """What about this reader changes how this post looks; the same rules as Post.can_edit and can_read_hidden
    (tests/discussions/test_post_index.py holds them to it)."""
    is_own = reader.user_id is not None and facts.author_id == reader.user_id
    others = facts.author_id != reader.user_id
    pressed = reader.reactions.get(facts.pk, frozenset())
    return (
        # may edit (and delete)
        reader.may_edit and not facts.deleted and (reader.is_moderator or is_own),
        # may read it while hidden
        reader.user_id is not None and (is_own or reader.is_moderator),
        # may flag it, has flagged it
        may_flag(reader, author_id=facts.author_id, deleted=facts.deleted),
        facts.pk in reader.flags,
        # may react, and the reactions pressed
        reader.may_react and not facts.deleted and not facts.hidden and others,
        facts.pk in reader.bookmarks,
        is_own,
        tuple(kind for kind in KINDS if kind in pressed),
    )


def reaction_count(kind: str):
    """An annotation: how many reactions of `kind` the post has."""
    of_kind = Reaction.objects.filter(post=OuterRef("pk"), kind=kind).order_by().values("post")
    return Coalesce(Subquery(of_kind.annotate(count=Count("pk")).values("count"), output_field=IntegerField()), 0)


def facts_of(post) -> PostFacts:
    """A post's facts, read with post_fragments.posts_queryset's fields and annotations."""
    author = post.author
    counts = tuple(getattr(post, f"reactions_{kind}") for kind in KINDS)
    shown = (
        post.pk, post.number, post.role, post.source_url, post.evidence_as_of, post.created_at, post.edited_at,
        post.deleted_at, post.deleted_by_id, post.hidden_at, post.hidden_reason, post.is_key_insight, post.body_html,
        (author.username, author.public_name, author.affiliation) if author else None, post.author_role, counts,
    )
    return PostFacts(
        pk=post.pk,
        number=post.number,
        author_id=post.author_id,
        deleted=post.is_deleted,
        hidden=post.is_hidden,
        reaction_counts=counts,
        state=hashlib.blake2b(repr(shown).encode(), digest_size=10).hexdigest(),
    )


def index_key(stamp: str, *, role: str, page_number: int, per_page: int) -> str:
    return freshness.cache_key("post-index", stamp, role, page_number, per_page)


def load_index(key: str | None) -> PageIndex | None:
    return cache.get(key) if key else None


def keep_index(key: str | None, index: PageIndex) -> None:
    if key:
        cache.set(key, index, INDEX_SECONDS)
