"""One thread or post stored per form, however often the form is sent (a double click, a second tab, back and resend).

The new-thread and reply forms carry a one-time token made when the page is rendered (`{% submission_token %}`).
The first submission claims (member, token) in the cache, shared by every web process, for a few minutes and then
remembers the address of what it stored; a repeat finds the claim and is sent to that address instead of storing
again. A submission that stores nothing (a refused or failed one) gives its claim back, so the form can be resent.
"""

import re
import uuid

from django.core.cache import cache

TOKEN_FIELD = "submission_token"
REMEMBERED_SECONDS = 10 * 60
_PENDING = "pending"
_TOKEN = re.compile(r"[0-9a-f]{32}")


def new_token() -> str:
    return uuid.uuid4().hex


def token_of(request) -> str | None:
    """The form's token; None when it carries none (or not one this site made), which stores as before."""
    token = request.POST.get(TOKEN_FIELD, "")
    return token if _TOKEN.fullmatch(token) else None


def _key(user, token: str) -> str:
    return f"submission:{user.pk}:{token}"


def claim(user, token: str | None) -> str | None:
    """None for the first submission of this form, which goes ahead; for a repeat, where to send the member:
    the address of what the first one stored, or "" while it is still being stored."""
    if token is None or cache.add(_key(user, token), _PENDING, REMEMBERED_SECONDS):
        return None
    earlier = cache.get(_key(user, token))
    return "" if earlier in (None, _PENDING) else earlier


def remember(user, token: str | None, url: str) -> None:
    if token is not None:
        cache.set(_key(user, token), url, REMEMBERED_SECONDS)


def release(user, token: str | None) -> None:
    if token is not None:
        cache.delete(_key(user, token))
