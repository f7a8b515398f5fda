from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy

from discussions.markdown import validate_renderable
from groupsite.text import CleanCharField, clean_text
from groupsite.timezones import TimeZoneSelect, timezone_choices
from topics import services
from topics.bilingual_forms import TranslationFormMixin
from topics.models import Group, Membership, Milestone, Poll, Prompt, PromptProgramme, Topic


class JoinRequestForm(forms.Form):
    """Asks the group's membership questions, one required field per question."""

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = group.question_list
        for index, question in enumerate(self.questions):
            self.fields[f"answer_{index}"] = CleanCharField(
                label=question,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("Please answer this question.")},
            )

    def answers(self) -> list[tuple[str, str]]:
        return [(question, self.cleaned_data[f"answer_{i}"]) for i, question in enumerate(self.questions)]


class VoteForm(forms.Form):
    """A member's vote as posted: which option (by id) and why. Whether the option belongs to the poll, and
    whether a reason is required, is for polls.cast_vote to say."""

    # ASCII digits only: "²" passes str.isdigit() but int() refuses it, and int() reads "١" (Arabic-Indic) as 1.
    option = forms.RegexField(
        regex=r"\A[1-9][0-9]{0,17}\Z",  # below 2**63: an id PostgreSQL's bigint can hold
        required=False,
        error_messages={"invalid": gettext_lazy("Choose one of the options.")},
    )
    reason = CleanCharField(required=False, widget=forms.Textarea)  # refuses NUL characters, which PostgreSQL cannot store

    def clean_option(self) -> int | None:
        option = self.cleaned_data["option"]
        return int(option) if option else None


class EmailInvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address to invite"))


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# The other language's version is text like the original: cleaned of invisible and control characters the same way.
TRANSLATED_TEXT_CLASSES = {
    "title_translated": CleanCharField,
    "context_translated": CleanCharField,
    "briefing_translated": CleanCharField,
}


