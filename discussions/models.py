import hmac
import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from groupsite.models import NotificationKind
from topics.models import Group, Topic


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(topic__group__in=Group.objects.visible_to(user))

    def by_activity(self):
        """Pinned threads first, then the most recently active (the topic page's order)."""
        return self.order_by("-is_pinned", "-last_activity_at", "-pk")

    def with_read_number(self, user):
        """Threads annotated with `read_number`, how far the member has read (None: never opened), in the same
        query: a list of threads can then link each to its first unread post. Anonymous visitors get no marker."""
        if not user.is_authenticated:
            return self
        markers = ThreadRead.objects.filter(user=user, thread=models.OuterRef("pk")).values("last_read_number")
        return self.annotate(read_number=models.Subquery(markers[:1]))


class Thread(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="threads")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now)
    post_count = models.PositiveIntegerField(
        default=0, help_text=_("Posts shown in the thread, the opening post included.")
    )
    view_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False, help_text=_("A locked thread takes no new replies."))
    slow_mode_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Slow mode: each member posts here at most once per this many minutes.")
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [
            # The topic page lists a topic's threads by pin and last activity.
            models.Index(fields=["topic", "-is_pinned", "-last_activity_at"], name="thread_topic_activity_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("discussions:thread", args=[self.pk, self.slug])

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or "thread"

    @property
    def is_chatham_house(self) -> bool:
        """Whether it answers a prompt run under the Chatham House rule: what was said, not who said it."""
        prompt = getattr(self, "prompt", None)  # a thread without a prompt raises RelatedObjectDoesNotExist
        return prompt is not None and prompt.chatham_house

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    def get_number_url(self, number: int) -> str:
        """The address of post `number`: the thread page holding it, scrolled to it. Posts are numbered one after
        another and removed ones keep their place, so the number alone says which page it is on."""
        page = (number - 1) // settings.POSTS_PER_PAGE + 1
        query = f"?page={page}" if page > 1 else ""
        return f"{self.get_absolute_url()}{query}#n{number}"

    def first_unread_number(self, read_number: int | None, own_last_number: int | None = None) -> int | None:
        """The first post after the member's read marker, or after their own newest post (they replied having read
        that far); None when they have never opened the thread (all of it is new, and it opens at the start) or
        have read it all."""
        if read_number is None:
            return None
        read_number = max(read_number, own_last_number or 0)
        if read_number >= self.post_count:
            return None
        return read_number + 1


class PostQuerySet(models.QuerySet):
    def shown(self):
        """Posts everyone may read: neither removed nor hidden by the moderators (lists, emails, exports)."""
        return self.filter(deleted_at__isnull=True, hidden_at__isnull=True)


class Post(models.Model):
    class Role(models.TextChoices):
        EVIDENCE = "evidence", _("Evidence")
        FOR = "for", _("Argument for")
        AGAINST = "against", _("Argument against")
        QUESTION = "question", _("Question")
        PROPOSAL = "proposal", _("Proposal")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="posts")
    # The post's place in its thread (1 for the opening post): it finds the page a permalink lands on.
    number = models.PositiveIntegerField()
    body = models.TextField(max_length=settings.POST_BODY_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    quoted_post = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quoted_by", editable=False
    )
    # The part the post plays in the argument, as its author labels it.
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    source_url = models.URLField(blank=True, max_length=500, help_text=_("For evidence: where it comes from."))
    evidence_as_of = models.DateField(null=True, blank=True, help_text=_("For evidence: the date the facts are from."))
    is_key_insight = models.BooleanField(default=False)
    key_insight_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Hidden by the moderators (or by enough flags): only its author and the moderators still read it.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "number"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="post_number_unique_in_thread"),
            models.CheckConstraint(
                condition=models.Q(role="evidence") | (models.Q(source_url="") & models.Q(evidence_as_of__isnull=True)),
                name="only_evidence_has_a_source",
            ),
        ]

    def __str__(self):
        return f"Post {self.number} in {self.thread}"

    def get_absolute_url(self):
        return reverse("discussions:post", args=[self.pk])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def rendered_body(self) -> str:
        return mark_safe(self.body_html)  # sanitized by discussions.markdown.render_markdown when saved

    def can_read_hidden(self, user, membership) -> bool:
        """A hidden post stays readable to its author and the group's moderators."""
        if not user.is_authenticated:
            return False
        return self.author_id == user.pk or (membership is not None and membership.is_moderator)

    def can_edit(self, user, membership) -> bool:
        """The author while still a member and not suspended, or any moderator of the group."""
        if not user.is_authenticated or self.is_deleted or membership is None:
            return False
        if membership.active_suspension() is not None:
            return False
        return membership.is_moderator or self.author_id == user.pk


