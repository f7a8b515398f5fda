from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from topics.models import Group, Topic


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(topic__group__in=Group.objects.visible_to(user))

    def by_activity(self):
        """Pinned threads first, then the most recently active (the topic page's order)."""
        return self.order_by("-is_pinned", "-last_activity_at", "-pk")


class Thread(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="threads")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now)
    post_count = models.PositiveIntegerField(default=0, help_text="Posts shown in the thread, the opening post included.")
    view_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False, help_text="A locked thread takes no new replies.")

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
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)


class Post(models.Model):
    class Role(models.TextChoices):
        EVIDENCE = "evidence", "Evidence"
        FOR = "for", "Argument for"
        AGAINST = "against", "Argument against"
        QUESTION = "question", "Question"
        PROPOSAL = "proposal", "Proposal"

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
    source_url = models.URLField(blank=True, max_length=500, help_text="For evidence: where it comes from.")
    evidence_as_of = models.DateField(null=True, blank=True, help_text="For evidence: the date the facts are from.")
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
    def rendered_body(self) -> str:
        return mark_safe(self.body_html)  # sanitized by discussions.markdown.render_markdown when saved

    def can_edit(self, user, membership) -> bool:
        """The author while still a member, or any moderator of the group."""
        if not user.is_authenticated or self.is_deleted or membership is None:
            return False
        return membership.is_moderator or self.author_id == user.pk


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
