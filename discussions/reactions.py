"""Reactions and bookmarks: the light signals members leave on posts.

A reaction is one of a fixed few kinds; "insightful" ones feed the digest's best answers and the moderators'
key-insight suggestions. A bookmark is private to the member who made it. Both are set to a state (on or off)
rather than flipped, so a double click or two clicks at once settle on the state the member asked for, and the
unique constraints keep a row from being counted twice.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

SUGGESTED_KEY_INSIGHTS = 5


class Reaction(models.Model):
    class Kind(models.TextChoices):
        AGREE = "agree", _("Agree")
        INSIGHTFUL = "insightful", _("Insightful")
        NEEDS_EVIDENCE = "needs_evidence", _("Needs evidence")
        THANKS = "thanks", _("Thanks")

    post = models.ForeignKey("discussions.Post", on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # Two clicks at once insert one row: the second insert fails and is read as "already there".
            models.UniqueConstraint(fields=["post", "user", "kind"], name="one_reaction_per_member_kind_and_post"),
        ]
        # The unique constraint's index (post first) serves the thread page's counts per post.

    def __str__(self):
        return f"{self.get_kind_display()} from {self.user} on {self.post}"


# Shown on the buttons beside each kind's label; the label is what screen readers and tooltips say.
EMOJI = {
    Reaction.Kind.AGREE: "👍",
    Reaction.Kind.INSIGHTFUL: "💡",
    Reaction.Kind.NEEDS_EVIDENCE: "❓",
    Reaction.Kind.THANKS: "❤️",
}


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey("discussions.Post", on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="one_bookmark_per_member_and_post")]
        # The unique constraint's index (user first) serves the bookmarks page.

    def __str__(self):
        return f"Bookmark of {self.post} by {self.user}"


def check_may_react(*, post, user) -> None:
    """Raise ValidationError for a reaction the post does not take. The caller has checked that the user is a
    member in good standing (topics.access.require_member)."""
    if post.is_deleted or post.is_hidden:
        raise ValidationError(gettext("This post was removed or hidden: it takes no reactions."))
    if post.author_id == user.pk:
        raise ValidationError(gettext("You cannot react to your own post."))


def set_reaction(*, post, user, kind: str, on: bool, now: datetime | None = None) -> bool:
    """Give (on) or take back (off) the user's reaction of `kind`; returns whether anything changed.

    Raises ValidationError for a post that takes no reactions, RateLimited past REACTIONS_PER_HOUR changes.
    """
    if kind not in Reaction.Kind.values:
        raise ValidationError(gettext("There is no such reaction."))
    from discussions.moderation import HOUR, RateLimited, count_in_window  # moderation imports the models

    check_may_react(post=post, user=user)
    now = now or timezone.now()
    if count_in_window(key=f"reactions:{user.pk}", window=HOUR, now=now.timestamp()) > settings.REACTIONS_PER_HOUR:
        raise RateLimited(gettext("You have reacted very often in the last hour: wait a while and try again."))
    from discussions import changes

    if not on:
        deleted, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        if deleted:
            changes.post_changed(post)  # its counts
        return bool(deleted)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a lost race
            Reaction.objects.create(post=post, user=user, kind=kind, created_at=now)
    except IntegrityError:
        return False  # a click at the same moment (or before) already gave it
    changes.post_changed(post)
    return True


def reaction_count(post, kind: str) -> int:
    return Reaction.objects.filter(post=post, kind=kind).count()


def reactions_on(posts, user) -> dict[int, dict[str, tuple[int, bool]]]:
    """{post id: {kind: (count, reacted by this user)}} for a page of posts, in one grouped query."""
    post_ids = [post.pk for post in posts]
    if not post_ids:
        return {}
    mine = Count("pk", filter=Q(user_id=user.pk)) if user.is_authenticated else models.Value(0)
    rows = (
        Reaction.objects.filter(post_id__in=post_ids)
        .order_by()
        .values("post_id", "kind")
        .annotate(count=Count("pk"), mine=mine)
        .values_list("post_id", "kind", "count", "mine")
    )
    summary: dict[int, dict[str, tuple[int, bool]]] = {}
    for post_id, kind, count, own in rows:
        summary.setdefault(post_id, {})[kind] = (count, bool(own))
    return summary


def reaction_buttons(summary: dict[str, tuple[int, bool]]) -> list[dict]:
    """One entry per kind, in the fixed order, for a post's reaction bar."""
    buttons = []
    for kind, label in Reaction.Kind.choices:
        count, pressed = summary.get(kind, (0, False))
        buttons.append({"kind": kind, "label": label, "emoji": EMOJI[kind], "count": count, "pressed": pressed})
    return buttons


def who_reacted(post) -> list[dict]:
    """Each kind with its count and the names of those who gave it, oldest first (the "who reacted" page)."""
    names: dict[str, list[str]] = {kind: [] for kind in Reaction.Kind.values}
    for reaction in post.reactions.select_related("user"):
        names[reaction.kind].append(reaction.user.public_name)
    return [
        {"kind": kind, "label": label, "emoji": EMOJI[kind], "count": len(names[kind]), "names": names[kind]}
        for kind, label in Reaction.Kind.choices
    ]


def insightful_count():
    """An annotation: how many members found the post insightful. A subquery rather than a join, so that it sits
    beside other counts (the digest's quotes) without their rows multiplying each other's."""
    per_post = (
        Reaction.objects.filter(post=OuterRef("pk"), kind=Reaction.Kind.INSIGHTFUL)
        .order_by()
        .values("post")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_post, output_field=models.IntegerField()), 0)


def suggested_key_insights(topic, limit: int = SUGGESTED_KEY_INSIGHTS) -> list:
    """The topic's posts members found most insightful that are not key insights yet: one query, for moderators."""
    from discussions.models import Post

    posts = (
        Post.objects.shown()
        .filter(thread__topic=topic, is_key_insight=False)
        .annotate(insightful=insightful_count())
        .filter(insightful__gt=0)
        .select_related("thread")
        .order_by("-insightful", "-created_at", "-pk")
    )
    return list(posts[:limit])


def set_bookmark(*, post, user, on: bool, now: datetime | None = None) -> bool:
    """Bookmark (on) or forget (off) a post for the user; returns whether anything changed."""
    if not on:
        deleted, _ = Bookmark.objects.filter(post=post, user=user).delete()
        return bool(deleted)
    if post.is_deleted:
        raise ValidationError(gettext("This post was removed: it cannot be bookmarked."))
    try:
        with transaction.atomic():
            Bookmark.objects.create(post=post, user=user, created_at=now or timezone.now())
    except IntegrityError:
        return False
    return True


def is_bookmarked_by(user):
    """An annotation for a page of posts: whether this user bookmarked each one (no query of its own)."""
    if not user.is_authenticated:
        return models.Value(False)
    return Exists(Bookmark.objects.filter(post=OuterRef("pk"), user_id=user.pk))


def bookmarks_of(user):
    """The user's bookmarks of posts they may still read, newest first: posts in public groups or in groups they
    belong to, not removed, and hidden ones only if they wrote them."""
    from topics.models import Group

    readable_post = Q(post__hidden_at__isnull=True) | Q(post__author_id=user.pk)
    return (
        Bookmark.objects.filter(user_id=user.pk, post__deleted_at__isnull=True)
        .filter(readable_post, post__thread__topic__group__in=Group.objects.visible_to(user).order_by().values("pk"))
        .select_related("post__author", "post__thread__topic__group", "post__thread__prompt")
        .order_by("-created_at", "-pk")
    )

