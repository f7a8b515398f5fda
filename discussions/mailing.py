"""Notification emails: what a member asked to hear about at once, a few minutes late and gathered per thread.

Creating a notification (discussions.notifications) sets `email_due_at` a few minutes ahead when the member's
choice for its kind is "Email me at once". Beat runs `send_due_notification_emails` every minute: it gathers the
member's due notifications of the same thread (or prompt, or group) into one email. Each notification keeps its own
delay: one not yet due waits for the run after its own time, and one the member has already read on the site
(Notification.objects.unread) is never emailed. Each batch is claimed by a conditional UPDATE of
`emailed_at` in the transaction that builds and queues the email, so two workers or a repeated tick never send a
notification twice, and a batch that fails to build rolls its claim back and is tried again.

Unsubscribing (the one-click link in every email) and the preferences page change what later runs send.
"""

import logging
from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from discussions import excerpts
from topics import bilingual
from discussions.emails import (
    DIGEST_SCOPE,
    KIND_PHRASES,
    absolute,
    build_email,
    describe_scope,
    kinds_scope,
    scope_kinds,
)
from discussions.models import Notification
from groupsite import clock, languages
from groupsite.models import DigestFrequency, EmailChoice, NotificationKind, User
from topics.models import Membership

logger = logging.getLogger(__name__)

# A run reads at most this many due notifications (and the rest of their members' pending ones); the next minute's
# run picks up what is left.
DUE_NOTIFICATIONS_PER_RUN = 2000
SUBJECT_TITLE_CHARS = 50
EXCERPT_CHARS = 600

Kind = NotificationKind

# Kinds another email already covers: topics.services.decide_join_request emails the member the moment a moderator
# answers their request (approved or declined), so a notification email about it would say the same thing twice.
EMAILED_ELSEWHERE = {Kind.JOIN_APPROVED}

# "You get this email because …", one reason per kind in the email.
REASONS = {
    Kind.REPLY: _("you watch this thread"),
    Kind.QUOTE: _("one of your posts was quoted"),
    Kind.MENTION: _("you were @mentioned"),
    Kind.PROMPT: _("you are a member of this group"),
    Kind.NEW_THREAD: _("you watch the topic or group it was started in"),
    Kind.JOIN_APPROVED: _("you asked to join this group"),
    Kind.REMINDER: _("you have not answered this prompt yet"),
    Kind.WARNING: _("a moderator of this group warned you about one of your posts"),
}


def send_due_notification_emails(*, now: datetime) -> int:
    """Email every batch of notifications with one due by `now`; returns how many emails were queued.

    Calling it again, or twice at once, sends nothing more: a batch is claimed before its email is built.
    """
    due = Notification.objects.email_due(now)
    due_user_ids = set(due.order_by("email_due_at").values_list("user_id", flat=True)[:DUE_NOTIFICATIONS_PER_RUN])
    if not due_user_ids:
        return 0
    due = due.filter(user_id__in=due_user_ids)
    # Read on the site while the email waited (marked read, or its post read): never emailed, nor looked at again.
    due.exclude(pk__in=due.unread().values("pk")).update(email_due_at=None)
    # Only what is due goes in a batch: a later notification of the same thread waits for its own time.
    pending = (
        due.unread()
        .select_related("user", "actor", "group", "thread__topic", "thread__prompt", "post", "prompt__topic__group")
        .order_by("created_at", "pk")
    )
    batches = defaultdict(list)
    for notification in pending:
        batches[(notification.user_id, _batch_key(notification))].append(notification)
    private_memberships = set(
        Membership.objects.filter(user_id__in=due_user_ids, group__visibility="private").values_list(
            "user_id", "group_id"
        )
    )
    sent = 0
    for batch in batches.values():
        try:
            sent += send_notification_batch(batch, now=now, private_memberships=private_memberships)
        except Exception:
            # The claim was rolled back with the failed transaction: the next run tries this batch again.
            logger.exception("Could not email notifications %s", [notification.pk for notification in batch])
    return sent


def _batch_key(notification: Notification) -> tuple[str, int]:
    if notification.thread_id:
        return ("thread", notification.thread_id)
    if notification.prompt_id:
        return ("prompt", notification.prompt_id)
    return ("group", notification.group_id)


def _still_wanted(notification: Notification, private_memberships: set) -> bool:
    """Whether the email is still worth sending now: the member's choice, access and the post may have changed."""
    user = notification.user
    if not user.is_active or not user.email:
        return False
    if notification.kind in EMAILED_ELSEWHERE:
        return False
    if user.email_choice(notification.kind) != EmailChoice.IMMEDIATELY:
        return False  # changed to "only in the digest" or "never" while it waited
    if not notification.group.is_public and (user.pk, notification.group_id) not in private_memberships:
        return False  # left the private group (or was removed) since
    if notification.post is not None and (notification.post.is_deleted or notification.post.is_hidden):
        return False
    return True


