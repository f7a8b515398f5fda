"""How pages and emails write times: `{% zone_label %}` after a time, `|day`, `|day_time` and `|ago` (groupsite.clock)."""

from datetime import date, datetime, timedelta

from django import template
from django.utils import dateformat, formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext

from groupsite import clock

register = template.Library()


@register.simple_tag
def zone_label() -> str:
    """The clock the times on this page or email are shown on: "Shanghai time", "UTC"."""
    return clock.zone_label()


@register.filter(expects_localtime=True)
def day(value) -> str:
    """ "Wednesday 9 December" (no leading zero), in the reader's language."""
    if not isinstance(value, date):
        return ""
    return dateformat.format(value, formats.get_format(clock.DAY_FORMAT))


@register.filter
def day_time(value) -> str:
    """ "Wednesday 9 December, 09:00 Shanghai time": a deadline or appointment, on the reader's clock, labelled."""
    if not isinstance(value, datetime):
        return ""
    return clock.local_day_time(value)


@register.filter
def ago(value, now=None) -> str:
    """ "just now" under a minute, else "5 minutes ago" (timesince alone says "0 minutes")."""
    if not isinstance(value, datetime):
        return ""
    now = now or timezone.now()
    if now - value < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(duration)s ago") % {"duration": timesince(value, now)}
