"""Members flag posts for the moderators; moderators review them: dismiss, hide, unhide or warn the author.

Every moderator decision is written to the moderation log (topics.audit) in the transaction that makes it.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from discussions import changes
from discussions.models import Flag, Notification, Post
from discussions.moderation import HOUR, RateLimited, count_in_window
from discussions.search import index as search_index
from groupsite.models import EmailChoice, NotificationKind
from topics import audit
from topics.audit import AuditAction
from topics.models import Group


def _summary(post: Post) -> str:
    return _("Post %(number)s in “%(title)s”") % {"number": post.number, "title": post.thread.title}


def _resolve_open_flags(post: Post, *, moderator, resolution: str, now: datetime) -> int:
    return Flag.objects.filter(post=post, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=moderator, resolution=resolution
    )


@transaction.atomic
def flag_post(*, post: Post, user, reason: str, text: str = "", now: datetime | None = None) -> Flag:
    """Record a member's flag; enough flags from distinct members hide the post until a moderator reviews it.

    The caller has checked that the user is a member in good standing (topics.access.require_member).
    Raises ValidationError for a flag that may not be raised, RateLimited past FLAGS_PER_HOUR.
    """
    now = now or timezone.now()
    # Flags on one post are counted one after another, so two raised at once cannot both miss the threshold.
    Post.objects.select_for_update().filter(pk=post.pk).exists()
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot flag your own post."))
    if post.is_deleted:
        raise ValidationError(_("This post was removed."))
    if reason == Flag.Reason.OTHER and not text.strip():
        raise ValidationError(_("Say what is wrong with the post."))
    if Flag.objects.filter(post=post, flagged_by=user).exists():
        raise ValidationError(_("You have already flagged this post."))
    if count_in_window(key=f"flags:{user.pk}", window=HOUR, now=now.timestamp()) > settings.FLAGS_PER_HOUR:
        raise RateLimited(_("You have flagged many posts in the last hour: wait a while and try again."))
    try:
        with transaction.atomic():  # the unique constraint settles a double click
            flag = Flag.objects.create(post=post, flagged_by=user, reason=reason, text=text.strip(), created_at=now)
    except IntegrityError:
        raise ValidationError(_("You have already flagged this post.")) from None
    _hide_if_flagged_enough(post, now=now)
    return flag



def _log_post_action(post: Post, *, actor, action: str, reason: str = "", now: datetime) -> None:
    """A moderator's action on a post in the moderation log (actor None: the members' flags)."""
    audit.record(
        actor=actor,
        action=action,
        group=post.thread.topic.group,
        target_user=post.author,
        thread=post.thread,
        post=post,
        summary=_summary(post),
        reason=reason,
        now=now,
    )

def _hide_if_flagged_enough(post: Post, *, now: datetime) -> bool:
    threshold = Group.objects.filter(pk=post.thread.topic.group_id).values_list("flags_to_hide", flat=True).first()
    if not threshold:
        return False  # 0: this group never hides a post by flags alone
    flaggers = Flag.objects.filter(post=post, resolved_at__isnull=True).values("flagged_by").distinct().count()
    if flaggers < threshold:
        return False
    reason = _("Flagged by %(count)s members; waiting for a moderator's review.") % {"count": flaggers}
    hidden = Post.objects.filter(pk=post.pk, hidden_at__isnull=True).update(
        hidden_at=now, hidden_by=None, hidden_reason=reason
    )
    if not hidden:
        return False
    post.hidden_at, post.hidden_by, post.hidden_reason = now, None, reason
    changes.post_changed(post)
    search_index.index_post(post)
    # No moderator acted: the log shows "the flags" as the actor.
    _log_post_action(post, actor=None, action=AuditAction.HIDE_POST, reason=reason, now=now)
    return True


@transaction.atomic
def dismiss_flags(*, post: Post, moderator, reason: str = "", now: datetime | None = None) -> int:
    """Resolve the post's open flags and leave it up; a post the flags alone had hidden is shown again."""
    now = now or timezone.now()
    dismissed = _resolve_open_flags(post, moderator=moderator, resolution=Flag.Resolution.DISMISSED, now=now)
    if not dismissed:
        return 0
    # Only what the flags hid comes back: a moderator's own hiding stands until a moderator unhides it.
    if Post.objects.filter(pk=post.pk, hidden_at__isnull=False, hidden_by__isnull=True).update(
        hidden_at=None, hidden_reason=""
    ):
        post.hidden_at, post.hidden_reason = None, ""
        changes.post_changed(post)
        search_index.index_post(post)
    _log_post_action(post, actor=moderator, action=AuditAction.FLAG_DISMISSED, reason=reason, now=now)
    return dismissed


