"""Notifications on the site: who hears about what, watching and muting, read markers and @mentions.

Every function that changes something takes `now`; the Celery tasks in discussions/tasks.py only pass ids and ISO
times. Creating notifications is safe to repeat: the Notification table's unique constraints (one per member per
post; one per member, prompt and kind) settle retries and races, and bulk_create(ignore_conflicts=True) lets the
database drop whatever a racing worker inserted first.

Who hears about a post, most specific reason first: an @mention, then a quote of their post, then a reply in a
thread they watch (a new thread, for watchers of its topic or group). One notification per member per post, never
for its author, and never for a member who muted the thread, or its topic or group without watching the thread.
"""

import re
import time
from datetime import datetime, timedelta
from functools import cache as once
from html.parser import HTMLParser

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Exists, F, IntegerField, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext

from discussions.markdown import UnrenderableMarkdown, render_markdown
from discussions.models import Notification, Post, Subscription, Thread, ThreadRead
from groupsite.models import EmailChoice, NotificationKind, User
from topics.access import moderated_group_ids
from topics.models import Group, JoinRequest, Membership, Prompt, PromptAnnouncement, Topic
from topics.answers import answered
from topics.sanctions import sanctioned_user_ids

Kind = NotificationKind
WATCHING = Subscription.Level.WATCHING
MUTED = Subscription.Level.MUTED

# A post naming more people than this notifies the first ones only: mass pings are not a way to reach a group.
MAX_MENTIONS = 20
# Reminders go to prompts closing within this window, once per member and prompt.
REMINDER_BEFORE = timedelta(hours=24)
# Announcements whose task has not run after this long are sent by the reminders' beat tick instead.
ANNOUNCEMENT_CATCH_UP_AFTER = timedelta(minutes=10)
SUGGESTIONS_LIMIT = 8


# Watching and muting -------------------------------------------------------------------------------------------


def _target_field(target) -> str:
    if isinstance(target, Thread):
        return "thread"
    if isinstance(target, Topic):
        return "topic"
    if isinstance(target, Group):
        return "group"
    raise TypeError(f"Members watch threads, topics and groups, not {type(target).__name__}")


def set_subscription(*, user, target, level: str, now: datetime) -> Subscription:
    """Watch or mute a thread, topic or group, replacing what the member chose for it before."""
    subscription, _ = Subscription.objects.update_or_create(
        user=user,
        **{_target_field(target): target},
        defaults={"level": level},
        create_defaults={"level": level, "created_at": now},
    )
    return subscription


def watch(*, user, target, now: datetime) -> Subscription:
    return set_subscription(user=user, target=target, level=WATCHING, now=now)


def mute(*, user, target, now: datetime) -> Subscription:
    return set_subscription(user=user, target=target, level=MUTED, now=now)


def unwatch(*, user, target) -> bool:
    """Forget the member's choice for this target (it then follows its topic or group); False if there was none."""
    deleted, _ = Subscription.objects.filter(user=user, **{_target_field(target): target}).delete()
    return bool(deleted)


def auto_watch(*, user, thread: Thread, now: datetime) -> bool:
    """Posting in a thread watches it, unless the member chose otherwise (an explicit mute stays)."""
    if user is None:
        return False
    _, created = Subscription.objects.get_or_create(
        user=user, thread=thread, defaults={"level": WATCHING, "created_at": now}
    )
    return created


def with_reader_state(threads, user):
    """Threads annotated with the member's read marker, watch levels and whether it holds unread notifications
    for them, so the thread page asks no extra question (and writes only what changed).

    `read_number` is None when the member has never opened the thread; `*_level` are None where nothing is chosen.
    The columns are plain SQL subqueries (`_reader_state_sql`): built through the ORM, these six took a quarter of
    a member's warm thread page, and they are the same whatever the page.
    """
    if not user.is_authenticated:
        return threads
    return threads.annotate(
        **{
            name: RawSQL(sql, [user.pk] * sql.count("%s"), output_field=field())
            for name, (sql, field) in _reader_state_sql().items()
        }
    )


