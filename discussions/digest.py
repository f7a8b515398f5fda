"""The email digest: who is due at `now`, what goes in each member's digest, and sending it once per period.

Each member chooses a daily, weekly (the default) or no digest, and a local time and weekday. Beat runs
`enqueue_due_digests` every 15 minutes; a member's digest goes out at the first tick after their local send time
and covers everything since their previous one. Every function takes the current time, so tests put the clock
exactly on a send time, a second before, or across a daylight-saving change; the Celery tasks in
discussions/tasks.py only pass `timezone.now()`.

Sending is claimed by inserting the member's DigestDelivery row for the period: the unique constraint on (user,
period) is what makes two workers, a retried task or a duplicate beat tick send a digest once.
"""

import html
import logging
import re
import zoneinfo
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, DateField, Exists, Max, OuterRef, Q, TimeField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from discussions.emails import DIGEST_SCOPE, absolute, build_email
from discussions.models import DigestDelivery, Notification, Post, Thread, ThreadRead
from groupsite.models import DigestFrequency, EmailChoice, NotificationKind, User
from topics.models import Membership, Outcome, Poll, Prompt, Vote

logger = logging.getLogger(__name__)

SENT_FREQUENCIES = (DigestFrequency.DAILY, DigestFrequency.WEEKLY)
PERIOD_LENGTH = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
# A member back after a long pause (the digest switched off, or no worker running) gets one digest of the recent
# past, never a backlog: it reaches back at most this many periods.
MAX_PERIODS_COVERED = 2
CLOSING_SOON = timedelta(hours=48)
# The coarse filter lets through anyone whose send time may have passed by the wall clock: an hour of slack
# covers the repeated hour of a fall-back change, when the clock reads earlier than a send time already gone by.
WALL_CLOCK_SLACK = timedelta(hours=1)

# How much of each kind a group's section shows.
PROMPTS_SHOWN = 6
BEST_ANSWERS_SHOWN = 3
KEY_INSIGHTS_SHOWN = 5
ACTIVE_THREADS_SHOWN = 5
# Threads, answers and insights are ranked for the whole batch first; each member's few come from this many of
# the top ones, less what they wrote or read.
ACTIVE_THREAD_CANDIDATES = 15
CANDIDATES_PER_GROUP = 20
ADDRESSED_SHOWN = 10
NEW_MEMBERS_NAMED = 8
EXCERPT_CHARS = 240

# Prompts and reminders have their own sections; these kinds are listed under "For you".
ADDRESSED_KINDS = (NotificationKind.REPLY, NotificationKind.QUOTE, NotificationKind.MENTION)
LISTED_KINDS = (*ADDRESSED_KINDS, NotificationKind.NEW_THREAD, NotificationKind.JOIN_APPROVED, NotificationKind.WARNING)


class DigestsNotSent(Exception):
    """Some members' digests could not be built or handed to the mail queue; their periods stay unclaimed."""

    def __init__(self, user_ids):
        self.user_ids = sorted(user_ids)
        super().__init__(f"digests not sent for members {self.user_ids}")


# Who is due ---------------------------------------------------------------------------------------------------


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")  # the field is validated; an unknown name must not stop a whole batch


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
    for pk, zone_name, frequency, weekday, at, joined_at in rows.iterator(chunk_size=2000):
        slot = current_slot(frequency=frequency, weekday=weekday, at=at, zone=zone_named(zone_name), now=now)
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


# What goes in ------------------------------------------------------------------------------------------------


def covered_since(frequency: str, last_covers_until: datetime | None, now: datetime) -> datetime:
    """Where a digest starts: the end of the previous one, or one period back for the first (at most two)."""
    length = PERIOD_LENGTH.get(frequency, PERIOD_LENGTH[DigestFrequency.WEEKLY])
    if last_covers_until is None:
        return now - length
    return max(last_covers_until, now - MAX_PERIODS_COVERED * length)


_QUOTE_ATTRIBUTION = re.compile(r"<p><strong>[^<]*</strong> wrote:</p>\s*(?=<blockquote)")
_INNERMOST_QUOTE = re.compile(r"<blockquote>(?:(?!<blockquote>).)*?</blockquote>", re.S)


