"""Forms for flagging posts and for the moderators' decisions on them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from discussions.models import Flag
from groupsite.text import CleanCharField

REASON_MAX_LENGTH = 500


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong with this post?"), choices=Flag.Reason.choices, widget=forms.RadioSelect)
    text = CleanCharField(
        label=_("Details (required for other)"), required=False, max_length=REASON_MAX_LENGTH, strip=True
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Flag.Reason.OTHER and not cleaned.get("text"):
            self.add_error("text", _("Say what is wrong with the post."))
        return cleaned


class ModeratorReasonForm(forms.Form):
    """An optional reason, kept in the moderation log (and shown on a hidden post)."""

    reason = CleanCharField(label=_("Reason (optional)"), required=False, max_length=REASON_MAX_LENGTH, strip=True)


class WarningForm(forms.Form):
    message = CleanCharField(
        label=_("Message to the author"),
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the warning the author will read.")},
    )
