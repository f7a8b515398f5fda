"""What was addressed to each member, for their digest's "For you" lists: replies, quotes and mentions, and the
kinds of notification they send to the digest, unread and not emailed already.
"""

from collections import defaultdict
from datetime import datetime

from django.utils.translation import gettext

from discussions.digest.activity import post_url, thread_url
from discussions.emails import absolute
from discussions.models import Notification
from groupsite.models import EmailChoice, NotificationKind

# Prompts and reminders have their own sections; these kinds are listed under "For you".
ADDRESSED_KINDS = (NotificationKind.REPLY, NotificationKind.QUOTE, NotificationKind.MENTION)
LISTED_KINDS = (*ADDRESSED_KINDS, NotificationKind.NEW_THREAD, NotificationKind.JOIN_APPROVED, NotificationKind.WARNING)


def addressed_item(notice: dict, group, texts) -> dict:
    """A line of the group's "For you" list; `texts` has the batch's post excerpts (content._Texts)."""
    anonymous = notice["chatham_house"] or not notice["actor_name"]
    actor = gettext("Someone") if anonymous else notice["actor_name"]
    kind = notice["kind"]
    # Each text is followed by the thread's title, as a link.
    if kind == NotificationKind.REPLY:
        text = gettext("%(actor)s replied in") % {"actor": actor}
    elif kind == NotificationKind.QUOTE:
        text = gettext("%(actor)s quoted you in") % {"actor": actor}
    elif kind == NotificationKind.MENTION:
        text = gettext("%(actor)s mentioned you in") % {"actor": actor}
    elif kind == NotificationKind.NEW_THREAD:
        text = gettext("%(actor)s started a thread in a topic you watch:") % {"actor": actor}
    elif kind == NotificationKind.WARNING:
        text = gettext("A moderator warned you about your post in")
    else:
        text = gettext("Your request to join %(group)s was approved.") % {"group": group.name}
    if notice["post_id"]:
        url = post_url(notice["post_id"])
    elif notice["thread_id"]:
        url = thread_url(notice["thread_id"], notice["thread_title"])
    else:
        url = absolute(group.get_absolute_url())
    return {
        "kind": kind,
        "text": text,
        "thread": notice["thread_title"] or "",
        "url": url,
        "excerpt": notice["message"] or (texts.excerpt(notice["post_id"], group) if notice["post_id"] else ""),
    }


def unread_notices(users: list, since: datetime, now: datetime, group_ids: dict[int, set]) -> dict[int, list]:
    """Each member's unread notifications worth listing, newest first.

    Replies, quotes and mentions, plus any other kind the member sends to the digest; never what they chose
    never to get by email, what is emailed at once (sent or about to be), or posts that were removed.
    """
    by_user = defaultdict(list)
    rows = (
        Notification.objects.unread()
        .filter(
            user_id__in=[user.pk for user in users],
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
                "created_at": row["created_at"],
                "chatham_house": bool(row["thread__prompt__chatham_house"]),
                "actor_name": row["actor__display_name"] or row["actor__username"],
                "message": row["message"],
            }
        )
    return by_user