@once
def _reader_state_sql() -> dict[str, tuple]:
    thread = connection.ops.quote_name(Thread._meta.db_table)
    models = (ThreadRead, Subscription, Notification, Post, Topic)
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in models}
    group_of_thread = f"(SELECT t.group_id FROM {table[Topic]} t WHERE t.id = {thread}.topic_id)"
    level = f"SELECT s.level FROM {table[Subscription]} s WHERE s.user_id = %s AND "
    return {
        "read_number": (
            f"SELECT r.last_read_number FROM {table[ThreadRead]} r WHERE r.user_id = %s AND r.thread_id = {thread}.id LIMIT 1",
            IntegerField,
        ),
        "thread_level": (f"{level}s.thread_id = {thread}.id LIMIT 1", CharField),
        "topic_level": (f"{level}s.topic_id = {thread}.topic_id LIMIT 1", CharField),
        "group_level": (f"{level}s.group_id = {group_of_thread} LIMIT 1", CharField),
        "has_unread_notifications": (
            f"EXISTS (SELECT 1 FROM {table[Notification]} n "
            f"WHERE n.user_id = %s AND n.thread_id = {thread}.id AND n.read_at IS NULL)",
            BooleanField,
        ),
        # The header's badge (unread_count), when opening the thread marks none of them read.
        "unread_notification_count": (
            f"SELECT COUNT(*) FROM {table[Notification]} n WHERE n.user_id = %s AND n.read_at IS NULL",
            IntegerField,
        ),
        # The member's own newest post: what they wrote is not new to them (the jump to the first unread post).
        "own_last_number": (
            f"SELECT MAX(p.number) FROM {table[Post]} p WHERE p.thread_id = {thread}.id AND p.author_id = %s",
            IntegerField,
        ),
    }


def subscription_state(*, user, target) -> dict:
    """What the member chose for `target` and what applies to it: {"level", "effective", "source"}.

    `level` is the member's own choice here ("" for none); `effective` the level that applies ("" for none), coming
    from `source`: "thread", "topic", "group" or "".
    """
    field = _target_field(target)
    if field == "thread" and hasattr(target, "thread_level"):
        levels = {"thread": target.thread_level, "topic": target.topic_level, "group": target.group_level}
    else:
        if field == "thread":
            scopes = {"thread": target, "topic": target.topic_id, "group": target.topic.group_id}
        elif field == "topic":
            scopes = {"topic": target, "group": target.group_id}
        else:
            scopes = {"group": target}
        query = Q()
        for scope, value in scopes.items():
            query |= Q(**{scope: value})
        levels = dict.fromkeys(scopes)
        for row in Subscription.objects.filter(query, user=user).values("thread_id", "topic_id", "group_id", "level"):
            scope = "thread" if row["thread_id"] else "topic" if row["topic_id"] else "group"
            levels[scope] = row["level"]
    order = ["thread", "topic", "group"]
    order = order[order.index(field) :]
    source = next((scope for scope in order if levels.get(scope)), "")
    return {"level": levels.get(field) or "", "effective": levels[source] if source else "", "source": source}


def _subscription_levels(*, thread: Thread | None, topic: Topic, group: Group) -> dict[int, dict[str, str]]:
    """Every member's choices that bear on a post in `thread`: {user_id: {"thread"|"topic"|"group": level}}."""
    query = Q(topic=topic) | Q(group=group)
    if thread is not None:
        query |= Q(thread=thread)
    levels: dict[int, dict[str, str]] = {}
    for user_id, thread_id, topic_id, level in Subscription.objects.filter(query).values_list(
        "user_id", "thread_id", "topic_id", "level"
    ):
        scope = "thread" if thread_id else "topic" if topic_id else "group"
        levels.setdefault(user_id, {})[scope] = level
    return levels


def _effective(levels: dict[str, str], *scopes: str) -> str | None:
    """The level that applies: the most specific choice wins (watching a thread in a muted group still notifies)."""
    for scope in scopes:
        if scope in levels:
            return levels[scope]
    return None


def _is_muted(levels: dict[int, dict[str, str]], user_id: int) -> bool:
    return _effective(levels.get(user_id, {}), "thread", "topic", "group") == MUTED


# @mentions -----------------------------------------------------------------------------------------------------

