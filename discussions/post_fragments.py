"""A thread page's posts, each rendered once and kept in the shared cache for every reader it looks the same to.

Rendering is what a long thread page costs (about 0.6 ms a post through the templates), so each post's HTML is
kept under a key made of everything that shapes it: the post and what it shows (edited, removed, hidden, key
insight, its author's name, affiliation and badge, its reaction counts), the thread's freshness version (moved on
by every change to the thread: groupsite/freshness.py), the language and clock it is written in, and the reader's
few bits of state that alter it (may edit, may flag or has flagged, may read it hidden, may react and which
reactions are pressed, bookmarked, wrote it, is a moderator). Readers with the same bits share an entry; a reader
with other bits gets another one. Nothing about the reader that is not in the key reaches the template: a fragment
is rendered from a context built only of those values (no request, no user), so it can show nothing personal that
its key does not name.

Forms in a fragment need the reader's CSRF token, which must never be stored: the fragment is rendered with a
placeholder in its place, and `with_csrf_token` puts the request's own token into the finished page. The
placeholder is derived from SECRET_KEY, so no post's text can carry it and have a reader's token put inside it.

A page's fragments are read with one `get_many`; only the misses are rendered, and stored with one `set_many`.
`posts_page` reads the page's posts with everything the keys and the reader bits need, in one query.
"""

from functools import cache as once

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.functional import SimpleLazyObject

from discussions import post_index, reactions, services
from groupsite import freshness
from topics.models import staff_role

TEMPLATE = "discussions/_post.html"
# Entries are never read stale (the key carries the versions); this only lets unread ones go.
FRAGMENT_SECONDS = 24 * 60 * 60
# A page's whole list is kept per set of reader bits, so for less long: a long page is large.
WHOLE_LIST_SECONDS = 60 * 60


@once
def csrf_placeholder() -> str:
    return "csrf" + salted_hmac("discussions.post_fragments", "csrf placeholder").hexdigest()


def with_csrf_token(request, response) -> None:
    """Put the request's own CSRF token where the fragments hold the placeholder: one replace over the page.

    Only a page whose fragments hold forms asks for a token, so a visitor's page still sets no CSRF cookie."""
    placeholder = csrf_placeholder().encode()
    if placeholder in response.content:
        response.content = response.content.replace(placeholder, get_token(request).encode())


def _bits_code(bits: tuple) -> str:
    """A reader's bits for one post (post_index.reader_bits) as a short part of a key: flags, then reactions pressed."""
    *flags, pressed = bits
    return "".join("1" if flag else "0" for flag in flags) + ":" + ",".join(pressed)


def _show(post, facts: post_index.PostFacts, bits: tuple) -> None:
    """Give a loaded post what the template reads besides its fields: the reader's bits and its reaction bar."""
    (post.editable, post.hidden_readable, post.can_flag, post.flagged_by_me, post.can_react, post.bookmarked,
     post.is_own, pressed) = bits
    post.reaction_buttons = reactions.reaction_buttons(
        {kind: (count, kind in pressed) for kind, count in zip(post_index.KINDS, facts.reaction_counts)}
    )
    post.reaction_total = sum(facts.reaction_counts)


def render_posts(facts: list, reader, *, index_key: str | None, page: dict, load) -> bytes:
    """The HTML of a page's posts (UTF-8), from the cache where it can be.

    `facts` are the page's post_index.PostFacts, kept under `index_key` (None: nothing is read from the cache or
    kept), `reader` a post_index.Reader; `load(pks)` gives {pk: Post} for the
    posts to render (posts_queryset's). `page` holds what every post of the page is rendered with (hide_authors,
    is_member, is_moderator, can_reply, page_number, role_filter, flag_reasons, prompt_text). Call it inside the
    reader's clock (groupsite.clock.reading): the times are written on it. The result is bytes, spliced into the
    finished page by `with_posts`: a long page is joined once, not once per template level.

    A post's key names everything its HTML is made of (its facts' digest, the reader's bits, the page's values,
    the prompt's text), not a version: a reply elsewhere in the thread leaves the other posts' HTML in the cache.
    """
    prompt_text = page.get("prompt_text")
    shared = freshness.cache_key(
        "post",
        translation.get_language(),
        timezone.get_current_timezone_name(),
        page["hide_authors"],
        page["is_member"],
        page["is_moderator"],
        page["can_reply"],
        page["page_number"],
        page["role_filter"],
        _prompt_shown(prompt_text) if prompt_text else None,
    )
    use_cache = index_key is not None
    # The whole list as it was last put together for these posts and a reader who sees them the same way (readers
    # with the same signature share it): one read, and no post's bits worked out.
    if use_cache:
        whole_key = freshness.cache_key("posts", shared, index_key, post_index.reader_signature(facts, reader))
        if (whole := cache.get(whole_key)) is not None:
            return whole
    bits = [post_index.reader_bits(post_facts, reader) for post_facts in facts]
    keys = [f"{shared}:{post_facts.state}:{_bits_code(post_bits)}" for post_facts, post_bits in zip(facts, bits)]
    found = cache.get_many(keys) if use_cache else {}
    missing = {}
    to_render = [index for index, key in enumerate(keys) if key not in found]
    if to_render:
        posts = load([facts[index].pk for index in to_render])
        template = get_template(TEMPLATE)
        context = page | {"csrf_token": csrf_placeholder()}
        for index in to_render:
            post = posts[facts[index].pk]
            _show(post, facts[index], bits[index])
            # Only the opening post of a prompt's thread shows the prompt's text.
            prompt_text = page.get("prompt_text") if post.number == 1 else None
            # The template's own output, escaped by it, as UTF-8.
            html = template.render(context | {"post": post, "prompt_text": prompt_text}).encode()
            found[keys[index]] = missing[keys[index]] = html
    if missing and use_cache:
        cache.set_many(missing, FRAGMENT_SECONDS)
    whole = b"".join(found[key] for key in keys)
    if use_cache:
        cache.set(whole_key, whole, WHOLE_LIST_SECONDS)
    return whole


