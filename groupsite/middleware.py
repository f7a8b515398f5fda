"""Request-wide behaviour that every page shares."""

import zoneinfo

from django.utils import timezone


class MemberTimezoneMiddleware:
    """Show times on the logged-in member's own clock (as Discourse and Zulip do); visitors see the site's zone.

    Pages about a group's schedule (prompt publishing and closing, programmes, the thread and group pages) still
    override this with the group's clock, because their forms take times on that clock too.
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