# "@name" not preceded by a character that makes it part of something else: an email address, a URL, "@@".
# Usernames are ASCII (groupsite.names), and Chinese puts no space around a mention ("谢谢@liming的分析"), so
# only ASCII letters count as part of the name or as the word before it.
MENTION_PATTERN = re.compile(r"(?<![A-Za-z0-9_@.+\-/])@([A-Za-z0-9_][A-Za-z0-9_.+\-]*)")
_SKIPPED_TAGS = {"code", "pre", "blockquote"}


class _MentionText(HTMLParser):
    """The text of rendered Markdown outside code and quotes (a quote's mentions were the quoted author's)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self.depth += 1
        elif tag in {"p", "br", "li", "td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS and self.depth:
            self.depth -= 1
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def mentions_in_html(html: str) -> list[str]:
    """Usernames @mentioned in a post's rendered HTML, in order, without repeats (case-insensitively)."""
    parser = _MentionText()
    parser.feed(html)
    parser.close()
    names, seen = [], set()
    for match in MENTION_PATTERN.finditer("".join(parser.parts)):
        name = match.group(1).rstrip(".")  # "thanks @mei." ends a sentence
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names[:MAX_MENTIONS]


def parse_mentions(text: str) -> list[str]:
    """Usernames @mentioned in Markdown: not inside code spans, code blocks or quotes, nor in email addresses."""
    try:
        html = render_markdown(text)
    except UnrenderableMarkdown:
        return []
    return mentions_in_html(html)


def resolve_mentions(usernames: list[str], *, group: Group) -> list[User]:
    """The active users named, among those who can see `group`: its members if private, anyone if public.

    A mention of someone outside a private group notifies nobody, and does not tell the writer whether they exist.
    """
    if not usernames:
        return []
    users = User.objects.annotate(lower_name=Lower("username")).filter(
        lower_name__in=[name.lower() for name in usernames], is_active=True
    )
    if not group.is_public:
        users = users.filter(memberships__group=group)
    return list(users.exclude(pk__in=sanctioned_user_ids(group=group)))  # suspended or banned: not mentionable


def count_mentions(*, author, body: str, group: Group, membership: Membership | None, now: float | None = None) -> None:
    """Count the people a post about to be published would @mention; raise RateLimited past the limits.

    A post may reach at most MENTIONS_PER_POST people, and an account MENTIONS_PER_HOUR in a (fixed) hour. Only people
    the mention would reach count, never the author. A refused post adds nothing to the count, so the writer can take
    some names out and post again. The group's moderators are exempt: they call on the panel by name.
    """
    # Imported here: moderation imports topics.prompts, which imports this module (through discussions.services).
    from discussions.moderation import HOUR, RateLimited

    if membership is not None and membership.is_moderator:
        return
    people = sum(1 for user in resolve_mentions(parse_mentions(body), group=group) if user.pk != author.pk)
    if not people:
        return
    if people > settings.MENTIONS_PER_POST:
        raise RateLimited(
            gettext("A post can mention at most %(limit)d people: remove some @mentions and post again.")
            % {"limit": settings.MENTIONS_PER_POST}
        )
    now = time.time() if now is None else now
    key = f"rate-limit:mentions:{author.pk}:{int(now // HOUR)}"
    if cache.get(key, 0) + people > settings.MENTIONS_PER_HOUR:
        raise RateLimited(
            gettext("You have mentioned many people in the last hour: post without the @mentions, or wait a while."),
            retry_after=HOUR - int(now % HOUR),
        )
    cache.add(key, 0, timeout=HOUR)
    try:
        cache.incr(key, people)
    except ValueError:  # the key expired between add() and incr()
        cache.add(key, people, timeout=HOUR)