@transaction.atomic
def hide_post(*, post: Post, moderator, reason: str = "", now: datetime | None = None) -> bool:
    """Hide a post from everyone but its author and the moderators; resolves its open flags."""
    now = now or timezone.now()
    changed = Post.objects.filter(pk=post.pk, deleted_at__isnull=True).filter(
        Q(hidden_at__isnull=True) | Q(hidden_by__isnull=True)  # a moderator confirms what the flags hid
    ).update(hidden_at=now, hidden_by=moderator, hidden_reason=reason)
    if not changed:
        return False
    post.hidden_at, post.hidden_by, post.hidden_reason = now, moderator, reason
    changes.post_changed(post)
    search_index.index_post(post)
    _resolve_open_flags(post, moderator=moderator, resolution=Flag.Resolution.HIDDEN, now=now)
    _log_post_action(post, actor=moderator, action=AuditAction.HIDE_POST, reason=reason, now=now)
    return True


@transaction.atomic
def unhide_post(*, post: Post, moderator, reason: str = "", now: datetime | None = None) -> bool:
    """Show a hidden post to everyone again; flags still open are dismissed by this decision."""
    now = now or timezone.now()
    if not Post.objects.filter(pk=post.pk, hidden_at__isnull=False).update(
        hidden_at=None, hidden_by=None, hidden_reason=""
    ):
        return False
    post.hidden_at, post.hidden_by, post.hidden_reason = None, None, ""
    changes.post_changed(post)
    search_index.index_post(post)
    _resolve_open_flags(post, moderator=moderator, resolution=Flag.Resolution.DISMISSED, now=now)
    _log_post_action(post, actor=moderator, action=AuditAction.UNHIDE_POST, reason=reason, now=now)
    return True


@transaction.atomic
def warn_author(*, post: Post, moderator, message: str, now: datetime | None = None) -> Notification | None:
    """Send the post's author a warning notification with the moderator's message; None if the author is gone."""
    now = now or timezone.now()
    author = post.author
    if author is None:
        return None
    group = post.thread.topic.group
    notification = Notification(
        user=author,
        kind=NotificationKind.WARNING,
        actor=moderator,
        group=group,
        thread=post.thread,  # not the post: one notification per member and post is for replies and quotes
        message=message,
        created_at=now,
    )
    if author.email_choice(NotificationKind.WARNING) == EmailChoice.IMMEDIATELY:
        notification.email_due_at = now + timedelta(minutes=settings.NOTIFICATION_EMAIL_DELAY_MINUTES)
    notification.save()
    _log_post_action(post, actor=moderator, action=AuditAction.WARN, reason=message, now=now)
    return notification


# The review queue ------------------------------------------------------------------------------------------------


def _with_open_flags(group: Group):
    # A subquery, not flags__resolved_at__isnull: that outer join would also match posts that were never flagged.
    return Post.objects.filter(
        thread__topic__group=group, pk__in=Flag.objects.filter(resolved_at__isnull=True).values("post_id")
    )


def flagged_posts(group: Group):
    """Posts of the group with open flags, the most flagged first, each with its open flag count."""
    return (
        _with_open_flags(group)
        .annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)), last_flagged=Max("flags__created_at"))
        .select_related("thread", "author", "hidden_by")
        .order_by("-open_flags", "-last_flagged", "-pk")
    )


def open_flag_count(group: Group) -> int:
    """How many posts wait in the group's review queue (shown to moderators in the group header)."""
    return _with_open_flags(group).count()


def flags_for_review(posts: list[Post]) -> list[Post]:
    """Give each post `open_flag_list` (its open flags with who raised them) and `reason_counts`, in one query."""
    by_post: dict[int, list[Flag]] = {post.pk: [] for post in posts}
    flags = Flag.objects.filter(post__in=by_post, resolved_at__isnull=True).select_related("flagged_by")
    for flag in flags:
        by_post[flag.post_id].append(flag)
    for post in posts:
        post.open_flag_list = by_post[post.pk]
        counts: dict[str, int] = {}
        for flag in post.open_flag_list:
            label = str(flag.get_reason_display())
            counts[label] = counts.get(label, 0) + 1
        post.reason_counts = sorted(counts.items(), key=lambda item: -item[1])
    return posts


def flagged_by(user):
    """An annotation for a page of posts: whether this user has flagged each one (no query of its own)."""
    if not user.is_authenticated:
        return models.Value(False)
    return Exists(Flag.objects.filter(post=OuterRef("pk"), flagged_by_id=user.pk))
