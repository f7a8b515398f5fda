"""The time-zone picker: the zones people here use most first, then every zone by region, each with its offset now.

Used by the member's email preferences and a group's settings. The select works as it is; zone-filter.js adds a
filter box above it (progressive enhancement).
"""

import functools
import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

COMMON_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "UTC",
]

# The continents and oceans of the tz database; the rest ("US/Eastern", "Etc/GMT+5", "Japan") are old aliases.
REGIONS = ["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"]
# Their names as the select's group labels, in the reader's language.
REGION_NAMES = {
    "Africa": pgettext_lazy("time zone region", "Africa"),
    "America": pgettext_lazy("time zone region", "America"),
    "Antarctica": pgettext_lazy("time zone region", "Antarctica"),
    "Arctic": pgettext_lazy("time zone region", "Arctic"),
    "Asia": pgettext_lazy("time zone region", "Asia"),
    "Atlantic": pgettext_lazy("time zone region", "Atlantic"),
    "Australia": pgettext_lazy("time zone region", "Australia"),
    "Europe": pgettext_lazy("time zone region", "Europe"),
    "Indian": pgettext_lazy("time zone region", "Indian"),
    "Pacific": pgettext_lazy("time zone region", "Pacific"),
}


@functools.cache
def zone_names() -> list[str]:
    # available_timezones() reads the zone database from disk on every call; the list only changes on upgrade.
    return sorted(zoneinfo.available_timezones())


@functools.cache
def _zone_name_set() -> frozenset[str]:
    return frozenset(zone_names())


def is_zone_name(name: str) -> bool:
    """Whether the tz database knows `name` (read once: a form's validation used to read the whole database)."""
    return name in _zone_name_set()


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    # ZoneInfo keeps only a few zones strongly: the picker's 600 were read from disk again on every render.
    return zoneinfo.ZoneInfo(name)


def offset_label(name: str, now: datetime) -> str:
    """ "UTC+08:00", "UTC−03:30": the zone's offset at `now` (it changes with daylight saving time)."""
    offset = now.astimezone(_zone(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _option(name: str, now: datetime, *, place: str) -> tuple[str, str]:
    return name, f"{place.replace('_', ' ')} ({offset_label(name, now)})"


def timezone_choices(*, now: datetime | None = None, blank_label: str | None = None) -> list:
    """Choices for a select: an optional blank one, "Common" zones, then one <optgroup> per region and "Other"."""
    now = now or timezone.now()
    names = zone_names()
    choices: list = [("", blank_label)] if blank_label is not None else []
    choices.append((_("Common"), [_option(name, now, place=name) for name in COMMON_ZONES if name in names]))
    by_region: dict[str, list] = {region: [] for region in REGIONS}
    other = []
    for name in names:
        region, _slash, place = name.partition("/")
        if region in by_region and place:
            by_region[region].append(_option(name, now, place=place))
        else:
            other.append(_option(name, now, place=name))
    choices += [(REGION_NAMES[region], options) for region, options in by_region.items() if options]
    choices.append((_("Other"), other))
    return choices


class TimeZoneSelect(forms.Select):
    """A select that zone-filter.js gives a filter box ("type a city"), labelled for screen readers."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"data-zone-filter": _("Filter time zones, e.g. Shanghai"), **(attrs or {})}, choices=choices)