def is_cjk(text: str) -> bool:
    """Whether `text` is all CJK ideographs (the unified blocks and their compatibility forms)."""
    return all("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in text)


def member_suggestions(*, group: Group, query: str, asked_by=None) -> list[dict]:
    """Members of `group` whose username starts with, or display name contains, `query`: the @mention autocomplete.

    The member asking is left out: mentioning yourself notifies nobody.
    """
    query = query.strip().lstrip("@")
    if len(query) < 2 and not (query and is_cjk(query)):  # one Chinese character ("李") already narrows the list
        return []
    members = (
        User.objects.filter(memberships__group=group, is_active=True)
        .filter(Q(username__istartswith=query) | Q(display_name__icontains=query))
        .exclude(pk=getattr(asked_by, "pk", None))
        .exclude(pk__in=sanctioned_user_ids(group=group))
        .order_by(Lower("username"))
        .values("username", "display_name")[:SUGGESTIONS_LIMIT]
    )
    return [{"username": row["username"], "display_name": row["display_name"] or row["username"]} for row in members]


# Creating notifications ----------------------------------------------------------------------------------------


def _allowed_recipients(group: Group, kinds: dict[int, str]) -> dict[int, User]:
    """The active users among `kinds` who may hear about `group`: its members, and for a public group also anyone
    addressed directly (mentioned or quoted)."""
    if not kinds:
        return {}
    users = (
        User.objects.filter(pk__in=kinds, is_active=True)
        .annotate(is_member=Exists(Membership.objects.filter(group=group, user=OuterRef("pk"))))
        .only("pk", "email_choices")
    )
    addressed = {Kind.MENTION, Kind.QUOTE}
    return {
        user.pk: user for user in users if user.is_member or (group.is_public and kinds[user.pk] in addressed)
    }


def _create(rows: list[Notification], users: dict[int, User], now: datetime) -> int:
    """Insert the rows not already there; each gets its email time if its member wants that kind at once."""
    delay = timedelta(minutes=settings.NOTIFICATION_EMAIL_DELAY_MINUTES)
    for row in rows:
        row.created_at = now
        if users[row.user_id].email_choice(row.kind) == EmailChoice.IMMEDIATELY:
            row.email_due_at = now + delay
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _notify_about_post(post: Post, kinds: dict[int, str], levels: dict[int, dict[str, str]], now: datetime) -> int:
    thread = post.thread
    group = thread.topic.group
    for user_id in mentioned_user_ids(post, group=group):
        kinds[user_id] = Kind.MENTION  # a mention outranks a quote or a reply
    kinds.pop(post.author_id, None)
    kinds = {user_id: kind for user_id, kind in kinds.items() if not _is_muted(levels, user_id)}
    already = set(Notification.objects.filter(post=post, user_id__in=kinds).values_list("user_id", flat=True))
    users = _allowed_recipients(group, {user_id: kind for user_id, kind in kinds.items() if user_id not in already})
    rows = [
        Notification(
            user_id=user_id, kind=kinds[user_id], actor_id=post.author_id, group=group, thread=thread, post=post
        )
        for user_id in users
    ]
    return _create(rows, users, now)


def mentioned_user_ids(post: Post, *, group: Group) -> list[int]:
    return [user.pk for user in resolve_mentions(mentions_in_html(post.body_html), group=group)]


def _live_post(post_id: int) -> Post | None:
    return (
        Post.objects.select_related("thread__topic__group", "quoted_post")
        .filter(pk=post_id, deleted_at__isnull=True, hidden_at__isnull=True)  # hidden posts notify nobody
        .first()
    )


def notify_new_post(*, post_id: int, now: datetime) -> int:
    """Notify those a new reply concerns; returns how many notifications it created (0 when run again)."""
    post = _live_post(post_id)
    if post is None:
        return 0  # removed before the task ran
    thread = post.thread
    levels = _subscription_levels(thread=thread, topic=thread.topic, group=thread.topic.group)
    kinds = {user_id: Kind.REPLY for user_id, scopes in levels.items() if scopes.get("thread") == WATCHING}
    quoted = post.quoted_post
    if quoted is not None and quoted.author_id and quoted.thread_id == thread.pk and not quoted.is_deleted:
        kinds[quoted.author_id] = Kind.QUOTE
    return _notify_about_post(post, kinds, levels, now)


def notify_new_thread(*, thread_id: int, now: datetime) -> int:
    """Notify the watchers of a new thread's topic or group, and those its opening post mentions.

    A prompt's thread is announced as a prompt (notify_prompt_published) instead.
    """
    thread = Thread.objects.select_related("topic__group").filter(pk=thread_id).first()
    if thread is None or Prompt.objects.filter(thread=thread).exists():
        return 0
    post = _live_post(thread.posts.filter(number=1).values_list("pk", flat=True).first() or 0)
    if post is None:
        return 0
    levels = _subscription_levels(thread=thread, topic=thread.topic, group=thread.topic.group)
    kinds = {
        user_id: Kind.NEW_THREAD
        for user_id, scopes in levels.items()
        if _effective(scopes, "topic", "group") == WATCHING
    }
    return _notify_about_post(post, kinds, levels, now)


@transaction.atomic
def notify_prompt_published(*, prompt_id: int, now: datetime) -> int:
    """Turn a published prompt's PromptAnnouncement rows into notifications, marking each row as done."""
    prompt = Prompt.objects.select_related("topic__group").filter(pk=prompt_id, thread__isnull=False).first()
    if prompt is None:
        return 0
    pending = list(
        PromptAnnouncement.objects.filter(prompt=prompt, notified_at__isnull=True).values_list("pk", "user_id")
    )
    if not pending:
        return 0
    group = prompt.topic.group
    levels = _subscription_levels(thread=prompt.thread, topic=prompt.topic, group=group)
    kinds = {
        user_id: Kind.PROMPT
        for _, user_id in pending
        if user_id != prompt.author_id and not _is_muted(levels, user_id)
    }
    users = _allowed_recipients(group, kinds)  # members still: someone may have left since it was published
    rows = [
        Notification(
            user_id=user_id,
            kind=Kind.PROMPT,
            actor_id=prompt.author_id,
            group=group,
            thread_id=prompt.thread_id,
            prompt=prompt,
        )
        for user_id in users
    ]
    created = _create(rows, users, now)
    PromptAnnouncement.objects.filter(pk__in=[pk for pk, _ in pending], notified_at__isnull=True).update(
        notified_at=now
    )
    return created


def announce_pending_prompts(*, now: datetime) -> int:
    """Send the announcements whose task was lost (a worker died, the broker was down): nothing is dropped."""
    prompt_ids = (
        PromptAnnouncement.objects.filter(notified_at__isnull=True, created_at__lte=now - ANNOUNCEMENT_CATCH_UP_AFTER)
        .values_list("prompt_id", flat=True)
        .distinct()
    )
    return sum(notify_prompt_published(prompt_id=prompt_id, now=now) for prompt_id in list(prompt_ids))


@transaction.atomic
def notify_join_approved(*, join_request_id: int, now: datetime) -> int:
    """Tell a member their request to join was approved; once per approval, however often the task runs."""
    # The row lock makes a second run wait for the first and then find its notification.
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("group")
        .filter(pk=join_request_id, status=JoinRequest.Status.APPROVED)
        .first()
    )
    if join_request is None:
        return 0
    decided_at = join_request.decided_at or join_request.created_at
    done = Notification.objects.filter(
        user_id=join_request.user_id, group=join_request.group, kind=Kind.JOIN_APPROVED, created_at__gte=decided_at
    )
    if done.exists():
        return 0
    users = _allowed_recipients(join_request.group, {join_request.user_id: Kind.JOIN_APPROVED})
    rows = [
        Notification(
            user_id=user_id, kind=Kind.JOIN_APPROVED, actor_id=join_request.decided_by_id, group=join_request.group
        )
        for user_id in users
    ]
    return _create(rows, users, now)


