import secrets
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from groupsite.models import Weekday, validate_timezone  # noqa: F401  (validate_timezone: named by migration 0002)
from topics.bilingual import LANGUAGE_CHOICES, render_translations, site_language


# How long a member counts as new: the group's limits for new members apply this long after joining.
NEW_MEMBER_PERIOD = timedelta(days=1)


class GroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public groups for everyone; private groups only for their members."""
        if not user.is_authenticated:
            return self.filter(visibility=Group.Visibility.PUBLIC)
        return self.filter(Q(visibility=Group.Visibility.PUBLIC) | Q(memberships__user=user)).distinct()


class Group(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: anyone can read, members post")
        PRIVATE = "private", _("Private: only members see anything")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(
        _("description"),
        blank=True, max_length=2000, help_text=_("A short plain-text introduction shown on the group page.")
    )
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    membership_questions = models.TextField(
        _("membership questions"),
        blank=True,
        max_length=4000,  # room for GroupSettingsForm's ten questions of 300 characters
        help_text=_("Questions for people who ask to join a private group, one per line."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text=_("The group's clock: prompt programmes release at local times in this zone (e.g. Asia/Shanghai)."),
    )
    evidence_stale_after_days = models.PositiveSmallIntegerField(
        default=180, help_text=_("Evidence older than this (by its 'as of' date) is flagged as possibly stale.")
    )
    emails_titles_only = models.BooleanField(
        default=False, help_text=_("Emails about this group carry titles and links only, never the text of posts.")
    )
    # Limits for members in their first day in the group (discussions.moderation); empty means no limit.
    new_member_post_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("At most this many posts in a member's first day in the group.")
    )
    new_member_link_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("At most this many links in each post during a member's first day.")
    )
    flags_to_hide = models.PositiveSmallIntegerField(
        default=3,
        help_text=_("Flags from this many members hide a post until a moderator reviews it (0: never hide by flags)."),
    )

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
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.membership_questions.splitlines() if line.strip()]

    @cached_property
    def staff_roles(self) -> dict[int, str]:
        """{user id: role} of the group's owners and moderators, for the role badges beside names."""
        staff = self.memberships.filter(role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR])
        return dict(staff.values_list("user_id", "role"))


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MODERATOR = "moderator", _("Moderator")
        MEMBER = "member", _("Member")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now, editable=False)
    # The suspension last put on this member (topics.sanctions); it ends by itself at its end time.
    suspension = models.ForeignKey(
        "topics.Sanction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_group")]
        ordering = ["joined_at"]

    def __str__(self):
        return f"{self.user} in {self.group} ({self.role})"

    @property
    def is_moderator(self) -> bool:
        """Owners moderate too."""
        return self.role in {self.Role.OWNER, self.Role.MODERATOR}

    def active_suspension(self, now: datetime | None = None):
        """The suspension in force, if any (load memberships with select_related("suspension") to spare a query)."""
        if self.suspension_id is None:
            return None
        suspension = self.suspension
        return suspension if suspension.is_active(now or timezone.now()) else None

    def is_new(self, now: datetime) -> bool:
        """In their first day in the group, when the group's limits for new members apply."""
        return now - self.joined_at < NEW_MEMBER_PERIOD