class PromptForm(TranslationFormMixin, forms.ModelForm):
    """A prompt, when it goes out, and its optional stance poll. Times are in the group's time zone."""

    class When(models.TextChoices):
        DRAFT = "draft", _("Keep as a draft")
        SCHEDULE = "schedule", _("Schedule it")
        BACKLOG = "backlog", _("Add to the programme backlog")
        NOW = "now", _("Publish now")

    class PollKind(models.TextChoices):
        NONE = "", _("No poll")
        CHOICE = Poll.Kind.CHOICE, _("Single choice")
        SCALE = Poll.Kind.SCALE, _("Agree/disagree scale on a statement")

    when = forms.ChoiceField(choices=When.choices, initial=When.DRAFT, widget=forms.RadioSelect, label=_("When"))
    publish_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label=_("Publish at"))
    closes_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label=_("Close at (optional)"))
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(), required=False, label=_("Or publish relative to a milestone")
    )
    milestone_offset_days = forms.IntegerField(
        required=False, min_value=-365, max_value=365, label=_("Days after the milestone (negative: before)")
    )
    poll_kind = forms.ChoiceField(choices=PollKind.choices, required=False, label=_("Stance poll"))
    poll_statement = CleanCharField(required=False, max_length=300, label=_("Statement (for a scale)"))
    poll_options = CleanCharField(
        required=False,
        max_length=5000,  # about twenty options of up to 200 characters
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Options (one per line, for a single choice)"),
    )
    poll_reason_required = forms.BooleanField(required=False, label=_("Voters must give a reason"))
    poll_results_visibility = forms.ChoiceField(
        choices=Poll.Results.choices, initial=Poll.Results.AFTER_VOTING, label=_("Show results")
    )
    poll_quorum = forms.IntegerField(required=False, min_value=1, label=_("Quorum (voters needed, optional)"))

    class Meta:
        model = Prompt
        fields = ["topic", "title", "context", "chatham_house", "language", "title_translated", "context_translated"]
        widgets = {
            "context": forms.Textarea(attrs={"rows": 6, "data-preview": "true"}),
            "language": forms.RadioSelect,
            "context_translated": forms.Textarea(attrs={"rows": 6}),
        }
        field_classes = {"title": CleanCharField, "context": CleanCharField, **TRANSLATED_TEXT_CLASSES}
        labels = {"title_translated": _("Question"), "context_translated": _("Context")}

    translated_names = ("title", "context")

    def __init__(self, *args, group: Group, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.group, self.now = group, now
        self.fields["topic"].queryset = group.topics.all()
        self.fields["milestone"].queryset = group.milestones.all()
        self.fields["context"].validators.append(validate_renderable)
        self.fields["context_translated"].validators.append(validate_renderable)
        self.fields["closes_at"].help_text = backlog_closing_help(PromptProgramme.objects.filter(group=group).first())
        prompt = self.instance
        if prompt.pk:
            self.fields["when"].initial = {
                Prompt.Status.SCHEDULED: self.When.SCHEDULE,
                Prompt.Status.BACKLOG: self.When.BACKLOG,
            }.get(prompt.status, self.When.DRAFT)
            self.initial.update(
                publish_at=prompt.publish_at,
                closes_at=prompt.closes_at,
                milestone=prompt.milestone,
                milestone_offset_days=prompt.milestone_offset_days,
            )
            poll = getattr(prompt, "poll", None)
            if poll is not None:
                self.initial.update(
                    poll_kind=poll.kind,
                    poll_statement=poll.statement,
                    poll_options="\n".join(option.label for option in poll.options.all())
                    if poll.kind == Poll.Kind.CHOICE
                    else "",
                    poll_reason_required=poll.reason_required,
                    poll_results_visibility=poll.results_visibility,
                    poll_quorum=poll.quorum,
                )

    def clean_poll_options(self) -> list[str]:
        if self.cleaned_data.get("poll_kind") != Poll.Kind.CHOICE:
            return []  # a scale has fixed options, and no poll has none
        lines = self.cleaned_data["poll_options"].strip("\n").splitlines()
        options = [clean_text(line) for line in lines]
        for number, option in enumerate(options, start=1):
            if not option:
                message = gettext("Option %(number)s is empty: write it or remove the blank line.")
                raise ValidationError(message % {"number": number})
            if len(option) > 200:
                raise ValidationError(gettext("Option %(number)s is longer than 200 characters.") % {"number": number})
        if len(set(option.lower() for option in options)) != len(options):
            raise ValidationError(gettext("Two options are the same."))
        return options

    def clean(self):
        data = super().clean()
        when = data.get("when")
        publish_at, closes_at = data.get("publish_at"), data.get("closes_at")
        milestone, offset = data.get("milestone"), data.get("milestone_offset_days")
        if milestone is not None:
            if offset is None:
                self.add_error("milestone_offset_days", gettext("Say how many days after the milestone to publish."))
            else:
                publish_at = data["publish_at"] = milestone.happens_at + timedelta(days=offset)
        if when == self.When.SCHEDULE:
            if publish_at is None:
                self.add_error("publish_at", gettext("Choose when to publish, or a milestone to follow."))
            elif publish_at <= self.now:
                self.add_error("publish_at", gettext("The publishing time is in the past: choose a later one."))
        if closes_at is not None:
            # A draft keeps the publishing time typed in, so the prompt_closes_after_publishing constraint applies to it too.
            opens = publish_at if when in {self.When.SCHEDULE, self.When.DRAFT} and publish_at else self.now
            if closes_at <= self.now:
                self.add_error("closes_at", gettext("The closing time is in the past."))
            elif closes_at <= opens:
                self.add_error("closes_at", gettext("The prompt must close after it is published."))
        kind = data.get("poll_kind")
        if kind == Poll.Kind.CHOICE and "poll_options" in data and len(data["poll_options"]) < 2:
            self.add_error("poll_options", gettext("A single-choice poll needs at least two options, one per line."))
        if kind == Poll.Kind.SCALE and not data.get("poll_statement", "").strip():
            self.add_error("poll_statement", gettext("Write the statement members agree or disagree with."))
        return data

    def poll_settings(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("poll_kind"):
            return None
        return {
            "kind": data["poll_kind"],
            "options": data.get("poll_options") or [],
            "statement": data.get("poll_statement", ""),
            "reason_required": data.get("poll_reason_required", False),
            "results_visibility": data["poll_results_visibility"],
            "quorum": data.get("poll_quorum"),
        }


def backlog_closing_help(programme: PromptProgramme | None) -> str:
    """What the closing time means for a backlog prompt, which opens whenever the programme releases it."""
    days = programme.open_for_days if programme is not None else None
    if days:
        return ngettext(
            "For the programme backlog: a time set here is kept when the programme releases the prompt; left "
            "empty (or passed by then), the programme closes it %(days)s day after its release.",
            "For the programme backlog: a time set here is kept when the programme releases the prompt; left "
            "empty (or passed by then), the programme closes it %(days)s days after its release.",
            days,
        ) % {"days": days}
    return gettext(
        "For the programme backlog: a time set here is kept when the programme releases the prompt; left empty, "
        "the prompt stays open until closed by hand (the programme sets no number of days)."
    )


class ReopenForm(forms.Form):
    closes_at = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), label=_("Close again at (optional)"))