def send_notification_batch(batch: list[Notification], *, now: datetime, private_memberships: set) -> int:
    """Claim one member's batch, then build and queue its email; 1 if an email was queued, else 0."""
    wanted = [notification for notification in batch if _still_wanted(notification, private_memberships)]
    unwanted_ids = [notification.pk for notification in batch if notification not in wanted]
    with transaction.atomic():
        if unwanted_ids:
            # No longer to be emailed (the site and the digest still show them): later runs skip them.
            Notification.objects.filter(pk__in=unwanted_ids, emailed_at__isnull=True).update(email_due_at=None)
        if not wanted:
            return 0
        # Rows another worker is claiming are skipped, not waited for (PostgreSQL); SQLite runs one writer at a time.
        # Only what is still unread: one read since the batch was gathered stays out, and the next run clears it.
        locked = set(
            Notification.objects.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
            .filter(pk__in=[notification.pk for notification in wanted], emailed_at__isnull=True)
            .unread()
            .values_list("pk", flat=True)
        )
        if not locked:
            return 0
        claimed = Notification.objects.filter(pk__in=locked, emailed_at__isnull=True).update(emailed_at=now)
        if claimed != len(locked):  # cannot happen while the rows are locked; never send what was not claimed
            transaction.set_rollback(True)
            return 0
        items = [notification for notification in wanted if notification.pk in locked]
        message = build_notification_email(items)
        message.send()  # queues groupsite.tasks.deliver_email, which retries a failing mail server with backoff
    return 1


def build_notification_email(notifications: list[Notification]):
    """One email about one member's notifications of one thread (or prompt, or group), oldest first."""
    user = notifications[0].user
    # In the member's language and on their clock: a worker has no request whose language or zone could apply.
    with languages.speaking(user):
        context = notification_email_context(notifications)
        with clock.reading(user, context["group"]):
            return build_email(
                template="notification",
                user=user,
                context=context,
                scope=context["scope"],
                list_id=context["group"].slug,
            )


def notification_email_context(notifications: list[Notification]) -> dict:
    first = notifications[0]
    group, thread = first.group, first.thread
    prompt = first.prompt or (getattr(thread, "prompt", None) if thread is not None else None)
    # Under the Chatham House rule an email names nobody, whoever it goes to.
    anonymous = any(notification.is_chatham_house for notification in notifications)
    items = [
        _item(notification, anonymous=anonymous, titles_only=group.emails_titles_only) for notification in notifications
    ]
    kinds = sorted({item["kind"] for item in items}, key=list(Kind.values).index)
    if thread is not None:
        title, about_url = _prompt_title(prompt, thread.title), absolute(thread.get_absolute_url())
    elif prompt is not None:
        title, about_url = _prompt_title(prompt, prompt.title), absolute(prompt.get_absolute_url())
    else:
        title, about_url = group.name, absolute(group.get_absolute_url())
    headline = _headline(items, kinds, title=_shorten(title, SUBJECT_TITLE_CHARS), group=group)
    return {
        "group": group,
        "thread": thread,
        "prompt": prompt,
        "title": title,
        "about_url": about_url,
        "items": items,
        "headline": headline,  # the subject's, with the title shortened
        "heading": _headline(items, kinds, title=title, group=group),
        "email_title": headline,
        "anonymous": anonymous,
        "titles_only": group.emails_titles_only,
        "first_url": items[0]["url"],
        "reasons": _joined([REASONS[kind] for kind in kinds]),
        "kind_phrases": _joined([KIND_PHRASES[Kind(kind)] for kind in kinds]),
        # The email's unsubscribe link stops every kind of email it is made of.
        "scope": kinds_scope(kinds),
        "unsubscribe_what": describe_scope(kinds_scope(kinds)),
    }



def _prompt_title(prompt, default: str) -> str:
    """The prompt's title in the member's language (emails are built under it) when a moderator translated it."""
    return bilingual.text(prompt, "title") if prompt is not None and bilingual.has_translation(prompt) else default


def _item(notification: Notification, *, anonymous: bool, titles_only: bool) -> dict:
    kind, post, prompt = notification.kind, notification.post, notification.prompt
    who = None if anonymous or notification.actor is None else notification.actor.public_name
    if post is not None:
        url = absolute(reverse("discussions:post", args=[post.pk]))
    elif notification.thread is not None:
        url = absolute(notification.thread.get_absolute_url())
    elif prompt is not None:
        url = absolute(prompt.get_absolute_url())
    else:
        url = absolute(notification.group.get_absolute_url())
    excerpt = ""
    if not titles_only:
        if post is not None:
            excerpt = _excerpt(post.body_html)
        elif kind == Kind.PROMPT and prompt is not None:
            excerpt = _excerpt(bilingual.text(prompt, "context_html"))
    if kind == Kind.WARNING:
        excerpt = notification.message  # the moderator's words, even in a titles-only group: they are for the member
    return {
        "kind": kind,
        "summary": _summary(notification, who),
        "who": who,
        "url": url,
        "excerpt": excerpt,
        "at": notification.created_at,
    }