def staff_role(user_field: str, *, group_id: int) -> models.Subquery:
    """The role of the user in `user_field` if they own or moderate the group, else None: an annotation that
    gives a list its role badges without another query."""
    staff_roles = [Membership.Role.OWNER, Membership.Role.MODERATOR]
    staff = Membership.objects.filter(group_id=group_id, user_id=models.OuterRef(user_field), role__in=staff_roles)
    return models.Subquery(staff.values("role")[:1])


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    answers = models.JSONField(default=list, blank=True, help_text=_("[question, answer] pairs, as asked."))
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
    email = models.EmailField(blank=True, help_text=_("Empty for a shareable link."))
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True, help_text=_("When an email invitation was used."))
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

    BILINGUAL_LANGUAGE_FIELD, BILINGUAL_FIELDS, BILINGUAL_MARKDOWN_FIELDS = "briefing_language", ("briefing",), ("briefing",)

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0, help_text=_("Topics are listed in this order."))
    briefing = models.TextField(
        _("briefing"),
        blank=True, max_length=50_000, help_text=_("Markdown: what the group is trying to find out here.")
    )
    briefing_html = models.TextField(blank=True, editable=False)
    # The briefing's version in the other language, written by a moderator (topics.bilingual).
    briefing_language = models.CharField(
        _("original language"), max_length=8, choices=LANGUAGE_CHOICES, default=site_language
    )
    briefing_translated = models.TextField(blank=True, max_length=50_000)
    briefing_translated_html = models.TextField(blank=True, editable=False)
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
        render_translations(self)
        # update_or_create() and save(update_fields=...) would otherwise store the new briefing with the old HTML.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            rendered = {f"{name}_html" for name in ("briefing", "briefing_translated") if name in update_fields}
            kwargs["update_fields"] = {*update_fields, *rendered}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("topics:topic", args=[self.group.slug, self.slug])

    @cached_property
    def rendered_briefing(self) -> str:
        return mark_safe(self.briefing_html)  # sanitized by render_markdown when saved


class Milestone(models.Model):
    """A dated event the group reacts to (an approval decision, a congress readout); prompts can follow it."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    happens_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["happens_at"]

    def __str__(self):
        return f"{self.title} ({self.happens_at:%Y-%m-%d})"


class PromptQuerySet(models.QuerySet):
    def published(self):
        """What members may see: open and closed prompts."""
        return self.filter(status__in=[Prompt.Status.OPEN, Prompt.Status.CLOSED])

    def due_to_publish(self, now: datetime):
        return self.filter(status=Prompt.Status.SCHEDULED, publish_at__lte=now)

    def due_to_close(self, now: datetime):
        return self.filter(status=Prompt.Status.OPEN, closes_at__lte=now)

    def unanswered_by(self, user):
        """Prompts the user has not answered (neither replied nor voted: topics.answers says what counts)."""
        from topics.answers import answered

        return self.exclude(answered(prompt=models.OuterRef("pk"), thread=models.OuterRef("thread_id"), user=user))


class Prompt(models.Model):
    """A question a moderator puts to the group; publishing it opens its discussion thread."""

    BILINGUAL_LANGUAGE_FIELD, BILINGUAL_FIELDS, BILINGUAL_MARKDOWN_FIELDS = "language", ("title", "context"), ("context",)

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        BACKLOG = "backlog", _("In the programme backlog")
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="prompts", verbose_name=_("topic"))
    title = models.CharField(_("question"), max_length=200)
    context = models.TextField(
        _("context"), blank=True, max_length=20_000, help_text=_("Markdown: background and what to answer.")
    )
    context_html = models.TextField(blank=True, editable=False)
    # The question and context in the other language, written by a moderator (topics.bilingual).
    language = models.CharField(_("original language"), max_length=8, choices=LANGUAGE_CHOICES, default=site_language)
    title_translated = models.CharField(max_length=200, blank=True)
    context_translated = models.TextField(blank=True, max_length=20_000)
    context_translated_html = models.TextField(blank=True, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="prompts")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Scheduling relative to a milestone: publish_at = milestone.happens_at + offset, kept in step by the services.
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="prompts")
    milestone_offset_days = models.SmallIntegerField(null=True, blank=True)
    backlog_position = models.PositiveIntegerField(
        default=0, help_text=_("Order of release within the topic's backlog.")
    )
    chatham_house = models.BooleanField(
        _("Chatham House rule"), default=False, help_text=_("Members see what was said but not who said it.")
    )
    thread = models.OneToOneField(
        "discussions.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="prompt", editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PromptQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        indexes = [
            # The beat task's two questions: which scheduled prompts are due, which open ones must close.
            models.Index(fields=["status", "publish_at"], name="prompt_due_idx"),
            models.Index(fields=["status", "closes_at"], name="prompt_closing_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(publish_at__isnull=True) | Q(closes_at__gt=models.F("publish_at")),
                name="prompt_closes_after_publishing",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(publish_at__isnull=False),
                name="scheduled_prompt_has_publish_time",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from discussions.markdown import render_markdown

        self.context_html = render_markdown(self.context)
        render_translations(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            rendered = {f"{name}_html" for name in ("context", "context_translated") if name in update_fields}
            kwargs["update_fields"] = {*update_fields, *rendered}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        if self.thread_id:
            return reverse("discussions:thread_short", args=[self.thread_id])
        return reverse("topics:prompt_edit", args=[self.topic.group.slug, self.pk])

    @property
    def is_published(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.CLOSED}

    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class PromptAnnouncement(models.Model):
    """Who is to hear about a published prompt; the notification work (issue #5) reads these rows."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="announcements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prompt_announcements")
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prompt", "user"], name="one_announcement_per_member")]

    def __str__(self):
        return f"{self.prompt} for {self.user}"


class PromptProgramme(models.Model):
    """A group's cadence: at each release time the next backlog prompt, rotating through the topics, opens."""

    Weekday = Weekday

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="programme")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.TUESDAY)
    time_of_day = models.TimeField(default="09:00", help_text=_("In the group's time zone."))
    is_active = models.BooleanField(default=True)
    close_previous = models.BooleanField(
        _("close previous"),
        default=True, help_text=_("Close the programme's previous prompt when the next one is released.")
    )
    open_for_days = models.PositiveSmallIntegerField(
        _("open for days"),
        null=True, blank=True, help_text=_("Close each released prompt after this many days (empty: stays open).")
    )
    next_release_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_prompt = models.ForeignKey(Prompt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self):
        return _("Prompt programme of %(group)s") % {"group": self.group}