def excerpt(body_html: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post as plain text, without what it quotes (the reader wants the new words)."""
    text = _QUOTE_ATTRIBUTION.sub("", body_html)
    while "<blockquote>" in text:
        stripped = _INNERMOST_QUOTE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    text = " ".join(html.unescape(strip_tags(text)).split())
    return Truncator(text).chars(limit)


@lru_cache(maxsize=20_000)
def _path(name: str, args: tuple) -> str:
    """reverse(), remembered: a batch links the same posts for many members, and reversing is not free."""
    return reverse(name, args=args)


def _post_url(post_id: int) -> str:
    return absolute(_path("discussions:post", (post_id,)))


def _thread_url(thread_id: int, title: str) -> str:
    return absolute(_path("discussions:thread", (thread_id, Thread(pk=thread_id, title=title).slug)))


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class _ThreadPosts:
    """The posts of one thread in the batch's window, in order: what active threads and links are made of."""

    thread_id: int
    title: str
    group_id: int
    topic_title: str
    is_prompt: bool
    chatham_house: bool
    numbers: list  # ascending
    post_ids: list
    authors: list
    created: list


class _Activity:
    """Everything that happened in a batch's groups since the earliest start of its members' digests.

    Each query here is one per batch, whatever the number of members in it; the per-member work in
    `_member_digest` only reads these structures.
    """

    def __init__(self, *, group_ids: set[int], since: datetime, now: datetime):
        self.since, self.now = since, now
        self.prompts_by_group = defaultdict(list)
        self.prompts: list[Prompt] = []
        self.open_prompt_threads: dict[int, Prompt] = {}
        self.thread_posts: dict[int, _ThreadPosts] = {}
        self.active_candidates = defaultdict(list)  # group id -> thread ids, most active first
        self.key_insights = defaultdict(list)  # group id -> post rows, newest first
        self.answers_by_thread = defaultdict(list)  # open prompt thread id -> (number, post id)
        self.best_answers = defaultdict(list)  # group id -> answer rows, best first
        self.outcomes_by_group = defaultdict(list)
        self.joined = defaultdict(list)  # group id -> (joined_at, user id, name), newest first
        self.joined_keys = defaultdict(list)  # group id -> -timestamp of each, ascending (for bisect)
        if not group_ids:
            return
        self._load_prompts(group_ids, since, now)
        self._load_posts(group_ids, since, now)
        self._load_answers()
        self._load_outcomes(group_ids, since, now)
        self._load_new_members(group_ids, since, now)

    def _load_prompts(self, group_ids, since, now):
        prompts = (
            Prompt.objects.filter(
                topic__group_id__in=group_ids,
                thread__isnull=False,
                status__in=[Prompt.Status.OPEN, Prompt.Status.CLOSED],
                published_at__lte=now,
            )
            .filter(Q(status=Prompt.Status.OPEN) | Q(published_at__gte=since))
            .annotate(has_poll=Exists(Poll.objects.filter(prompt=OuterRef("pk"))))
            .select_related("topic", "thread")
            .order_by("closes_at", "-published_at", "pk")
        )
        for prompt in prompts:
            self.prompts_by_group[prompt.topic.group_id].append(prompt)
        self.prompts = [prompt for prompts in self.prompts_by_group.values() for prompt in prompts]
        self.open_prompt_threads = {prompt.thread_id: prompt for prompt in self.prompts if prompt.is_open()}

    def _load_posts(self, group_ids, since, now):
        rows = (
            Post.objects.filter(
                thread__topic__group_id__in=group_ids,
                created_at__gte=since,
                created_at__lt=now,
                deleted_at__isnull=True,
                hidden_at__isnull=True,
            )
            .order_by("thread_id", "number")
            .values_list(
                "pk",
                "thread_id",
                "number",
                "author_id",
                "created_at",
                "is_key_insight",
                "thread__title",
                "thread__topic__group_id",
                "thread__topic__title",
                "thread__prompt__pk",
                "thread__prompt__chatham_house",
            )
        )
        for pk, thread_id, number, author_id, created_at, key, title, group_id, topic_title, prompt_id, chatham in rows:
            posts = self.thread_posts.get(thread_id)
            if posts is None:
                posts = self.thread_posts[thread_id] = _ThreadPosts(
                    thread_id, title, group_id, topic_title, prompt_id is not None, bool(chatham), [], [], [], []
                )
            posts.numbers.append(number)
            posts.post_ids.append(pk)
            posts.authors.append(author_id)
            posts.created.append(created_at)
            if key:
                self.key_insights[group_id].append(
                    {
                        "post_id": pk,
                        "thread_id": thread_id,
                        "number": number,
                        "author_id": author_id,
                        "created_at": created_at,
                        "title": title,
                        "chatham_house": bool(chatham),
                    }
                )
        ranked = defaultdict(list)
        for posts in self.thread_posts.values():
            if posts.is_prompt:
                continue  # prompts have their own section
            participants = len({author for author in posts.authors if author is not None})
            replies = sum(1 for number in posts.numbers if number > 1)
            ranked[posts.group_id].append((-participants, -replies, -posts.created[-1].timestamp(), posts.thread_id))
        for group_id, keys in ranked.items():
            keys.sort()
            self.active_candidates[group_id] = [key[-1] for key in keys[:ACTIVE_THREAD_CANDIDATES]]
        for insights in self.key_insights.values():
            insights.sort(key=lambda row: row["created_at"], reverse=True)
            del insights[CANDIDATES_PER_GROUP:]

    def _load_answers(self):
        """Every answer in the open prompts, with how often it was quoted: links and the best answers so far."""
        if not self.open_prompt_threads:
            return
        rows = (
            Post.objects.shown().filter(thread_id__in=list(self.open_prompt_threads), number__gt=1)
            .annotate(quotes=Count("quoted_by", filter=Q(quoted_by__deleted_at__isnull=True)))
            .order_by("thread_id", "number")
            .values_list("pk", "thread_id", "number", "author_id", "is_key_insight", "created_at", "quotes")
        )
        for pk, thread_id, number, author_id, key, created_at, quotes in rows:
            self.answers_by_thread[thread_id].append((number, pk))
            if key or quotes:
                prompt = self.open_prompt_threads[thread_id]
                self.best_answers[prompt.topic.group_id].append(
                    {
                        "post_id": pk,
                        "thread_id": thread_id,
                        "number": number,
                        "author_id": author_id,
                        "is_key_insight": key,
                        "quotes": quotes,
                        "created_at": created_at,
                        "prompt": prompt,
                    }
                )
        for answers in self.best_answers.values():
            answers.sort(key=lambda row: (not row["is_key_insight"], -row["quotes"], -row["created_at"].timestamp()))
            del answers[CANDIDATES_PER_GROUP:]

    def _load_outcomes(self, group_ids, since, now):
        outcomes = (
            Outcome.objects.filter(topic__group_id__in=group_ids, created_at__gte=since, created_at__lt=now)
            .select_related("topic__group", "prompt")
            .order_by("-created_at")
        )
        for outcome in outcomes:
            self.outcomes_by_group[outcome.topic.group_id].append(outcome)

    def _load_new_members(self, group_ids, since, now):
        rows = (
            Membership.objects.filter(group_id__in=group_ids, joined_at__gte=since, joined_at__lt=now)
            .order_by("-joined_at", "-pk")
            .values_list("group_id", "joined_at", "user_id", "user__display_name", "user__username")
        )
        for group_id, joined_at, user_id, display_name, username in rows:
            self.joined[group_id].append((joined_at, user_id, display_name or username))
            self.joined_keys[group_id].append(-joined_at.timestamp())

    def new_members(self, membership: Membership, *, since: datetime) -> tuple[list[str], int]:
        """The names of the newest members who joined since `since` (the member aside), and how many joined."""
        joined, keys = self.joined.get(membership.group_id, []), self.joined_keys.get(membership.group_id, [])
        count = bisect_right(keys, -since.timestamp())  # newest first: those in the window are a prefix
        if since <= membership.joined_at < self.now:
            count -= 1  # the member themselves
        names = []
        for _, member_id, name in joined:
            if len(names) == min(count, NEW_MEMBERS_NAMED):
                break
            if member_id != membership.user_id:
                names.append(name)
        return names, count


@dataclass
class _Reader:
    """What one member has done, read and been told about, taken from the batch's queries."""

    user: User
    since: datetime
    frequency: str
    reads: dict  # thread id -> last read number
    answered: set  # prompt thread ids with a reply of theirs
    voted: set  # prompt ids they voted on
    notices: list


def _first_unread(posts: _ThreadPosts | None, last_read: int, user_id: int, since: datetime):
    """(post id of the first post in the window the member has not read and did not write, count of such posts)."""
    if posts is None:
        return None, 0
    first, count = None, 0
    for pk, number, author_id, created_at in zip(posts.post_ids, posts.numbers, posts.authors, posts.created):
        if number <= last_read or created_at < since or author_id == user_id:
            continue
        count += 1
        if first is None:
            first = pk
    return first, count


def _prompt_item(prompt: Prompt, activity: _Activity, reader: _Reader) -> dict:
    thread = prompt.thread
    last_read = reader.reads.get(thread.pk, 0)
    unread_answers = max(thread.post_count - max(last_read, 1), 0)
    url = _thread_url(thread.pk, thread.title)
    if last_read:
        answers = activity.answers_by_thread.get(thread.pk)
        if answers:
            index = bisect_left(answers, (last_read + 1, 0))
            if index < len(answers):
                url = _post_url(answers[index][1])
        else:
            first, _ = _first_unread(activity.thread_posts.get(thread.pk), last_read, reader.user.pk, reader.since)
            if first is not None:
                url = _post_url(first)
    return {
        "title": prompt.title,
        "topic": prompt.topic.title,
        "url": url,
        "is_open": prompt.is_open(),
        "is_new": prompt.published_at is not None and prompt.published_at >= reader.since,
        "closes_at": prompt.closes_at,
        "answered": thread.pk in reader.answered,
        "has_poll": prompt.has_poll,
        "voted": prompt.pk in reader.voted,
        "unread_answers": unread_answers,
        "unread": thread.post_count > last_read,
    }


def _author_name(author_id, names: dict, chatham_house: bool) -> str:
    if chatham_house:
        return ""  # the Chatham House rule: what was said, never who said it
    return names.get(author_id, "a former member")


@dataclass
class _Texts:
    """Authors' names and post excerpts fetched for the batch, and whether a group allows post text in email."""

    names: dict
    bodies: dict

    def excerpt(self, post_id, group) -> str:
        return "" if group.emails_titles_only else self.bodies.get(post_id, "")


def _prompt_lists(group, reader: _Reader, activity: _Activity) -> tuple[list, list]:
    """(the period's prompts with something unread, open prompts closing soon that the member has not answered)."""
    prompts, closing_soon = [], []
    now = activity.now
    for prompt in activity.prompts_by_group.get(group.pk, []):
        if not prompt.is_open() and (prompt.published_at is None or prompt.published_at < reader.since):
            continue
        item = _prompt_item(prompt, activity, reader)
        closes_soon = prompt.closes_at is not None and now < prompt.closes_at <= now + CLOSING_SOON
        if prompt.is_open() and closes_soon and not item["answered"]:
            closing_soon.append(item)
        elif item["unread"]:
            prompts.append(item)
    return prompts[:PROMPTS_SHOWN], closing_soon


def _unseen(row: dict, reader: _Reader) -> bool:
    """Neither written nor already read by the member."""
    return row["author_id"] != reader.user.pk and row["number"] > reader.reads.get(row["thread_id"], 0)


def _best_answers(group, reader: _Reader, activity: _Activity, texts: _Texts) -> list:
    answers = []
    for row in activity.best_answers.get(group.pk, []):
        if len(answers) == BEST_ANSWERS_SHOWN:
            break
        if not _unseen(row, reader):
            continue
        prompt = row["prompt"]
        answers.append(
            {
                "post_id": row["post_id"],
                "url": _post_url(row["post_id"]),
                "prompt": prompt.title,
                "author": _author_name(row["author_id"], texts.names, prompt.chatham_house),
                "is_key_insight": row["is_key_insight"],
                "quotes": row["quotes"],
                "excerpt": texts.excerpt(row["post_id"], group),
            }
        )
    return answers


def _key_insights(group, reader: _Reader, activity: _Activity, texts: _Texts, shown: set) -> list:
    insights = []
    for row in activity.key_insights.get(group.pk, []):
        if len(insights) == KEY_INSIGHTS_SHOWN:
            break
        if row["created_at"] < reader.since or row["post_id"] in shown or not _unseen(row, reader):
            continue
        insights.append(
            {
                "url": _post_url(row["post_id"]),
                "thread": row["title"],
                "author": _author_name(row["author_id"], texts.names, row["chatham_house"]),
                "excerpt": texts.excerpt(row["post_id"], group),
            }
        )
    return insights


def _outcomes(group, reader: _Reader, activity: _Activity) -> list:
    outcomes = []
    for outcome in activity.outcomes_by_group.get(group.pk, []):
        if outcome.created_at < reader.since or outcome.author_id == reader.user.pk:
            continue
        if outcome.prompt_id:
            title, url = outcome.prompt.title, _thread_url(outcome.prompt.thread_id, outcome.prompt.title)
        else:
            title, url = f"Summary of {outcome.topic.title}", absolute(outcome.topic.get_absolute_url())
        text = "" if group.emails_titles_only else excerpt(outcome.takeaways_html)
        outcomes.append({"title": title, "url": url, "excerpt": text})
    return outcomes


def _active_threads(group, reader: _Reader, activity: _Activity) -> list:
    """The busiest threads of the member's window, by distinct participants then posts, that hold news for them."""
    threads = []
    for thread_id in activity.active_candidates.get(group.pk, []):
        posts = activity.thread_posts[thread_id]
        first, unread = _first_unread(posts, reader.reads.get(thread_id, 0), reader.user.pk, reader.since)
        if first is None:
            continue
        authors = [author for author, created in zip(posts.authors, posts.created) if created >= reader.since]
        threads.append(
            {
                "title": posts.title,
                "topic": posts.topic_title,
                "url": _post_url(first),
                "participants": len({author for author in authors if author is not None}),
                "posts": len(authors),
                "unread": unread,
            }
        )
    threads.sort(key=lambda item: (-item["participants"], -item["posts"]))
    return threads[:ACTIVE_THREADS_SHOWN]


CONTENT_SECTIONS = (
    "closing_soon", "prompts", "best_answers", "outcomes", "key_insights", "active_threads", "addressed", "new_members"
)


def _group_section(membership, reader: _Reader, activity: _Activity, texts: _Texts) -> dict | None:
    """One group's part of a member's digest, or None when nothing in it is new to them."""
    group = membership.group
    prompts, closing_soon = _prompt_lists(group, reader, activity)
    best_answers = _best_answers(group, reader, activity, texts)
    addressed = [
        _addressed_item(notice, group, texts) for notice in reader.notices if notice["group_id"] == group.pk
    ][:ADDRESSED_SHOWN]
    new_members, new_member_count = activity.new_members(membership, since=reader.since)
    section = {
        "group": group,
        "name": group.name,
        "url": absolute(group.get_absolute_url()),
        "titles_only": group.emails_titles_only,
        "closing_soon": closing_soon,
        "prompts": prompts,
        "best_answers": best_answers,
        "outcomes": _outcomes(group, reader, activity),
        "key_insights": _key_insights(group, reader, activity, texts, {item["post_id"] for item in best_answers}),
        "active_threads": _active_threads(group, reader, activity),
        "addressed": addressed,
        "new_members": new_members,
        "more_new_members": new_member_count - len(new_members),
    }
    if not any(section[name] for name in CONTENT_SECTIONS):
        return None
    section["headline"] = _headline(section)
    return section


def _member_digest(reader: _Reader, memberships: list, activity: _Activity, texts: _Texts) -> dict | None:
    """The digest of one member from the batch's data: a section per group that has something new, or None."""
    sections = [
        section
        for membership in memberships
        if (section := _group_section(membership, reader, activity, texts)) is not None
    ]
    if not sections:
        return None
    label = "daily" if reader.frequency == DigestFrequency.DAILY else "weekly"
    single = sections[0] if len(sections) == 1 else None
    return {
        "sections": sections,
        "frequency": reader.frequency,
        "frequency_label": label,
        "email_title": f"Your {label} digest",
        "since": reader.since,
        "until": activity.now,
        "group": single["group"] if single else None,
        "groups_label": single["name"] if single else f"your {len(sections)} groups",
        "member_of": join_names([membership.group.name for membership in memberships]),
        "headline": ", ".join(single["headline"]) if single else _summary(sections),
        "list_id": f"digest.{single['group'].slug}" if single else "digest.all-groups",
    }


def _headline(section: dict) -> list[str]:
    """The few counts that sum a group's section up, most pressing first (the subject line uses the first two)."""
    parts = []
    if section["closing_soon"]:
        parts.append(_plural(len(section["closing_soon"]), "prompt closing soon", "prompts closing soon"))
    new_prompts = sum(1 for item in section["prompts"] if item["is_new"])
    if new_prompts:
        parts.append(_plural(new_prompts, "new prompt", "new prompts"))
    if section["addressed"]:
        parts.append(_plural(len(section["addressed"]), "note for you", "notes for you"))
    if section["outcomes"]:
        parts.append(_plural(len(section["outcomes"]), "new outcome", "new outcomes"))
    if section["active_threads"]:
        parts.append(_plural(len(section["active_threads"]), "active thread", "active threads"))
    return parts[:2]


def _summary(sections: list[dict]) -> str:
    closing = sum(len(section["closing_soon"]) for section in sections)
    new_prompts = sum(1 for section in sections for item in section["prompts"] if item["is_new"])
    parts = []
    if closing:
        parts.append(_plural(closing, "prompt closing soon", "prompts closing soon"))
    if new_prompts:
        parts.append(_plural(new_prompts, "new prompt", "new prompts"))
    return ", ".join(parts[:2])


def _addressed_item(notice: dict, group, texts: _Texts) -> dict:
    actor = "Someone" if notice["chatham_house"] or not notice["actor_name"] else notice["actor_name"]
    kind = notice["kind"]
    if kind == NotificationKind.REPLY:
        text = f"{actor} replied in"
    elif kind == NotificationKind.QUOTE:
        text = f"{actor} quoted you in"
    elif kind == NotificationKind.MENTION:
        text = f"{actor} mentioned you in"
    elif kind == NotificationKind.NEW_THREAD:
        text = f"{actor} started a thread in a topic you watch:"
    elif kind == NotificationKind.WARNING:
        text = "A moderator warned you about your post in"
    else:
        text = f"Your request to join {group.name} was approved."
    if notice["post_id"]:
        url = _post_url(notice["post_id"])
    elif notice["thread_id"]:
        url = _thread_url(notice["thread_id"], notice["thread_title"])
    else:
        url = absolute(group.get_absolute_url())
    return {
        "kind": kind,
        "text": text,
        "thread": notice["thread_title"] or "",
        "url": url,
        "excerpt": notice["message"] or (texts.excerpt(notice["post_id"], group) if notice["post_id"] else ""),
    }


def _notices(users: list, since: datetime, now: datetime, group_ids: dict[int, set]) -> dict[int, list]:
    """Each member's unread notifications worth listing, newest first.

    Replies, quotes and mentions, plus any other kind the member sends to the digest; never what they chose
    never to get by email, what is emailed at once (sent or about to be), or posts that were removed.
    """
    by_user = defaultdict(list)
    rows = (
        Notification.objects.filter(
            user_id__in=[user.pk for user in users],
            read_at__isnull=True,
            email_due_at__isnull=True,  # emailed at once, or about to be: not again in the digest
            emailed_at__isnull=True,
            created_at__gte=since,
            created_at__lt=now,
            kind__in=LISTED_KINDS,
        )
        .order_by("-created_at", "-pk")
        .values(
            "pk",
            "user_id",
            "kind",
            "group_id",
            "thread_id",
            "post_id",
            "created_at",
            "post__number",
            "post__deleted_at",
            "post__hidden_at",
            "message",
            "thread__title",
            "thread__prompt__chatham_house",
            "actor__display_name",
            "actor__username",
        )
    )
    users_by_id = {user.pk: user for user in users}
    for row in rows:
        user = users_by_id[row["user_id"]]
        choice = user.email_choice(row["kind"])
        if choice == EmailChoice.NEVER or row["group_id"] not in group_ids.get(user.pk, ()):
            continue
        if row["kind"] not in ADDRESSED_KINDS and choice != EmailChoice.DIGEST:
            continue
        if row["post_id"] and (row["post__deleted_at"] is not None or row["post__hidden_at"] is not None):
            continue
        by_user[user.pk].append(
            {
                "kind": row["kind"],
                "group_id": row["group_id"],
                "thread_id": row["thread_id"],
                "thread_title": row["thread__title"],
                "post_id": row["post_id"],
                "post_number": row["post__number"],
                "created_at": row["created_at"],
                "chatham_house": bool(row["thread__prompt__chatham_house"]),
                "actor_name": row["actor__display_name"] or row["actor__username"],
                "message": row["message"],
            }
        )
    return by_user


def _fetch_texts(activity: _Activity, notices: dict) -> _Texts:
    """Names of the authors the batch's digests may name and excerpts of the posts they may quote: a query each."""
    rows = [row for rows in (*activity.best_answers.values(), *activity.key_insights.values()) for row in rows]
    author_ids = {row["author_id"] for row in rows} - {None}
    post_ids = {row["post_id"] for row in rows}
    post_ids |= {notice["post_id"] for user_notices in notices.values() for notice in user_notices if notice["post_id"]}
    names = {}
    if author_ids:
        users = User.objects.filter(pk__in=author_ids).values_list("pk", "display_name", "username")
        names = {pk: display_name or username for pk, display_name, username in users}
    bodies = {}
    if post_ids:
        bodies = {pk: excerpt(html) for pk, html in Post.objects.filter(pk__in=post_ids).values_list("pk", "body_html")}
    return _Texts(names=names, bodies=bodies)


def digest_contexts_for(users, *, now: datetime, groups=None, latest=None, failed=None) -> dict[int, dict | None]:
    """The digest of each of `users` at `now` ({user id: context, or None when nothing is new}).

    Made for batches: the number of queries is the same for five members or five hundred. `groups` limits the
    digests to those groups (a moderator's preview of a member); `latest` saves the query for the members'
    previous digests when the caller has it. With a `failed` set, a member whose digest cannot be composed is
    logged and added to it instead of stopping the others.
    """
    users = list(users)
    if not users:
        return {}
    user_ids = [user.pk for user in users]
    if latest is None:
        latest = latest_deliveries(user_ids)
    since_of = {
        user.pk: covered_since(user.digest_frequency, latest.get(user.pk, (None, None))[1], now) for user in users
    }
    memberships = Membership.objects.filter(user_id__in=user_ids).select_related("group")
    if groups is not None:
        memberships = memberships.filter(group__in=groups)
    memberships_of = defaultdict(list)
    for membership in memberships.order_by("group__name", "group_id"):
        memberships_of[membership.user_id].append(membership)
    group_ids = {membership.group_id for memberships in memberships_of.values() for membership in memberships}
    since = min(since_of.values())
    activity = _Activity(group_ids=group_ids, since=since, now=now)

    prompt_thread_ids = {prompt.thread_id for prompt in activity.prompts}
    answered, voted = defaultdict(set), defaultdict(set)
    if activity.prompts:
        replies = Post.objects.filter(
            author_id__in=user_ids, thread_id__in=prompt_thread_ids, number__gt=1, deleted_at__isnull=True
        )
        for author_id, thread_id in replies.values_list("author_id", "thread_id").distinct():
            answered[author_id].add(thread_id)
        prompt_ids = [prompt.pk for prompt in activity.prompts]
        votes = Vote.objects.filter(user_id__in=user_ids, poll__prompt_id__in=prompt_ids)
        for user_id, prompt_id in votes.values_list("user_id", "poll__prompt_id"):
            voted[user_id].add(prompt_id)

    group_ids_of = {user_id: {m.group_id for m in ms} for user_id, ms in memberships_of.items()}
    notices = _notices(users, since, now, group_ids_of) if group_ids else {}

    thread_ids = prompt_thread_ids | set(activity.thread_posts)
    thread_ids |= {notice["thread_id"] for user_notices in notices.values() for notice in user_notices}
    thread_ids.discard(None)
    reads = defaultdict(dict)
    if thread_ids:
        markers = ThreadRead.objects.filter(user_id__in=user_ids, thread_id__in=thread_ids)
        for user_id, thread_id, number in markers.values_list("user_id", "thread_id", "last_read_number"):
            reads[user_id][thread_id] = number
    texts = _fetch_texts(activity, notices)

    contexts = {}
    for user in users:
        user_reads = reads.get(user.pk, {})
        reader = _Reader(
            user=user,
            since=since_of[user.pk],
            frequency=user.digest_frequency,
            reads=user_reads,
            answered=answered.get(user.pk, set()),
            voted=voted.get(user.pk, set()),
            notices=[
                notice
                for notice in notices.get(user.pk, [])
                if notice["created_at"] >= since_of[user.pk]
                and not (notice["post_number"] and notice["post_number"] <= user_reads.get(notice["thread_id"], 0))
            ],
        )
        try:
            contexts[user.pk] = _member_digest(reader, memberships_of.get(user.pk, []), activity, texts)
        except Exception:
            if failed is None:
                raise
            logger.exception("Could not compose the digest of member %s", user.pk)
            failed.add(user.pk)
            contexts[user.pk] = None
    return contexts


def digest_context(user, *, now: datetime, groups=None) -> dict | None:
    """What `user` would receive at `now` (for the preview page and tests); None when nothing is new."""
    return digest_contexts_for([user], now=now, groups=groups)[user.pk]


def build_digest_message(user, context: dict):
    """The email for a digest context: subject, plain text and HTML, rendered on the member's clock."""
    with timezone.override(zone_named(user.timezone)):
        return build_email(
            template="digest", user=user, context=context, scope=DIGEST_SCOPE, list_id=context["list_id"]
        )


# Sending -------------------------------------------------------------------------------------------------------


def _claim(rows: list[DigestDelivery]) -> dict[int, int]:
    """Insert the members' delivery rows, skipping any (member, period) already there; {user id: row id} inserted.

    One INSERT … ON CONFLICT DO NOTHING RETURNING for the whole batch (PostgreSQL, and SQLite since 3.35), rather
    than a create() per member, keeps a batch's queries constant. The unique constraint decides: a concurrent
    worker inserting the same row waits for this transaction, then inserts nothing.
    """
    if not rows:
        return {}
    quote = connection.ops.quote_name
    names = ("user", "period", "frequency", "covers_from", "covers_until", "status", "created_at")
    fields = [DigestDelivery._meta.get_field(name) for name in names]
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    params = [field.get_db_prep_save(getattr(row, field.attname), connection) for row in rows for field in fields]
    sql = (
        f"INSERT INTO {quote(DigestDelivery._meta.db_table)} ({columns}) VALUES {values} "
        f"ON CONFLICT ({quote('user_id')}, {quote('period')}) DO NOTHING RETURNING {quote('id')}, {quote('user_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {user_id: pk for pk, user_id in cursor.fetchall()}


@dataclass
class BatchResult:
    sent: list
    empty: list  # nothing new: recorded, not sent
    skipped: list  # not due, or served by another run


def send_digests(users, *, now: datetime) -> BatchResult:
    """Compose and send the digests due at `now` for these members, each at most once per period.

    Messages are built first, outside any transaction. Then, in one transaction, the members' periods are claimed
    and each claimed message is handed to the mail queue (Django mail, which queues the deliver_email task). A
    member whose message cannot be composed, built or handed off has no claim when the transaction commits, so a
    retry can try again; DigestsNotSent is raised once the others are committed. A hand-off is not undone if the
    commit itself fails, so that rare case can send a digest twice; it never loses one.
    """
    users = sorted(users, key=lambda user: user.pk)  # the same insert order everywhere: no deadlocks between runs
    latest = latest_deliveries(user.pk for user in users)
    slots = {}
    for user in users:
        last_period, last_covers_until = latest.get(user.pk, (None, None))
        slot = slot_for(user, now=now)
        due = is_due(slot, last_period=last_period, last_covers_until=last_covers_until, joined_at=user.date_joined)
        if due and user.email:
            slots[user.pk] = slot
    due_users = [user for user in users if user.pk in slots]
    failed = set()
    contexts = digest_contexts_for(due_users, now=now, latest=latest, failed=failed)
    messages = {}
    for user in due_users:
        if contexts[user.pk] is not None:
            try:
                messages[user.pk] = build_digest_message(user, contexts[user.pk])
            except Exception:
                logger.exception("Could not build the digest of member %s", user.pk)
                failed.add(user.pk)
    rows = [
        DigestDelivery(
            user_id=user.pk,
            period=slots[user.pk].period,
            frequency=user.digest_frequency,
            covers_from=covered_since(user.digest_frequency, latest.get(user.pk, (None, None))[1], now),
            covers_until=now,
            status=DigestDelivery.Status.SENDING if user.pk in messages else DigestDelivery.Status.EMPTY,
            created_at=now,
        )
        for user in due_users
        if user.pk not in failed
    ]
    sent, empty, lost = [], [], []
    with transaction.atomic():
        claimed = _claim(rows)
        for user_id, delivery_id in claimed.items():
            if user_id not in messages:
                empty.append(user_id)
                continue
            try:
                messages[user_id].send()
            except Exception:
                logger.exception("Could not hand the digest of member %s to the mail queue", user_id)
                lost.append(delivery_id)
                failed.add(user_id)
            else:
                sent.append(user_id)
        if lost:
            DigestDelivery.objects.filter(pk__in=lost).delete()
        if sent:
            DigestDelivery.objects.filter(pk__in=[claimed[user_id] for user_id in sent]).update(
                status=DigestDelivery.Status.SENT, sent_at=timezone.now()  # when it really left, whatever `now` says
            )
    if failed:
        raise DigestsNotSent(failed)
    skipped = [user.pk for user in users if user.pk not in claimed]
    return BatchResult(sent=sorted(sent), empty=sorted(empty), skipped=skipped)


def send_digest_batch(user_ids, *, now: datetime) -> BatchResult:
    return send_digests(User.objects.filter(pk__in=list(user_ids), is_active=True), now=now)


def send_digest(user_id: int, *, now: datetime) -> bool:
    """Email one member their digest due at `now`; False when not due, already sent, or nothing new.

    Calling it again, or at the same time from another worker, is harmless.
    """
    return user_id in send_digest_batch([user_id], now=now).sent


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
