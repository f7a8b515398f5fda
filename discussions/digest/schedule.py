"""Who is due: each member's send slot on their own clock, and which members' digests are due at `now`.

Every function takes the current time, so tests put the clock exactly on a send time, a second before, or
across a daylight-saving change.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Case, DateField, Exists, Max, OuterRef, TimeField, Value, When

from discussions.models import DigestDelivery
from groupsite import clock
from groupsite.models import DigestFrequency, User
from topics.models import Membership

SENT_FREQUENCIES = (DigestFrequency.DAILY, DigestFrequency.WEEKLY)
PERIOD_LENGTH = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
# A member back after a long pause (the digest switched off, or no worker running) gets one digest of the recent
# past, never a backlog: it reaches back at most this many periods.
MAX_PERIODS_COVERED = 2
# The coarse filter lets through anyone whose send time may have passed by the wall clock: an hour of slack
# covers the repeated hour of a fall-back change, when the clock reads earlier than a send time already gone by.
WALL_CLOCK_SLACK = timedelta(hours=1)

def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """A member's digest clock: their own zone, else the site's (groupsite.clock; a digest spans groups)."""
    if not name:
        return clock.site_zone()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return clock.site_zone()  # the field is validated; an unknown name must not stop a whole batch


def local_send_time(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """`at` on `day` by the local clock of `zone`, as a moment in UTC.

    The wall-clock time is what members chose, so it holds across daylight saving. A time skipped by a
    spring-forward (01:30 in London's 01:00→02:00 gap) resolves by the offset before the change, to the same
    distance after it (02:30), so that day's digest still goes out; a time that happens twice in a fall-back
    means the first of the two.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Slot:
    """One digest occasion: the period it belongs to (the local date of its send time) and when it is sent."""

    period: date
    send_at: datetime


def current_slot(*, frequency: str, weekday: int, at: time, zone: zoneinfo.ZoneInfo, now: datetime) -> Slot | None:
    """The latest send time at or before `now` for these settings; None for a member who takes no digest."""
    if frequency not in SENT_FREQUENCIES:
        return None
    today = now.astimezone(zone).date()
    for days_back in range(8):
        day = today - timedelta(days=days_back)
        if frequency == DigestFrequency.WEEKLY and day.weekday() != weekday:
            continue
        send_at = local_send_time(day, at, zone)
        if send_at <= now:
            return Slot(period=day, send_at=send_at)
    raise AssertionError("unreachable: a weekday recurs within eight days")


def next_send_time(
    *, frequency: str, weekday: int, at: time, zone: zoneinfo.ZoneInfo, now: datetime
) -> datetime | None:
    """The first send time after `now` (for the preview page); None for a member who takes no digest."""
    if frequency not in SENT_FREQUENCIES:
        return None
    today = now.astimezone(zone).date()
    for days_ahead in range(9):
        day = today + timedelta(days=days_ahead)
        if frequency == DigestFrequency.WEEKLY and day.weekday() != weekday:
            continue
        send_at = local_send_time(day, at, zone)
        if send_at > now:
            return send_at
    raise AssertionError("unreachable: a weekday recurs within eight days")


def slot_for(user, *, now: datetime) -> Slot | None:
    return current_slot(
        frequency=user.digest_frequency,
        weekday=user.digest_weekday,
        at=user.digest_time,
        zone=zone_named(user.timezone),
        now=now,
    )


def is_due(
    slot: Slot | None,
    *,
    last_period: date | None,
    last_covers_until: datetime | None,
    joined_at: datetime | None = None,
) -> bool:
    """Due when the send time has come and no digest serves this occasion yet.

    A digest for this period or a later one (the member moved to daily, then back) serves it, and so does one
    composed after its send time (the member moved to a time zone where this date comes later). Only the latest
    occasion counts: a member who was away for weeks gets one digest, not one per week missed. A member who never
    had one waits for the first send time after they signed up (`joined_at`).
    """
    if slot is None:
        return False
    if last_period is not None and last_period >= slot.period:
        return False
    if last_covers_until is None:
        last_covers_until = joined_at
    return last_covers_until is None or last_covers_until < slot.send_at


def latest_deliveries(user_ids=None, *, since: date | None = None) -> dict[int, tuple[date, datetime]]:
    """{user id: (latest period, latest covers_until)} for members who had a digest (sent or empty).

    For the given members, or everyone; `since` leaves out periods before that date.
    """
    deliveries = DigestDelivery.objects.all()
    if user_ids is not None:
        deliveries = deliveries.filter(user_id__in=list(user_ids))
    if since is not None:
        deliveries = deliveries.filter(period__gte=since)
    rows = (
        deliveries.values("user_id")
        .annotate(last_period=Max("period"), last_covers_until=Max("covers_until"))
        .values_list("user_id", "last_period", "last_covers_until")
    )
    return {user_id: (period, covers_until) for user_id, period, covers_until in rows}


def _per_zone(values: dict, output_field) -> Case:
    """An SQL expression giving each member the value computed for their time zone."""
    return Case(
        *[When(timezone=name, then=Value(value, output_field=output_field)) for name, value in values.items()],
        default=Value(None, output_field=output_field),
        output_field=output_field,
    )


def _latest_possible_period(zone_names: list[str], now: datetime) -> Case:
    """SQL for the latest period a member's settings could be in at `now`, computed per time zone here.

    A member whose latest digest is for that period or a later one cannot be due, which is what the coarse filter
    asks the database. It errs on the side of letting members through: the exact check follows in Python.
    """
    local_now = {name: now.astimezone(zone_named(name)) for name in zone_names}
    today = {name: moment.date() for name, moment in local_now.items()}
    # The latest wall-clock time a passed send time can show today (with slack for the repeated hour).
    passed = {
        name: (moment + WALL_CLOCK_SLACK).time() if (moment + WALL_CLOCK_SLACK).date() == moment.date() else time.max
        for name, moment in local_now.items()
    }

    def today_or_before(on_the_day: dict, before: dict) -> Case:
        """`on_the_day` if the member's send time may have passed today, else `before`."""
        return Case(
            When(digest_time__lte=_per_zone(passed, TimeField()), then=_per_zone(on_the_day, DateField())),
            default=_per_zone(before, DateField()),
            output_field=DateField(),
        )

    day = timedelta(days=1)
    whens = [
        When(
            digest_frequency=DigestFrequency.DAILY,
            then=today_or_before(today, {name: d - day for name, d in today.items()}),
        )
    ]
    for weekday in range(7):
        # The latest such weekday up to today, and the latest before today (last week's when today is the day).
        latest = {name: d - timedelta(days=(d.weekday() - weekday) % 7) for name, d in today.items()}
        before_today = {name: d if d < today[name] else d - 7 * day for name, d in latest.items()}
        whens.append(
            When(
                digest_frequency=DigestFrequency.WEEKLY,
                digest_weekday=weekday,
                then=today_or_before(latest, before_today),
            )
        )
    return Case(*whens, output_field=DateField())


def due_member_ids(*, now: datetime) -> list[int]:
    """Members whose digest is due at `now`: a coarse filter in the database, then the exact local-time check."""
    candidates = (
        User.objects.filter(is_active=True, digest_frequency__in=SENT_FREQUENCIES)
        .exclude(email="")
        .filter(Exists(Membership.objects.filter(user=OuterRef("pk"))))
    )
    zone_names = list(candidates.order_by().values_list("timezone", flat=True).distinct())
    if not zone_names:
        return []
    rows = (
        candidates.annotate(latest_possible=_latest_possible_period(zone_names, now))
        .exclude(Exists(DigestDelivery.objects.filter(user=OuterRef("pk"), period__gte=OuterRef("latest_possible"))))
        .order_by("pk")
        .values_list("pk", "timezone", "digest_frequency", "digest_weekday", "digest_time", "date_joined")
    )
    # A period is at most eight days back (a weekly one, on a clock ahead of UTC): older digests cannot serve it.
    recent = latest_deliveries(since=now.astimezone(UTC).date() - timedelta(days=10))
    due = []
    slots = {}  # members share a few hundred settings at most: each slot is worked out once, not per member
    for pk, zone_name, frequency, weekday, at, joined_at in rows.iterator(chunk_size=2000):
        settings_key = (zone_name, frequency, weekday, at)
        if settings_key not in slots:
            slots[settings_key] = current_slot(
                frequency=frequency, weekday=weekday, at=at, zone=zone_named(zone_name), now=now
            )
        slot = slots[settings_key]
        last_period, last_covers_until = recent.get(pk, (None, None))
        if is_due(slot, last_period=last_period, last_covers_until=last_covers_until, joined_at=joined_at):
            due.append(pk)
    return due


def enqueue_due_digests(*, now: datetime) -> int:
    """Queue the digests due at `now` in batches of DIGEST_BATCH_SIZE members; returns how many members."""
    from discussions import tasks

    user_ids = due_member_ids(now=now)
    size = settings.DIGEST_BATCH_SIZE
    for start in range(0, len(user_ids), size):
        tasks.send_digest_batch.delay(user_ids[start : start + size], now.isoformat())
    return len(user_ids)


def covered_since(frequency: str, last_covers_until: datetime | None, now: datetime) -> datetime:
    """Where a digest starts: the end of the previous one, or one period back for the first (at most two)."""
    length = PERIOD_LENGTH.get(frequency, PERIOD_LENGTH[DigestFrequency.WEEKLY])
    if last_covers_until is None:
        return now - length
    return max(last_covers_until, now - MAX_PERIODS_COVERED * length)

def digest_schedule(user, *, now: datetime) -> dict:
    """When the member's digest goes out and where the next one starts (the preview page's explanation)."""
    zone = zone_named(user.timezone)
    latest = latest_deliveries([user.pk]).get(user.pk)
    return {
        "frequency": user.digest_frequency,
        "is_off": user.digest_frequency not in SENT_FREQUENCIES,
        "zone": zone.key,
        "since": covered_since(user.digest_frequency, latest[1] if latest else None, now),
        "last_sent": latest[1] if latest else None,
        "next_at": next_send_time(
            frequency=user.digest_frequency, weekday=user.digest_weekday, at=user.digest_time, zone=zone, now=now
        ),
        "due_now": is_due(
            slot_for(user, now=now),
            last_period=latest[0] if latest else None,
            last_covers_until=latest[1] if latest else None,
            joined_at=user.date_joined,
        ),
    }