class Poll(models.Model):
    """A stance poll on a prompt: a single choice, or a five-point agree/disagree scale on a statement."""

    class Kind(models.TextChoices):
        CHOICE = "choice", _("Single choice")
        SCALE = "scale", _("Agree/disagree scale")

    class Results(models.TextChoices):
        ALWAYS = "always", _("Right away")
        AFTER_VOTING = "after_voting", _("After voting")
        AFTER_CLOSING = "after_closing", _("After the prompt closes")

    # Stored in English as the options' labels; PollOption.display_label shows them in the reader's language.
    SCALE_LABELS = (
        gettext_noop("Strongly disagree"),
        gettext_noop("Disagree"),
        gettext_noop("Neither agree nor disagree"),
        gettext_noop("Agree"),
        gettext_noop("Strongly agree"),
    )

    prompt = models.OneToOneField(Prompt, on_delete=models.CASCADE, related_name="poll")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    statement = models.CharField(max_length=300, blank=True, help_text=_("For a scale: the statement to agree with."))
    reason_required = models.BooleanField(default=False, help_text=_("Voters must write a reason."))
    results_visibility = models.CharField(max_length=15, choices=Results.choices, default=Results.AFTER_VOTING)
    quorum = models.PositiveIntegerField(null=True, blank=True, help_text=_("Voters needed for a conclusive result."))

    def __str__(self):
        return f"Poll on {self.prompt}"


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["poll", "position", "pk"]

    def __str__(self):
        return self.label

    @property
    def display_label(self) -> str:
        """The label as the reader sees it: a scale's fixed labels translated, a moderator's own as written."""
        return gettext(self.label) if self.label in Poll.SCALE_LABELS else self.label


class Vote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    reason = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="one_vote_per_member")]

    def __str__(self):
        return f"{self.user} chose {self.option}"