def _prompt_shown(prompt_text) -> tuple:
    """What the opening post of a prompt's thread shows of the prompt: its translation, when that is what it shows
    (otherwise the post's own text, which its facts cover)."""
    if not prompt_text.is_translation:
        return (prompt_text.language,)
    return (prompt_text.language, prompt_text["title"], str(prompt_text["context_html"]))


@once
def posts_placeholder() -> str:
    return "posts" + salted_hmac("discussions.post_fragments", "posts placeholder").hexdigest()


def with_posts(response, posts_html: bytes) -> None:
    """Put the posts where the page's template holds `posts_placeholder()` (once, and before the CSRF token: the
    posts' forms hold that placeholder). Each fragment is the post template's escaped output, kept as bytes."""
    response.content = response.content.replace(posts_placeholder().encode(), posts_html, 1)


class KnownCountPaginator(Paginator):
    """A paginator told the number of posts (the thread's post_count) instead of counting them again."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # Paginator.count is a cached_property: this value stands in for its query


# What a thread page shows of each post and its author (discussions/_post.html and the reader bits beside it).
POST_PAGE_FIELDS = (
    "thread", "author", "number", "role", "source_url", "evidence_as_of", "is_key_insight", "created_at",
    "edited_at", "deleted_at", "deleted_by", "hidden_at", "hidden_reason",
    "author__username", "author__display_name", "author__affiliation",
)


def posts_queryset(thread):
    """The thread's posts with what a post's facts and HTML need, the same for every reader: read only for a page
    whose index is not in the cache, or for posts whose HTML is not (post_index)."""
    counts = {f"reactions_{kind}": post_index.reaction_count(kind) for kind in post_index.KINDS}
    return thread.posts.select_related("author").only(*POST_PAGE_FIELDS, "body_html").annotate(
        author_role=staff_role("author_id", group_id=thread.topic.group_id), **counts
    )


class _ThreadPosts:
    """The thread's posts for a paginator, built into a query only when a page of them is read: building it (its
    annotations) cost more than the rest of a warm page's posts, which never read them (page_index)."""

    ordered = True  # posts_queryset orders by number (Post.Meta)

    def __init__(self, thread, role: str):
        self.thread, self.role = thread, role

    def queryset(self):
        posts = posts_queryset(self.thread)
        return posts.filter(role=self.role, deleted_at__isnull=True) if self.role else posts

    def count(self) -> int:
        return self.queryset().count()

    def __getitem__(self, bounds: slice):
        return SimpleLazyObject(lambda: list(self.queryset()[bounds]))


def posts_page(request, thread, role: str):
    """The page of the thread's posts the request asks for (`role`: only posts of that role). Its posts are read
    only when the page's index is not in the cache (page_index)."""
    posts = _ThreadPosts(thread, role)
    if role:
        return Paginator(posts, settings.POSTS_PER_PAGE).get_page(request.GET.get("page"))
    # Every post of a thread is on its pages (removed ones as a placeholder): post_count is their number.
    return KnownCountPaginator(posts, settings.POSTS_PER_PAGE, count=thread.post_count).get_page(request.GET.get("page"))


def page_index(thread, page, *, role: str, stamp: str) -> tuple[post_index.PageIndex, dict, str | None]:
    """The page's post_index.PageIndex, from the cache when it is there (no post read), and the posts read to make
    it when it was not ({pk: Post}), and its key. `stamp`: the versions the index is kept under (post_index), read
    before the posts are; "" keeps nothing (the key is None)."""
    key = post_index.index_key(stamp, role=role, page_number=page.number, per_page=page.paginator.per_page) if stamp else None
    index = post_index.load_index(key)
    if index is not None:
        return index, {}, key
    posts = list(page.object_list)
    index = post_index.PageIndex(
        posts=[post_index.facts_of(post) for post in posts], role_counts=services.role_counts(thread)
    )
    post_index.keep_index(key, index)
    return index, {post.pk: post for post in posts}, key


def loader(thread, loaded: dict):
    """`render_posts`'s `load`: the posts already read, the others read now (one query)."""
    def load(pks):
        rest = [pk for pk in pks if pk not in loaded]
        fetched = {post.pk: post for post in posts_queryset(thread).filter(pk__in=rest)} if rest else {}
        return {pk: loaded.get(pk) or fetched[pk] for pk in pks}

    return load
