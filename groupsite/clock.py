"""Which clock a reader sees times on, and how a time is written: the one rule for every page and email.

The rule: a signed-in member who chose a time zone (in their email preferences) sees every time on their own
clock; everyone else sees a group's times on the group's clock, and times outside any group (profiles, the
notification list, the digest) on the site's default clock (settings.TIME_ZONE). Every shown time or deadline
carries a short label naming the clock ("Shanghai time", "UTC"), so a reader never has to guess.

Forms where a moderator types a time (a prompt's dates, the programme's cadence, milestones, a suspension's end)
stay on the group's clock whatever the reader chose: the group's schedule is kept in the group's time, and those
forms say so beside their fields.

Pages get the clock from groupsite.middleware.ReaderTimezoneMiddleware (outside a group) and from
`reading(request.user, group)` in a group's views; emails wrap their rendering in `reading(recipient, group)`.
"""

import zoneinfo
from contextlib import contextmanager
from datetime import datetime, tzinfo

from django.conf import settings
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext, gettext_lazy

# Named formats of groupsite/formats/<locale>: "Wednesday 9 December" / "12月9日 星期三", and with the time.
DAY_FORMAT = "DAY_FORMAT"
DAY_TIME_FORMAT = "DAY_TIME_FORMAT"

# The cities of the zones people here use most (groupsite.timezones.COMMON_ZONES), so that a label reads
# "上海时间" in Chinese; other cities keep the tz database's English name.
CITY_NAMES = {
    "Shanghai": gettext_lazy("Shanghai"),
    "Hong Kong": gettext_lazy("Hong Kong"),
    "Taipei": gettext_lazy("Taipei"),
    "Singapore": gettext_lazy("Singapore"),
    "Tokyo": gettext_lazy("Tokyo"),
    "Seoul": gettext_lazy("Seoul"),
    "Kolkata": gettext_lazy("Kolkata"),
    "Dubai": gettext_lazy("Dubai"),
    "Sydney": gettext_lazy("Sydney"),
    "London": gettext_lazy("London"),
    "Paris": gettext_lazy("Paris"),
    "Berlin": gettext_lazy("Berlin"),
    "New York": gettext_lazy("New York"),
    "Chicago": gettext_lazy("Chicago"),
    "Denver": gettext_lazy("Denver"),
    "Los Angeles": gettext_lazy("Los Angeles"),
    "Sao Paulo": gettext_lazy("Sao Paulo"),
    "Johannesburg": gettext_lazy("Johannesburg"),
}


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # the field is validated; a zone removed from the tz database must not break a page


def chosen_zone(user) -> zoneinfo.ZoneInfo | None:
    """The zone the member chose, or None for a visitor or a member who never chose one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return _zone(user.timezone)


def reader_zone(user, group=None) -> zoneinfo.ZoneInfo:
    """The clock `user` reads times on: their own, else the group's, else the site's."""
    if zone := chosen_zone(user):
        return zone
    if group is not None and (zone := _zone(group.timezone)):
        return zone
    return site_zone()


@contextmanager
def reading(user, group=None):
    """Render pages or emails for `user` on the clock the rule gives them (templates' times follow it)."""
    with timezone.override(reader_zone(user, group)):
        yield


def zone_label(zone: tzinfo | None = None) -> str:
    """A short name for a clock that cannot be misread: "Shanghai time", "New York time", "UTC".

    Abbreviations are avoided on purpose: "CST" is China's and America's Central time alike.
    """
    zone = zone or timezone.get_current_timezone()
    key = getattr(zone, "key", str(zone))
    if key in {"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"}:
        return "UTC"
    if "/" not in key or key.startswith("Etc/"):
        return key  # "EST5EDT", "Etc/GMT+5": no city to name, the key itself is the clearest
    city = key.rsplit("/", 1)[1].replace("_", " ")
    return gettext("%(city)s time") % {"city": CITY_NAMES.get(city, city)}


def local_day(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "Wednesday 9 December" on `zone`'s clock (the current one by default)."""
    return dateformat.format(timezone.localtime(moment, zone), formats.get_format(DAY_FORMAT))


def local_day_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "Wednesday 9 December, 09:00 Shanghai time" on `zone`'s clock (the current one by default), labelled."""
    zone = zone or timezone.get_current_timezone()
    written = dateformat.format(timezone.localtime(moment, zone), formats.get_format(DAY_TIME_FORMAT))
    return f"{written} {zone_label(zone)}"