class DuplicatePromptForm(forms.Form):
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), label=_("Copy into"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        moderated = Membership.objects.filter(
            user=user, role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
        ).values("group_id")
        self.fields["topic"].queryset = Topic.objects.filter(group_id__in=moderated).select_related("group")
        self.fields["topic"].label_from_instance = lambda topic: f"{topic.group.name} › {topic.title}"


class ProgrammeForm(forms.ModelForm):
    open_for_days = forms.IntegerField(
        label=_("Open for days"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=gettext_lazy(
            "Close each released prompt after this many days, unless the prompt has a closing time of its own, "
            "which is kept (empty: prompts without one stay open)."
        ),
    )

    class Meta:
        model = PromptProgramme
        fields = ["is_active", "weekday", "time_of_day", "close_previous", "open_for_days"]
        widgets = {"time_of_day": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        labels = {"is_active": _("Release prompts automatically"), "time_of_day": pgettext_lazy("time of day", "Time")}


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "happens_at"]
        widgets = {"happens_at": DateTimeLocalInput()}
        field_classes = {"title": CleanCharField}
        labels = {"happens_at": _("Date and time")}


class GroupSettingsForm(forms.ModelForm):
    """What moderators may change about their group. The slug is not here: links to the group must keep working."""

    MAX_QUESTIONS = 10
    MAX_QUESTION_LENGTH = 300

    evidence_stale_after_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        label=_("Evidence counts as possibly stale after (days)"),
        help_text=_("Evidence whose 'as of' date is older than this is flagged on topic pages."),
    )

    flags_to_hide = forms.IntegerField(
        required=False,  # left out, the group keeps its threshold
        min_value=0,
        max_value=100,
        label=_("Flags that hide a post until reviewed"),
        help_text=_("Flags from this many members hide a post until a moderator reviews it; 0 never hides by flags."),
    )

    class Meta:
        model = Group
        fields = [
            "name",
            "description",
            "visibility",
            "membership_questions",
            "timezone",
            "evidence_stale_after_days",
            "emails_titles_only",
            "new_member_post_limit",
            "new_member_link_limit",
            "flags_to_hide",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
            "membership_questions": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"name": CleanCharField, "description": CleanCharField, "membership_questions": CleanCharField}
        labels = {
            "visibility": _("Who can see the group"),
            "timezone": _("Time zone"),
            "emails_titles_only": _("Emails carry titles and links only, never the text of posts"),
            "new_member_post_limit": _("New members: posts in their first day"),
            "new_member_link_limit": _("New members: links per post in their first day"),
        }
        help_texts = {
            "new_member_post_limit": _(
                "At most this many posts in a member's first day in the group (empty: no limit)."
            ),
            "new_member_link_limit": _(
                "At most this many links in each post during a member's first day (empty: no limit; 0: no links)."
            ),
        }

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        # The model field's validate_timezone refuses a name the select did not offer (a hand-made request).
        self.fields["timezone"].widget = TimeZoneSelect(choices=timezone_choices())
        if membership.role != Membership.Role.OWNER:
            self.fields["visibility"].help_text = gettext("Only an owner can change who can see the group.")

    def clean_membership_questions(self) -> str:
        lines = (clean_text(line) for line in self.cleaned_data["membership_questions"].splitlines())
        questions = [line for line in lines if line]
        if len(questions) > self.MAX_QUESTIONS:
            raise ValidationError(
                gettext("Ask at most %(most)s questions; there are %(count)s.")
                % {"most": self.MAX_QUESTIONS, "count": len(questions)}
            )
        for number, question in enumerate(questions, start=1):
            if len(question) > self.MAX_QUESTION_LENGTH:
                raise ValidationError(
                    gettext("Question %(number)s is longer than %(most)s characters.")
                    % {"number": number, "most": self.MAX_QUESTION_LENGTH}
                )
        return "\n".join(questions)

    def clean(self):
        data = super().clean()
        if "visibility" in data:
            try:  # self.instance still holds the saved values: the form's changes reach it after clean()
                services.check_visibility_change(
                    group=self.instance, changed_by=self.membership, visibility=data["visibility"]
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


class TopicForm(TranslationFormMixin, forms.ModelForm):
    """A topic's title, web address and Markdown briefing; an empty web address is made from the title."""

    class Meta:
        model = Topic
        fields = ["title", "slug", "briefing", "briefing_language", "briefing_translated"]
        widgets = {
            "briefing": forms.Textarea(attrs={"rows": 12, "data-preview": "true"}),
            "briefing_language": forms.RadioSelect,
            "briefing_translated": forms.Textarea(attrs={"rows": 12}),
        }
        labels = {"slug": _("Web address"), "briefing_language": _("Original language"), "briefing_translated": _("Briefing")}
        field_classes = {"title": CleanCharField, "briefing": CleanCharField, **TRANSLATED_TEXT_CLASSES}
        help_texts = {
            "slug": _(
                "Lowercase letters, numbers and hyphens, as in /g/…/topics/cost-and-reimbursement/. "
                "Leave it empty to make one from the title."
            ),
            "briefing": _("Markdown: what the group is trying to find out here."),
        }

    translated_names, language_name = ("briefing",), "briefing_language"

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.fields["slug"].required = False
        self.fields["briefing"].validators.append(validate_renderable)
        self.fields["briefing_translated"].validators.append(validate_renderable)
        if self.instance.pk:
            self.fields["slug"].help_text = gettext(
                "Lowercase letters, numbers and hyphens, as in /g/…/topics/cost-and-reimbursement/. "
                "Leave it empty to make one from the title. Changing it breaks links to the topic that were already "
                "shared."
            )

    def clean(self):
        data = super().clean()
        if not data.get("slug") and data.get("title"):
            slug = slugify(data["title"])[: Topic._meta.get_field("slug").max_length].strip("-")
            if slug:
                data["slug"] = slug
            else:
                self.add_error(
                    "slug", gettext("The title has no letters or numbers to make a web address from: type one.")
                )
        if data.get("slug"):
            try:
                services.check_topic_slug(
                    group=self.group, slug=data["slug"], topic=self.instance if self.instance.pk else None
                )
            except ValidationError as error:
                self.add_error(None, error)
        return data


class SanctionForm(forms.Form):
    """A moderator's suspension (for a period, or until a date) or ban of a member, with the reason they are told."""

    BAN = "ban"
    UNTIL_DATE = "until"
    PERIODS = {"1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7), "30d": timedelta(days=30)}

    duration = forms.ChoiceField(
        label=_("Suspend or ban"),
        choices=[
            ("1d", _("Suspend for 1 day")),
            ("3d", _("Suspend for 3 days")),
            ("7d", _("Suspend for 1 week")),
            ("30d", _("Suspend for 30 days")),
            (UNTIL_DATE, _("Suspend until a date")),
            (BAN, _("Ban (no end; removes them from the group)")),
        ],
        error_messages={"invalid_choice": _("Choose a period, a date or a ban.")},
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a suspension until a date: it ends as that day begins, on the group's clock."),
    )
    reason = CleanCharField(
        label=_("Reason (the member is shown it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason: the member is told why.")},
    )

    def __init__(self, *args, group: Group, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.group, self.now = group, now

    def clean(self):
        cleaned = super().clean()
        duration = cleaned.get("duration")
        if duration == self.UNTIL_DATE:
            until = cleaned.get("until")
            if until is None:
                self.add_error("until", _("Give the date the suspension ends."))
            elif self.ends_at() <= self.now:
                self.add_error("until", _("Give a date in the future."))
        return cleaned

    @property
    def is_ban(self) -> bool:
        return self.cleaned_data["duration"] == self.BAN

    def ends_at(self) -> datetime | None:
        """When the suspension ends; None for a ban."""
        duration = self.cleaned_data["duration"]
        if duration == self.BAN:
            return None
        if duration == self.UNTIL_DATE:
            return datetime.combine(self.cleaned_data["until"], time(0), tzinfo=self.group.tzinfo)
        return self.now + self.PERIODS[duration]