def _excerpt(body_html: str) -> str:
    """Sanitized HTML as plain text on one line, cut short: emails quote posts, the site shows them whole.

    Plain text: the text part shows it as it is, the HTML part escapes it again.
    """
    return excerpts.excerpt(body_html, EXCERPT_CHARS)


def _summary(notification: Notification, who: str | None) -> str:
    kind = notification.kind
    if kind == Kind.REPLY:
        return gettext("%(who)s replied") % {"who": who} if who else gettext("A new reply")
    if kind == Kind.QUOTE:
        return gettext("%(who)s quoted your post") % {"who": who} if who else gettext("Your post was quoted")
    if kind == Kind.MENTION:
        return gettext("%(who)s mentioned you") % {"who": who} if who else gettext("You were mentioned")
    if kind == Kind.PROMPT:
        prompt = notification.prompt
        if prompt is None:
            return gettext("A new prompt was published")
        return gettext("New prompt: %(title)s") % {"title": bilingual.text(prompt, "title")}
    if kind == Kind.NEW_THREAD:
        return gettext("%(who)s started a new thread") % {"who": who} if who else gettext("A new thread was started")
    if kind == Kind.JOIN_APPROVED:
        return gettext("Your request to join %(group)s was approved: welcome!") % {"group": notification.group.name}
    if kind == Kind.WARNING:
        return gettext("A moderator warned you about your post")
    if kind == Kind.REMINDER:
        prompt = notification.prompt
        if prompt is not None and prompt.closes_at is not None:
            closes = clock.local_day_time(prompt.closes_at, clock.reader_zone(notification.user, notification.group))
            return gettext("This prompt closes %(closes)s and you have not answered yet") % {"closes": closes}
        return gettext("This prompt closes soon and you have not answered yet")
    return Kind(kind).label


def _headline(items: list[dict], kinds: list[str], *, title: str, group) -> str:
    """The subject after the group's name: "3 new replies in “Which payment model…”"."""
    count = len(items)
    values = {"count": count, "title": title, "group": group.name}
    if len(kinds) > 1:
        return _notifications_in(values)
    kind, who = kinds[0], items[0]["who"]
    values["who"] = who
    if kind == Kind.REPLY:
        return ngettext("New reply in “%(title)s”", "%(count)s new replies in “%(title)s”", count) % values
    if kind == Kind.QUOTE:
        if count == 1:
            if who:
                return gettext("%(who)s quoted you in “%(title)s”") % values
            return gettext("Your post was quoted in “%(title)s”") % values
        return gettext("Your posts were quoted %(count)s times in “%(title)s”") % values
    if kind == Kind.MENTION:
        if count == 1:
            if who:
                return gettext("%(who)s mentioned you in “%(title)s”") % values
            return gettext("You were mentioned in “%(title)s”") % values
        return gettext("%(count)s mentions of you in “%(title)s”") % values
    if kind == Kind.PROMPT:
        return gettext("New prompt: “%(title)s”") % values
    if kind == Kind.NEW_THREAD:
        return gettext("New thread: “%(title)s”") % values
    if kind == Kind.JOIN_APPROVED:
        return gettext("Welcome to %(group)s: your request to join was approved") % values
    if kind == Kind.REMINDER:
        return gettext("Closing soon: “%(title)s”") % values
    if kind == Kind.WARNING:
        return gettext("A warning from the moderators about your post in “%(title)s”") % values
    return _notifications_in(values)


def _notifications_in(values: dict) -> str:
    return ngettext(
        "%(count)s new notification in “%(title)s”", "%(count)s new notifications in “%(title)s”", values["count"]
    ) % values


def _shorten(text: str, limit: int) -> str:
    """`text` cut to whole words within `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:-–—") + "…"


def _joined(parts: list[str]) -> str:
    return languages.join_words(parts)


@transaction.atomic
def unsubscribe(*, user: User, scope: str) -> bool:
    """Stop what an unsubscribe link names: the digest, or emails about some kinds of notification.

    Returns whether anything changed (a second click changes nothing). Raises ValueError for an unknown scope.
    """
    kinds = scope_kinds(scope)
    user = User.objects.select_for_update().get(pk=user.pk)  # not to lose a preferences save made at the same time
    if scope == DIGEST_SCOPE:
        if user.digest_frequency == DigestFrequency.NEVER:
            return False
        user.digest_frequency = DigestFrequency.NEVER
        user.save(update_fields=["digest_frequency"])
        return True
    if all(user.email_choice(kind) == EmailChoice.NEVER for kind in kinds):
        return False
    user.email_choices = {**user.email_choices, **{kind: EmailChoice.NEVER.value for kind in kinds}}
    user.save(update_fields=["email_choices"])
    return True
