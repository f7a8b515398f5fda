from datetime import date

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from discussions.markdown import validate_renderable
from discussions.models import Post
from groupsite.text import CleanCharField

BODY_HELP = _("Markdown: **bold**, *italic*, [links](https://example.org), lists, > quotes, ``` code ```, tables.")
ARGUMENT_FIELDS = ("role", "source_url", "evidence_as_of")
WEB_ADDRESS_ERROR = _("Give a web address starting with http:// or https://.")


class WebAddressField(forms.URLField):
    """A link people can follow from the page: http and https only (no ftp:, javascript: or data:)."""

    default_validators = [URLValidator(schemes=["http", "https"], message=WEB_ADDRESS_ERROR)]
    default_error_messages = {"invalid": WEB_ADDRESS_ERROR}


class ArgumentRoleMixin(forms.Form):
    """The part a post plays in the argument; evidence must say where it comes from and how recent it is."""

    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("", "None")] + Post.Role.choices,
        required=False,
        help_text=_("Optional: a small label on your post, and a way for others to filter the thread."),
    )
    source_url = WebAddressField(
        label=_("Source link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("For evidence: where the facts come from."),
    )
    evidence_as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": _("Give the date as YYYY-MM-DD.")},
        help_text=_("For evidence: the date the facts are from."),
    )

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") != Post.Role.EVIDENCE:
            # Only evidence keeps a source (the only_evidence_has_a_source constraint); drop what else was typed.
            cleaned["source_url"], cleaned["evidence_as_of"] = "", None
            return cleaned
        if not cleaned.get("source_url") and "source_url" not in self.errors:
            self.add_error("source_url", _("Evidence needs a link to its source."))
        as_of = cleaned.get("evidence_as_of")
        if as_of is None and "evidence_as_of" not in self.errors:
            self.add_error("evidence_as_of", _("Evidence needs the date its facts are from."))
        elif as_of is not None and as_of > (self.today or timezone.localdate()):
            self.add_error("evidence_as_of", _("The “as of” date cannot be in the future."))
        return cleaned

    @property
    def argument_fields(self):
        return [self[name] for name in ARGUMENT_FIELDS]

    @property
    def writing_fields(self):
        return [field for field in self.visible_fields() if field.name not in ARGUMENT_FIELDS]

    def argument_data(self) -> dict:
        """The cleaned role fields, as keyword arguments for the discussion services."""
        return {name: self.cleaned_data[name] for name in ARGUMENT_FIELDS}


class PostForm(ArgumentRoleMixin):
    body = CleanCharField(
        label=_("Your reply"),
        max_length=settings.POST_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "data-preview": "true"}),
        help_text=BODY_HELP,
        validators=[validate_renderable],
        error_messages={"required": _("Write something before posting.")},
    )

    field_order = ["body", *ARGUMENT_FIELDS]


class ThreadForm(ArgumentRoleMixin):
    title = CleanCharField(
        max_length=200,
        error_messages={"required": _("Give the thread a title.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = CleanCharField(
        label=_("Opening post"),
        max_length=settings.POST_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10, "data-preview": "true"}),
        help_text=BODY_HELP,
        validators=[validate_renderable],
        error_messages={"required": _("Write the opening post.")},
    )

    field_order = ["title", "body", *ARGUMENT_FIELDS]


class RenameThreadForm(forms.Form):
    """A moderator's new title for a thread."""

    title = CleanCharField(
        max_length=200,
        error_messages={
            "required": _("Give the thread a title."),
            "max_length": _("Keep the title to %(limit_value)d characters or fewer (it has %(show_value)d)."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MoveThreadForm(forms.Form):
    """Another topic of the thread's group to move it to; `topics` is empty when the group has no other."""

    topic = forms.TypedChoiceField(
        label=_("Move to topic"),
        coerce=int,
        error_messages={
            "required": _("Choose the topic to move the thread to."),
            "invalid_choice": _("Choose another topic of this group."),
        },
    )

    def __init__(self, *args, thread, **kwargs):
        super().__init__(*args, **kwargs)
        # One query serves both the choices and the view's "is there anywhere to move it?".
        self.topics = {topic.pk: topic for topic in thread.topic.group.topics.exclude(pk=thread.topic_id)}
        self.fields["topic"].choices = [(pk, topic.title) for pk, topic in self.topics.items()]

    def clean_topic(self):
        return self.topics[self.cleaned_data["topic"]]


class SlowModeForm(forms.Form):
    """How often each member may post in a thread; moderators are exempt."""

    CHOICES = [("", _("Off")), *[(minutes, label) for minutes, label in (
        (1, _("1 minute")), (5, _("5 minutes")), (15, _("15 minutes")), (30, _("30 minutes")),
        (60, _("1 hour")), (360, _("6 hours")), (1440, _("1 day")),
    )]]  # fmt: skip

    minutes = forms.TypedChoiceField(
        label=_("Slow mode: one post per member every"),
        choices=CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("Choose one of the offered intervals.")},
    )