def create_prompt_reminders(*, now: datetime) -> int:
    """Remind the members who have neither answered nor voted on a prompt that closes within a day; once each.

    A prompt open for less than a day gets no reminder: its announcement is recent enough.
    """
    prompts = Prompt.objects.filter(
        status=Prompt.Status.OPEN,
        thread__isnull=False,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
        published_at__lte=F("closes_at") - REMINDER_BEFORE,
    ).select_related("topic__group")
    created = 0
    for prompt in prompts:
        created += _remind(prompt, now)
    return created


def _remind(prompt: Prompt, now: datetime) -> int:
    member = OuterRef("user_id")
    # A member reminded already (by this beat, or by a moderator's follow-up) is not reminded again.
    reminded = Notification.objects.filter(prompt=prompt, kind=Kind.REMINDER, post__isnull=True, user_id=member)
    waiting = (
        Membership.objects.filter(group_id=prompt.topic.group_id)
        .exclude(user_id=prompt.author_id)
        .exclude(answered(prompt=prompt.pk, thread=prompt.thread_id, user=member))
        .exclude(Exists(reminded))
        .values_list("user_id", flat=True)
    )
    group = prompt.topic.group
    levels = _subscription_levels(thread=prompt.thread, topic=prompt.topic, group=group)
    kinds = {user_id: Kind.REMINDER for user_id in waiting if not _is_muted(levels, user_id)}
    users = _allowed_recipients(group, kinds)
    rows = [
        Notification(user_id=user_id, kind=Kind.REMINDER, group=group, thread_id=prompt.thread_id, prompt=prompt)
        for user_id in users
    ]
    return _create(rows, users, now)


