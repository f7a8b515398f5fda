"""Request-wide behaviour that every page shares."""

from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from discussions.moderation import RateLimited
from groupsite import clock, languages


class MemberLanguageMiddleware:
    """Speak the language a signed-in member chose in their profile; without a choice, LocaleMiddleware's stays
    (the language cookie the footer's switcher sets, else the browser's Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if language := languages.chosen_language(getattr(request, "user", None)):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class MemberTimezoneMiddleware:
    """Show times on the reader's clock (groupsite.clock): the member's own zone if they chose one, else the site's.

    A group's views narrow "the site's" to the group's own clock with `clock.reading(request.user, group)`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with clock.reading(getattr(request, "user", None)):
            return self.get_response(request)


class RateLimitedMiddleware:
    """Answer a RateLimited that a view lets through with the 429 page, saying what happened and when to try again.

    Forms that can keep what was typed (a reply, a new thread) catch RateLimited themselves and show it as a form
    error with status 429; this catches the rest (invitations, join requests), so that no limit ends in a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        minutes = max(1, -(-exception.retry_after // 60))  # rounded up: "in 1 minute", never "in 0 minutes"
        context = {"message": str(exception), "retry_after_minutes": minutes}
        response = render(request, "429.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
        response["Retry-After"] = str(exception.retry_after)
        return response


class RefuseMalformedTextMiddleware:
    """Answer 400 to a request whose address, query string or form body is not clean UTF-8 text.

    Django decodes such input with replacement characters (a form body in Latin-1 was stored as mojibake)
    and passes NUL bytes through, which PostgreSQL refuses with an error (a 500). Browsers never send
    either, so the request is refused as a whole before any view sees it. Lone surrogates cannot survive
    strict UTF-8 decoding, so they are refused by the same check.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise BadRequest(gettext("The address contains a NUL character."))
        if not _is_clean_form_data(_wsgi_bytes(request.META.get("QUERY_STRING", ""))):
            raise BadRequest(gettext("The query string is not valid UTF-8 text."))
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if request.method == "POST" and content_type in self.FORM_TYPES:
            body = request.body  # read once; Django parses request.POST from this same copy
            clean = _is_clean_text(body) if content_type == "multipart/form-data" else _is_clean_form_data(body)
            if not clean:
                raise BadRequest(gettext("The form data is not valid UTF-8 text."))
        return self.get_response(request)


def _wsgi_bytes(value: str) -> bytes:
    # WSGI hands over the raw bytes of the query string as Latin-1 characters.
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="surrogatepass")


def _is_clean_text(raw: bytes) -> bool:
    """UTF-8 without NUL bytes. A multipart body has no file parts on this site, so all of it is text."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw


def _is_clean_form_data(raw: bytes) -> bool:
    """URL-encoded `name=value&…` whose decoded names and values are clean UTF-8 text."""
    return _is_clean_text(unquote_to_bytes(raw.replace(b"+", b" ")))
