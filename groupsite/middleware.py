"""Request-wide behaviour that every page shares."""

import zoneinfo

from django.utils import timezone


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