def remind_to_answer(*, prompt: Prompt, user_ids, actor_id: int | None, now: datetime) -> int:
    """A moderator's reminder to answer `prompt`, for each of `user_ids`; emailed as each member chose for reminders.

    A member holds one reminder per prompt (the table's unique constraint): one they already have, read or not, is
    brought back as new, unread and due for its email again, rather than a second row.
    """
    group = prompt.topic.group
    users = _allowed_recipients(group, dict.fromkeys(user_ids, Kind.REMINDER))
    delay = timedelta(minutes=settings.NOTIFICATION_EMAIL_DELAY_MINUTES)
    existing = Notification.objects.filter(prompt=prompt, kind=Kind.REMINDER, post__isnull=True, user_id__in=users)
    renewed = set(existing.values_list("user_id", flat=True))
    emailed = {user_id for user_id in renewed if users[user_id].email_choice(Kind.REMINDER) == EmailChoice.IMMEDIATELY}
    for user_ids_now, email_due_at in ((emailed, now + delay), (renewed - emailed, None)):
        if user_ids_now:
            existing.filter(user_id__in=user_ids_now).update(
                actor_id=actor_id, created_at=now, read_at=None, email_due_at=email_due_at, emailed_at=None
            )
    rows = [
        Notification(
            user_id=user_id,
            kind=Kind.REMINDER,
            actor_id=actor_id,
            group=group,
            thread_id=prompt.thread_id,
            prompt=prompt,
        )
        for user_id in users
        if user_id not in renewed
    ]
    return len(renewed) + _create(rows, {user_id: users[user_id] for user_id in users if user_id not in renewed}, now)


# Reading -------------------------------------------------------------------------------------------------------

_UNKNOWN = object()


def mark_thread_read(*, user, thread: Thread, number: int, now: datetime) -> bool:
    """Move the member's read marker in `thread` up to post `number`, and mark what it notified them of as read.

    One write for the marker: an UPDATE when it is behind, an INSERT when there is none; with_reader_state says
    which without a query, and whether any notification needs marking. Returns whether the marker moved.
    """
    known = getattr(thread, "read_number", _UNKNOWN)
    markers = ThreadRead.objects.filter(user=user, thread=thread)
    if known is None:
        # Another tab may insert first; its marker stands, and the next visit moves it on.
        ThreadRead.objects.bulk_create(
            [ThreadRead(user=user, thread=thread, last_read_number=number, updated_at=now)], ignore_conflicts=True
        )
        moved = True
    elif known is _UNKNOWN:
        moved = bool(markers.filter(last_read_number__lt=number).update(last_read_number=number, updated_at=now))
        if not moved and not markers.exists():
            ThreadRead.objects.bulk_create(
                [ThreadRead(user=user, thread=thread, last_read_number=number, updated_at=now)], ignore_conflicts=True
            )
            moved = True
    elif known < number:
        moved = bool(markers.filter(last_read_number__lt=number).update(last_read_number=number, updated_at=now))
    else:
        moved = False
    if getattr(thread, "has_unread_notifications", True):
        # The posts seen, and what is about the thread as a whole (its prompt, a reminder to answer it).
        Notification.objects.filter(user=user, thread=thread, read_at__isnull=True).filter(
            Q(post__isnull=True) | Q(post__number__lte=number)
        ).update(read_at=now)
    thread.read_number = max(number, known if isinstance(known, int) else 0)
    return moved


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, notification: Notification, now: datetime) -> bool:
    changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    if changed:
        notification.read_at = now
    return bool(changed)


