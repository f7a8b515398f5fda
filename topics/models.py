import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe


class GroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public groups for everyone; private groups only for their members."""
        if not user.is_authenticated:
            return self.filter(visibility=Group.Visibility.PUBLIC)
        return self.filter(Q(visibility=Group.Visibility.PUBLIC) | Q(memberships__user=user)).distinct()


class Group(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone can read, members post"
        PRIVATE = "private", "Private: only members see anything"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True, help_text="A short plain-text introduction shown on the group page.")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    membership_questions = models.TextField(
        blank=True,
        help_text="Questions for people who ask to join a private group, one per line.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("topics:group", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.membership_questions.splitlines() if line.strip()]


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MODERATOR = "moderator", "Moderator"
        MEMBER = "member", "Member"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group")]
        ordering = ["joined_at"]

    def __str__(self):
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def is_moderator(self) -> bool:
        """Owners moderate too."""
        return self.role in {self.Role.OWNER, self.Role.MODERATOR}


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    answers = models.JSONField(default=list, blank=True, help_text="[question, answer] pairs, as asked.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(status="pending"),
                name="one_pending_join_request",
            )
        ]
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.user} asks to join {self.group} ({self.status})"


def new_invitation_token() -> str:
    return secrets.token_urlsafe(24)


class InvitationQuerySet(models.QuerySet):
    def usable(self, now: datetime):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now).filter(
            Q(email="") | Q(accepted_at__isnull=True)
        )


class Invitation(models.Model):
    """An invitation by email (one person, used once) or a shareable link (anyone with it, until it expires)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True, help_text="Empty for a shareable link.")
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True, help_text="When an email invitation was used.")
    use_count = models.PositiveIntegerField(default=0, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation to {self.group} ({self.email or 'link'})"

    def get_absolute_url(self):
        return reverse("topics:invitation", args=[self.token])

    @property
    def is_link(self) -> bool:
        return not self.email

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None or self.expires_at <= now:
            return False
        return self.is_link or self.accepted_at is None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if not self.is_link and self.accepted_at is not None:
            return "accepted"
        if self.expires_at <= now:
            return "expired"
        return "active"


class Topic(models.Model):
    """A strategic topic of a group: the place its threads (and later its prompts) live."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0, help_text="Topics are listed in this order.")
    briefing = models.TextField(blank=True, help_text="Markdown: what the group is trying to find out here.")
    briefing_html = models.TextField(blank=True, editable=False)
    thread_count = models.PositiveIntegerField(default=0, editable=False)
    post_count = models.PositiveIntegerField(default=0, editable=False)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["group", "position", "title"]
        constraints = [models.UniqueConstraint(fields=["group", "slug"], name="topic_slug_unique_in_group")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from discussions.markdown import render_markdown

        self.briefing_html = render_markdown(self.briefing)
        # update_or_create() and save(update_fields=...) would otherwise store the new briefing with the old HTML.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "briefing" in update_fields:
            kwargs["update_fields"] = {*update_fields, "briefing_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("topics:topic", args=[self.group.slug, self.slug])

    @cached_property
    def rendered_briefing(self) -> str:
        return mark_safe(self.briefing_html)  # sanitized by render_markdown when saved