class Outcome(models.Model):
    """What the group concluded: a prompt's outcome, or (with no prompt) the summary of a whole topic."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="outcomes")
    prompt = models.OneToOneField(Prompt, null=True, blank=True, on_delete=models.CASCADE, related_name="outcome")
    takeaways = models.TextField(
        _("key takeaways"), max_length=20_000, help_text=_("Markdown; link the posts each point rests on.")
    )
    open_questions = models.TextField(blank=True, max_length=20_000)
    dissent = models.TextField(blank=True, max_length=20_000)
    takeaways_html = models.TextField(blank=True, editable=False)
    open_questions_html = models.TextField(blank=True, editable=False)
    dissent_html = models.TextField(blank=True, editable=False)
    # The three sections in the other language, written by a moderator (topics.bilingual).
    language = models.CharField(_("original language"), max_length=8, choices=LANGUAGE_CHOICES, default=site_language)
    takeaways_translated = models.TextField(blank=True, max_length=20_000)
    open_questions_translated = models.TextField(blank=True, max_length=20_000)
    dissent_translated = models.TextField(blank=True, max_length=20_000)
    takeaways_translated_html = models.TextField(blank=True, editable=False)
    open_questions_translated_html = models.TextField(blank=True, editable=False)
    dissent_translated_html = models.TextField(blank=True, editable=False)
    review_on = models.DateField(null=True, blank=True, help_text=_("When the group should look at this again."))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic"], condition=Q(prompt__isnull=True), name="one_summary_per_topic"),
        ]

    def __str__(self):
        return f"Outcome of {self.prompt}" if self.prompt_id else f"Summary of {self.topic}"

    MARKDOWN_FIELDS = ("takeaways", "open_questions", "dissent")
    BILINGUAL_LANGUAGE_FIELD, BILINGUAL_FIELDS, BILINGUAL_MARKDOWN_FIELDS = "language", MARKDOWN_FIELDS, MARKDOWN_FIELDS

    def save(self, *args, **kwargs):
        from discussions.markdown import render_markdown

        for name in self.MARKDOWN_FIELDS:
            setattr(self, f"{name}_html", render_markdown(getattr(self, name)))
        render_translations(self)
        kwargs.pop("update_fields", None)  # the HTML fields always follow their Markdown
        super().save(*args, **kwargs)

    @property
    def is_summary(self) -> bool:
        return self.prompt_id is None

    def is_due_for_review(self, today: date) -> bool:
        return self.review_on is not None and self.review_on <= today

    # Sanitized by render_markdown when saved.
    @property
    def rendered_takeaways(self) -> str:
        return mark_safe(self.takeaways_html)

    @property
    def rendered_open_questions(self) -> str:
        return mark_safe(self.open_questions_html)

    @property
    def rendered_dissent(self) -> str:
        return mark_safe(self.dissent_html)


class OutcomeRevision(models.Model):
    """An outcome's text before an edit; the Outcome row holds the current one."""

    BILINGUAL_LANGUAGE_FIELD, BILINGUAL_FIELDS = "language", Outcome.MARKDOWN_FIELDS

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="revisions")
    takeaways = models.TextField()
    open_questions = models.TextField(blank=True)
    dissent = models.TextField(blank=True)
    # Copied from the outcome as it was, so the history page never renders Markdown on a read.
    takeaways_html = models.TextField(blank=True)
    open_questions_html = models.TextField(blank=True)
    dissent_html = models.TextField(blank=True)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default=site_language)
    takeaways_translated = models.TextField(blank=True)
    open_questions_translated = models.TextField(blank=True)
    dissent_translated = models.TextField(blank=True)
    takeaways_translated_html = models.TextField(blank=True)
    open_questions_translated_html = models.TextField(blank=True)
    dissent_translated_html = models.TextField(blank=True)
    review_on = models.DateField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["outcome", "-written_at"]

    def __str__(self):
        return f"Revision of {self.outcome} from {self.written_at:%Y-%m-%d %H:%M}"
from topics.audit import AuditEntry  # noqa: E402,F401  (the moderation log lives in its own module)
from topics.sanctions import Sanction  # noqa: E402,F401  (suspensions and bans live in their own module)
from topics.followup import PromptReminder  # noqa: E402,F401  (moderators' reminders to answer a prompt)
