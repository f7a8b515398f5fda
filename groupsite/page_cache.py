"""Whole pages for visitors who are not logged in, kept briefly in the shared cache.

A shared link can bring hundreds of visitors to one page at once, and every one of them is shown the same page.
A view that shows such a page takes a `stamp` of what it shows (groupsite/freshness.py) *before* it reads the
database, asks `fetch()` for a stored copy, and otherwise renders and hands the response to `keep()`.

Only a page that is the same for every visitor is kept: a GET by someone not logged in, without a session
(a reply kept through a login, a message waiting to be shown) and whose rendering asked for no CSRF token. The key
holds the path with its query, the active language and the stamp, so a change, another language or another page
of results is another entry. Entries also expire after ANONYMOUS_PAGE_SECONDS, for what pages show that no change
announces (the clock: "just now", a prompt closing at its time).
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation

from groupsite import freshness

KEPT_HEADERS = ("Content-Type", "Content-Language", "Link", "X-Robots-Tag")


def _key(request, stamp: str) -> str:
    return freshness.cache_key("page", request.path, request.META.get("QUERY_STRING", ""), translation.get_language(), stamp)


def is_visitor_request(request) -> bool:
    """A request whose page is the same for every visitor: no login, no session, no message waiting."""
    if request.method not in ("GET", "HEAD") or settings.ANONYMOUS_PAGE_SECONDS <= 0:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return not request.user.is_authenticated


def fetch(request, stamp: str) -> HttpResponse | None:
    if not is_visitor_request(request):
        return None
    stored = cache.get(_key(request, stamp))
    if stored is None:
        return None
    headers, content = stored
    return HttpResponse(content, headers=headers)


def keep(request, stamp: str, response) -> None:
    """Store a visitor's page, unless anything in it or about it was for this visitor alone."""
    if not is_visitor_request(request) or response.status_code != 200 or response.streaming:
        return
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or response.cookies:
        return  # it holds a CSRF token, or sets a cookie: this visitor's own
    if getattr(request, "session", None) is not None and request.session.modified:
        return
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    cache.set(_key(request, stamp), (headers, response.content), settings.ANONYMOUS_PAGE_SECONDS)
