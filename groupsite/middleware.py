"""Request-wide behaviour that every page shares."""

import zoneinfo
from http import HTTPStatus

from django.shortcuts import render
from django.utils import timezone

from discussions.moderation import RateLimited


class MemberTimezoneMiddleware:
    """Show times on the logged-in member's own clock (as Discourse and Zulip do); visitors see the site's zone.

    Pages of a group (its threads, topics, agenda and prompt forms) override this with the group's clock: prompts
    are scheduled and close on it, its forms take times on it, and a member who never chose a zone has "UTC",
    which cannot be told apart from a choice. Pages about the member (profile, notifications, preferences, digest
    preview) and their emails use the member's clock.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        try:
            tzinfo = zoneinfo.ZoneInfo(user.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return self.get_response(request)
        with timezone.override(tzinfo):
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