class Flag(models.Model):
    """A member telling the moderators that a post needs their attention; resolved when a moderator acts on it."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        OFF_TOPIC = "off_topic", _("Off-topic")
        HARASSMENT = "harassment", _("Harassment")
        CONFIDENTIAL = "confidential", _("Confidential information")
        OTHER = "other", _("Other")

    class Resolution(models.TextChoices):
        DISMISSED = "dismissed", _("Dismissed")
        HIDDEN = "hidden", _("Post hidden")
        DELETED = "deleted", _("Post removed")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.CharField(max_length=500, blank=True, help_text=_("Required when the reason is other."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One flag per member per post, resolved or not: a dismissed flag is not raised again.
            models.UniqueConstraint(fields=["post", "flagged_by"], name="one_flag_per_member_and_post"),
            models.CheckConstraint(
                condition=~models.Q(reason="other") | ~models.Q(text=""), name="flag_other_reason_has_text"
            ),
        ]
        indexes = [
            # The review queue and its count in the group header read the open flags.
            models.Index(fields=["post"], condition=models.Q(resolved_at__isnull=True), name="flag_open_idx"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} flag on {self.post}"


class PostRevision(models.Model):
    """A body a post had before an edit; the post itself holds the current one."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    body_html = models.TextField()
    # When this text was first published (the post's creation or the previous edit).
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["post", "-written_at"]

    def __str__(self):
        return f"Revision of {self.post} from {self.written_at:%Y-%m-%d %H:%M}"

    @property
    def rendered_body(self) -> str:
        return mark_safe(self.body_html)  # sanitized by render_markdown when the post was saved


class Subscription(models.Model):
    """A member watching or muting one thread, topic or group (exactly one of the three)."""

    class Level(models.TextChoices):
        WATCHING = "watching", _("Watching")
        MUTED = "muted", _("Muted")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WATCHING)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(group__isnull=False, topic__isnull=True, thread__isnull=True)
                    | models.Q(group__isnull=True, topic__isnull=False, thread__isnull=True)
                    | models.Q(group__isnull=True, topic__isnull=True, thread__isnull=False)
                ),
                name="subscription_has_one_target",
            ),
            models.UniqueConstraint(fields=["user", "group"], name="one_subscription_per_group"),
            models.UniqueConstraint(fields=["user", "topic"], name="one_subscription_per_topic"),
            models.UniqueConstraint(fields=["user", "thread"], name="one_subscription_per_thread"),
        ]

    def __str__(self):
        return f"{self.user} {self.level} {self.thread or self.topic or self.group}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        """Neither marked read nor about a post the member has already read on the site.

        Reading a thread marks what it notified the member of as read (notifications.mark_thread_read), but a
        notification made after they read its post (they had the thread open, or the task ran late) has no read_at:
        their read marker in the thread, at or past the post, says they saw it. Emails and the digest leave both out.
        """
        seen = ThreadRead.objects.filter(
            user=models.OuterRef("user_id"),
            thread__posts=models.OuterRef("post_id"),
            last_read_number__gte=models.F("thread__posts__number"),
        )
        return self.filter(read_at__isnull=True).exclude(models.Exists(seen))

    def email_due(self, now):
        """Those waiting to be emailed at once whose own delay has passed by `now`."""
        return self.filter(email_due_at__lte=now, emailed_at__isnull=True)


class Notification(models.Model):
    """Something that happened for one member; shown on the site, and emailed as they chose."""

    Kind = NotificationKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=15, choices=NotificationKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    prompt = models.ForeignKey("topics.Prompt", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # What a moderator wrote to the member (a warning); other kinds say everything by their kind and links.
    message = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the member wants this at once: the email goes out with others of the same thread after a short wait.
    email_due_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One notification per member per post (or per prompt and kind): retries and races add nothing.
            models.UniqueConstraint(
                fields=["user", "post"], condition=models.Q(post__isnull=False), name="one_notification_per_post"
            ),
            models.UniqueConstraint(
                fields=["user", "prompt", "kind"],
                condition=models.Q(post__isnull=True, prompt__isnull=False),
                name="one_notification_per_prompt_and_kind",
            ),
        ]
        indexes = [
            # The header badge counts a member's unread notifications on every page.
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            # The email batcher looks for notifications whose email is due and not yet sent.
            models.Index(fields=["email_due_at"], condition=models.Q(emailed_at__isnull=True), name="notification_email_due_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user}"

    @property
    def kind_label(self) -> str:
        """What the notifications page calls the kind: a short noun, where the kind's own label names an email
        choice ("New prompts in your groups") and read after an "Unread" badge doubled its words."""
        return NOTIFICATION_KIND_LABELS.get(self.kind, self.get_kind_display())

    @property
    def is_chatham_house(self) -> bool:
        if self.prompt is not None and self.prompt.chatham_house:
            return True
        return self.thread is not None and self.thread.is_chatham_house


NOTIFICATION_KIND_LABELS = {
    NotificationKind.REPLY: _("Reply"),
    NotificationKind.QUOTE: _("Quote"),
    NotificationKind.MENTION: _("Mention"),
    NotificationKind.PROMPT: _("Prompt"),
    NotificationKind.NEW_THREAD: _("Thread"),
    NotificationKind.JOIN_APPROVED: _("Join request"),
    NotificationKind.REMINDER: _("Reminder"),
    NotificationKind.WARNING: _("Warning"),
}


class ThreadRead(models.Model):
    """How far a member has read a thread, so the digest leaves out what they have seen."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_reads")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="one_read_marker_per_thread")]
        verbose_name = "read marker"

    def __str__(self):
        return f"{self.user} read {self.thread} to {self.last_read_number}"


