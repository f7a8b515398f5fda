from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

from groupsite import clock, languages, names
from groupsite.models import EmailChoice, NotificationKind, User
from groupsite.text import CleanCharField, NameField
from groupsite.timezones import TimeZoneSelect, timezone_choices


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "affiliation", "bio", "language"]
        labels = {"display_name": _("Display name"), "affiliation": _("Affiliation"), "bio": _("About you")}
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"display_name": NameField, "affiliation": CleanCharField, "bio": CleanCharField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Languages by their own names (English, 简体中文); blank follows the browser.
        self.fields["language"].choices = [("", _("Not chosen: follow my browser"))] + languages.own_name_choices()
        self.fields["language"].help_text = User._meta.get_field("language").help_text

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"]
        if name:
            # No one may take a name that reads like that of someone who runs one of their groups.
            names.check_not_staff_lookalike(name, names.staff_for(self.instance))
        return name


class EmailPreferencesForm(forms.ModelForm):
    """Email preferences: the member's clock, the digest's frequency and time, and what is emailed at once.

    The answer to a request to join is always emailed when a moderator gives it (topics.services), so it has no choice.
    """

    KINDS = [kind for kind in NotificationKind if kind != NotificationKind.JOIN_APPROVED]

    timezone = forms.ChoiceField(label=_("Your time zone"), required=False, widget=TimeZoneSelect)

    class Meta:
        model = User
        fields = ["timezone", "digest_frequency", "digest_weekday", "digest_time"]
        labels = {
            "digest_frequency": _("How often"),
            "digest_weekday": _("Day (weekly digest)"),
            "digest_time": _("Time"),
        }
        widgets = {
            "digest_frequency": forms.RadioSelect,
            "digest_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices(blank_label=_("Not chosen: each group's own time"))
        self.fields["timezone"].help_text = self.timezone_help()
        self.fields["digest_time"].help_text = _("On your clock; the digest goes out within a few minutes of it.")
        for kind in self.KINDS:
            self.fields[self.kind_field_name(kind)] = forms.ChoiceField(
                label=kind.label,
                choices=EmailChoice.choices,
                widget=forms.RadioSelect,
                initial=self.instance.email_choice(kind),
            )

    def timezone_help(self) -> str:
        """Which clock the member sees now (groupsite.clock's rule), so that the choice has a visible effect."""
        if chosen := clock.chosen_zone(self.instance):
            return _(
                "You see every time on the site and in emails on this clock (%(label)s), and your digest is sent on it."
            ) % {"label": clock.zone_label(chosen)}
        return _(
            "Not chosen yet: a group's pages and emails show its own time, other pages %(site)s, each labelled, "
            "and the digest time below is in %(site)s. Choose a zone to see every time on your own clock."
        ) % {"site": clock.zone_label(clock.site_zone())}

    @staticmethod
    def kind_field_name(kind: str) -> str:
        return f"email_{kind}"

    @property
    def digest_fields(self):
        return [self["digest_frequency"], self["digest_weekday"], self["digest_time"]]

    @property
    def kind_fields(self):
        return [self[self.kind_field_name(kind)] for kind in self.KINDS]

    def save(self, commit=True):
        self.instance.email_choices = {
            **self.instance.email_choices,
            **{kind.value: self.cleaned_data[self.kind_field_name(kind)] for kind in self.KINDS},
        }
        return super().save(commit=commit)


class DeactivateAccountForm(forms.Form):
    """Site staff's reason for ending an account, kept in the moderation log."""

    reason = CleanCharField(
        label=_("Reason (kept in the moderation log)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for deactivating this account.")},
    )


class LoginForm(AllauthLoginForm):
    """allauth's login form in the site's words ("Log in", "Remember me")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""  # the site's labels end without a colon
        self.fields["login"].label = _("Username or email")
        if "remember" in self.fields:
            self.fields["remember"].label = _("Remember me")
