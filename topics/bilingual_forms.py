"""The part of the prompt, topic and outcome forms where a moderator picks the original language and may write the
other language's version (topics.bilingual): its own fieldset, labelled with the language it is for."""

from django import forms
from django.utils.translation import gettext_lazy as _

from discussions.markdown import validate_renderable
from groupsite.text import CleanCharField

from topics.bilingual import CHINESE, ENGLISH, LANGUAGE_CHOICES, TRANSLATION_LABELS, language_of, other_language
from topics.bilingual import site_language, translation_errors
from topics.models import Prompt

TRANSLATION_HELP = _(
    "Written by a moderator, never machine-translated. Readers whose language this is see it instead of the "
    "original, with a link to the original. Leave it all empty if there is none."
)


def language_field(label=_("Original language")) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=LANGUAGE_CHOICES, initial=site_language, widget=forms.RadioSelect)


class TranslationFormMixin:
    """For a form with `language` and `<name>_translated` fields: keeps those out of `visible_fields()` (so the
    shared field list leaves them to `topics/_translation_fields.html`) and checks the two versions match."""

    translated_names: tuple[str, ...] = ()
    language_name = "language"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a post (an older form, a script), the original language stays what it was (or the site's).
        self.fields[self.language_name].required = False

    @property
    def translated_field_names(self) -> list[str]:
        return [f"{name}_translated" for name in self.translated_names]

    def visible_fields(self):
        own = {self.language_name, *self.translated_field_names}
        return [field for field in super().visible_fields() if field.name not in own]

    @property
    def language_bound_field(self):
        return self[self.language_name]

    @property
    def translation_fields(self):
        return [self[name] for name in self.translated_field_names]

    @property
    def translation_legend(self) -> str:
        """'Chinese version (optional)' while the original is English, and the other way round."""
        return TRANSLATION_LABELS[other_language(language_of(self.language_bound_field.value()))]

    translation_help = TRANSLATION_HELP
    # The legend for each original language, for translation-legend.js: an English original gets a Chinese version.
    translation_labels = {"original_en": TRANSLATION_LABELS[CHINESE], "original_zh": TRANSLATION_LABELS[ENGLISH]}

    def originals(self, data: dict) -> dict:
        """The original's fields, which decide which parts the other version needs: the form's own by default."""
        return data

    def clean(self):
        data = super().clean()
        for name, error in translation_errors(self.originals(data), self.translated_names).items():
            if name not in self.errors:
                self.add_error(name, error)
        return data


class PromptTranslationForm(TranslationFormMixin, forms.ModelForm):
    """The other language's version of a published prompt, whose question and context no longer change."""

    translated_names = ("title", "context")

    class Meta:
        model = Prompt
        fields = ["language", "title_translated", "context_translated"]
        widgets = {"language": forms.RadioSelect, "context_translated": forms.Textarea(attrs={"rows": 6})}
        field_classes = {"title_translated": CleanCharField, "context_translated": CleanCharField}
        labels = {"language": _("Original language"), "title_translated": _("Question"), "context_translated": _("Context")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["context_translated"].validators.append(validate_renderable)

    def originals(self, data: dict) -> dict:
        return data | {"title": self.instance.title, "context": self.instance.context}

    def save_translation(self):
        """Only these fields: the schedule may be closing the prompt at the same moment."""
        prompt = self.save(commit=False)
        prompt.save(update_fields=[*self.Meta.fields])
        return prompt
