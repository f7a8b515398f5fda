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
from django.utils.safestring import SafeString

from discussions import reactions
from discussions.flags import flagged_by
from discussions.models import Post
from groupsite import freshness
from topics.models import staff_role

TEMPLATE = "discussions/_post.html"
# Entries are never read stale (the key carries the versions); this only lets unread ones go.
FRAGMENT_SECONDS = 24 * 60 * 60


@once
def csrf_placeholder() -> str:
    return "csrf" + salted_hmac("discussions.post_fragments", "csrf placeholder").hexdigest()


def with_csrf_token(request, response) -> None:
    """Put the request's own CSRF token where the fragments hold the placeholder: one replace over the page.

    Only a page whose fragments hold forms asks for a token, so a visitor's page still sets no CSRF cookie."""
    placeholder = csrf_placeholder().encode()
    if placeholder in response.content:
        response.content = response.content.replace(placeholder, get_token(request).encode())


def _reader_bits(post) -> tuple:
    """What about this reader changes how this post looks (set on the post by the thread view)."""
    pressed = tuple(button["kind"] for button in post.reaction_buttons if button["pressed"])
    return (
        post.editable,
        post.hidden_readable,
        post.can_flag,
        post.flagged_by_me,
        post.can_react,
        bool(post.bookmarked),
        post.is_own,
        pressed,
    )


def _post_state(post) -> tuple:
    """What the post shows that its thread's version also covers; in the key as well, since it costs nothing."""
    author = post.author
    return (
        post.pk,
        post.number,
        post.edited_at,
        post.deleted_at,
        post.hidden_at,
        post.is_key_insight,
        (author.username, author.public_name, author.affiliation) if author else None,
        post.author_role,
        tuple(button["count"] for button in post.reaction_buttons),
    )


def _load_bodies(posts) -> None:
    """The thread view leaves the posts' HTML in the database (a warm page never needs it): the misses' in one query."""
    deferred = [post for post in posts if "body_html" in post.get_deferred_fields()]
    if deferred:
        bodies = dict(Post.objects.filter(pk__in=[post.pk for post in deferred]).values_list("pk", "body_html"))
        for post in deferred:
            post.body_html = bodies[post.pk]


def render_posts(posts, *, thread_version, page: dict) -> SafeString:
    """The HTML of a page's posts, from the cache where it can be.

    `page` holds what every post of the page is rendered with (hide_authors, is_member, is_moderator, can_reply,
    page_number, role_filter, flag_reasons, prompt_text); each post carries its reader bits (see `_reader_bits`).
    Call it inside the reader's clock (groupsite.clock.reading): the times are written on it.
    """
    shared = (
        thread_version,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        page["hide_authors"],
        page["is_member"],
        page["is_moderator"],
        page["can_reply"],
        page["page_number"],
        page["role_filter"],
        (page["prompt_text"].language, page["prompt_text"].is_translation) if page.get("prompt_text") else None,
    )
    keys = [freshness.cache_key("post", *shared, _post_state(post), _reader_bits(post)) for post in posts]
    # Without a version (a page shown again with a form's errors; "0" while the cache is unreachable) nothing is
    # read or kept: every post is rendered.
    use_cache = bool(thread_version)
    found = cache.get_many(keys) if use_cache else {}
    _load_bodies([post for key, post in zip(keys, posts) if key not in found])
    missing = {}
    template = get_template(TEMPLATE)
    context = page | {"csrf_token": csrf_placeholder()}
    for key, post in zip(keys, posts):
        if key not in found:
            # Only the opening post of a prompt's thread shows the prompt's text.
            prompt_text = page.get("prompt_text") if post.number == 1 else None
            # The template's own output, escaped by it: a SafeString, which the cache keeps as one when pickled.
            found[key] = missing[key] = template.render(context | {"post": post, "prompt_text": prompt_text})
    if missing and use_cache:
        cache.set_many(missing, FRAGMENT_SECONDS)
    # Each part is this template's escaped output (rendered here or stored by this code): joined, still safe.
    return SafeString("".join(found[key] for key in keys))


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


def posts_page(request, thread, role: str):
    """The page of the thread's posts the request asks for (`role`: only posts of that role), with what the reader
    bits need; `render_posts` shows them."""
    # The authors' role badges, the reader's bookmarks and flags come with the posts: no query of their own. Only
    # what the page shows is read; the HTML only for posts not in the cache (post_fragments), the Markdown never.
    posts = thread.posts.select_related("author").only(*POST_PAGE_FIELDS).annotate(
        author_role=staff_role("author_id", group_id=thread.topic.group_id),
        bookmarked=reactions.is_bookmarked_by(request.user),
        flagged_by_me=flagged_by(request.user),
    )
    if role:
        posts = posts.filter(role=role, deleted_at__isnull=True)
        return Paginator(posts, settings.POSTS_PER_PAGE).get_page(request.GET.get("page"))
    # Every post of a thread is on its pages (removed ones as a placeholder): post_count is their number.
    return KnownCountPaginator(posts, settings.POSTS_PER_PAGE, count=thread.post_count).get_page(request.GET.get("page"))