class DigestDelivery(models.Model):
    """One member's digest for one period: the row is the claim that makes sending it happen once."""

    class Status(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        EMPTY = "empty", _("Nothing new: not sent")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    # The local date of the send time that the digest belongs to (a daily digest has one per day).
    period = models.DateField()
    frequency = models.CharField(max_length=10)
    covers_from = models.DateTimeField()
    covers_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "period"], name="one_digest_per_member_and_period")]
        indexes = [models.Index(fields=["user", "-covers_until"], name="digest_latest_idx")]
        verbose_name_plural = "digest deliveries"  # Django only adds an "s"

    def __str__(self):
        return f"Digest for {self.user} ({self.period})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits: the address is the only key to a private group's feeds


class FeedToken(models.Model):
    """A member's secret address for a private group's feeds (discussions/feeds/urls.py: `private-feed/<token>/`).

    It hangs on the membership, not on the person: leaving, removal and a ban delete the membership and the token
    with it, and a feed request finds the token only through a membership that still exists. Resetting gives a new
    random value, so the old address answers 404 at once.
    """

    membership = models.OneToOneField("topics.Membership", on_delete=models.CASCADE, related_name="feed_token")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"Feed address of {self.membership}"

    def matches(self, token: str) -> bool:
        """Compared in constant time, as well as found by its unique value (a database may compare loosely)."""
        return hmac.compare_digest(self.token.encode(), token.encode())


class SearchVectorOrText(SearchVectorField):
    """A tsvector on PostgreSQL; on SQLite, which has none, an unused text column (search reads `terms` there)."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


class SearchDocument(models.Model):
    """One searchable thing (a thread's title, a post, a prompt, an outcome, a topic's briefing) as the search page
    finds it: its text made plain, where it lives and who may see it. Written by discussions.search.index from the
    services that change what it copies, never read back into the site's own pages."""

    class Kind(models.TextChoices):
        THREAD = "thread", _("Thread")
        POST = "post", _("Post")
        PROMPT = "prompt", _("Prompt")
        OUTCOME = "outcome", _("Outcome")
        BRIEFING = "briefing", _("Briefing")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.PositiveIntegerField()
    # Where it lives: the group decides who may see it (read when searching, so a group turning private, or a
    # member leaving, takes effect at once without touching the index).
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Chatham House: what was said, not who said it. A hidden author is never shown and never found by the filter.
    is_author_hidden = models.BooleanField(default=False)
    # False for hidden or removed posts and unpublished prompts: search never shows them, not even in counts.
    is_visible = models.BooleanField(default=True)
    role = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField()
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    # SQLite: the title and text as search terms (discussions.search.text.search_terms), space-padded, matched
    # with LIKE. Empty on PostgreSQL, which matches `vector`.
    terms = models.TextField(blank=True)
    # PostgreSQL's index (GIN, added by migration 0010 on PostgreSQL only): title weighted A, text B.
    vector = SearchVectorOrText(null=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="one_search_document_per_object")]
        indexes = [
            # SQLite's search takes the newest matches by walking this index (discussions.search.query).
            models.Index(
                fields=["-created_at", "-id"], condition=models.Q(is_visible=True), name="search_document_newest_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id}"


from discussions.reactions import Bookmark, Reaction  # noqa: E402,F401  (reactions and bookmarks: their own module)