def mark_all_read(*, user, now: datetime) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)


# Showing -------------------------------------------------------------------------------------------------------


# The kinds whose text names who did it (notification_text), and so show that person's role badge.
ACTOR_KINDS = frozenset({Kind.REPLY, Kind.QUOTE, Kind.MENTION, Kind.NEW_THREAD})


def notification_text(notification: Notification, *, hide_actor: bool) -> str:
    """One line saying what happened; `hide_actor` (the Chatham House rule) names nobody."""
    if hide_actor:
        actor = gettext("A participant")
    else:
        actor = notification.actor.public_name if notification.actor else gettext("A former member")
    values = {
        "actor": actor,
        "thread": notification.thread.title if notification.thread else "",
        "group": notification.group.name,
        "prompt": notification.prompt.title if notification.prompt else "",
    }
    kind = notification.kind
    if kind == Kind.REPLY:
        return gettext("%(actor)s replied in “%(thread)s”") % values
    if kind == Kind.QUOTE:
        return gettext("%(actor)s quoted your post in “%(thread)s”") % values
    if kind == Kind.MENTION:
        return gettext("%(actor)s mentioned you in “%(thread)s”") % values
    if kind == Kind.NEW_THREAD:
        values["topic"] = notification.thread.topic.title
        return gettext("%(actor)s started “%(thread)s” in %(topic)s") % values
    if kind == Kind.PROMPT:
        return gettext("New prompt in %(group)s: “%(prompt)s”") % values
    if kind == Kind.JOIN_APPROVED:
        return gettext("Your request to join %(group)s was approved: welcome!") % values
    if kind == Kind.REMINDER and notification.actor_id:
        # Sent by a moderator from the prompt's follow-up page; it names the group's moderators, not one of them.
        return gettext("The moderators of %(group)s are waiting for your answer to “%(prompt)s”") % values
    if kind == Kind.REMINDER:
        return gettext("“%(prompt)s” closes within a day and is waiting for your answer") % values
    if kind == Kind.WARNING:
        # The moderator's own words: the member is told who warned them, as any moderator action is signed.
        return gettext("Warning from the moderators of %(group)s about your post in “%(thread)s”: %(message)s") % {
            **values,
            "message": notification.message,
        }
    return notification.get_kind_display()


def notification_url(notification: Notification) -> str:
    """Where the notification leads: the post, the thread (its reply box for a reminder) or the group."""
    if notification.post_id:
        return reverse("discussions:post", args=[notification.post_id])
    if notification.thread_id:
        url = reverse("discussions:thread_short", args=[notification.thread_id])
        return url + "#reply" if notification.kind == Kind.REMINDER else url
    return notification.group.get_absolute_url()


def for_display(user):
    """The member's notifications with what their text needs, newest first."""
    return Notification.objects.filter(user=user).select_related(
        "actor", "group", "thread__topic", "thread__prompt", "prompt"
    )


def describe(notifications, *, user) -> list[Notification]:
    """Give each notification its `text`, `url`, `hides_actor` and `actor_role`, in two queries for roles."""
    notifications = list(notifications)
    moderated = moderated_group_ids(user)
    # The actors' roles in their groups, for the badge beside the text: one query for the page.
    staff = Membership.objects.filter(
        group_id__in={n.group_id for n in notifications},
        user_id__in={n.actor_id for n in notifications if n.actor_id},
        role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR],
    )
    staff_roles = {(group, user): role for group, user, role in staff.values_list("group_id", "user_id", "role")}
    for notification in notifications:
        notification.hides_actor = notification.is_chatham_house and notification.group_id not in moderated
        notification.text = notification_text(notification, hide_actor=notification.hides_actor)
        notification.url = notification_url(notification)
        names_actor = notification.kind in ACTOR_KINDS and not notification.hides_actor
        key = (notification.group_id, notification.actor_id)
        notification.actor_role = staff_roles.get(key) if names_actor else None
    return notifications
