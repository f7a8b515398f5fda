"""Text people type, cleaned before any form sees it: what is stored is what the page shows.

Invisible characters let one string pass for another ("Ad\\u202emin" shows as "Adnim"), make an author's
name empty on the page, or fill a required title with nothing. `clean_text` removes them, and
`CleanCharField` applies it to every text field of the site's forms, so a text that is empty once cleaned
gets the field's usual "required" error.
"""

import re
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

# Format characters (Unicode category Cf) are all invisible: zero-width space, joiners, word joiner,
# BOM, soft hyphen, Mongolian vowel separator, bidirectional marks, embeddings, overrides and
# isolates, Arabic letter mark, tag characters. These default-ignorable code points are invisible too
# without being Cf: the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian
# variation selectors and the unassigned ones (DerivedCoreProperties.txt, Default_Ignorable_Code_Point).
_IGNORABLE_NOT_FORMAT = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u3164\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff]"
)
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: Persian and Indic spelling, emoji sequences
_VARIATION_SELECTOR = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def _is_removed(char: str, *, multiline: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        # NUL stays, for the form field's ProhibitNullCharactersValidator to refuse: nobody types one, and
        # PostgreSQL cannot store it, so a request carrying it gets a form error rather than a quiet repair.
        return not (char == "\x00" or (multiline and char in "\n\t"))
    if category == "Cs":  # a lone surrogate cannot even be stored as UTF-8
        return True
    if category == "Cf":
        return char not in _JOINERS  # joiners are judged by their neighbours below
    return bool(_IGNORABLE_NOT_FORMAT.match(char))


def _is_visible(char: str) -> bool:
    return not char.isspace() and char not in _JOINERS and not _VARIATION_SELECTOR.match(char)


def _keep_joiners_inside_words(text: str) -> str:
    """A joiner or variation selector stays only where it does its job: after a visible character
    (and, for a joiner, before one); anywhere else it is an invisible character and nothing more."""
    kept = []
    for index, char in enumerate(text):
        if char in _JOINERS:
            before = kept[-1] if kept else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if before and after and (_is_visible(before) or _VARIATION_SELECTOR.match(before)) and _is_visible(after):
                kept.append(char)
        elif _VARIATION_SELECTOR.match(char):
            if kept and _is_visible(kept[-1]):
                kept.append(char)
        else:
            kept.append(char)
    return "".join(kept)


def clean_text(text: str, *, multiline: bool = False, keep_joiners: bool = True) -> str:
    """The text NFC-normalised, without control (but NUL), invisible or bidirectional-control characters, stripped.

    A single-line text (a name, a title) also has every run of white space made one space. A multi-line
    text keeps its line breaks (as \\n) and tabs. With keep_joiners=False (names people are known by)
    the zero-width joiner and non-joiner go too, wherever they are.
    """
    if multiline:
        text = _NEWLINES.sub("\n", text)
    else:
        text = _SPACES.sub(" ", text)
    text = "".join(char for char in text if not _is_removed(char, multiline=multiline))
    if keep_joiners:
        text = _keep_joiners_inside_words(text)
    else:
        text = _keep_joiners_inside_words(text.replace(_JOINERS[0], "").replace(_JOINERS[1], ""))
    return unicodedata.normalize("NFC", text).strip()


class CleanCharField(forms.CharField):
    """A CharField whose value is `clean_text`-ed before validation: a text made only of invisible
    characters is empty, so a required field says it is required and the length limit counts what shows.

    Multi-line when its widget is a Textarea, unless `multiline` says otherwise.
    """

    def __init__(self, *, multiline: bool | None = None, keep_joiners: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.multiline = isinstance(self.widget, forms.Textarea) if multiline is None else multiline
        self.keep_joiners = keep_joiners

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        value = clean_text(value, multiline=self.multiline, keep_joiners=self.keep_joiners)
        return value if value else self.empty_value


class NameField(CleanCharField):
    """A name people are known by: single-line, without any joiner, and with at least one letter or digit
    (a name of dots or of blank Braille cells is as invisible as an empty one)."""

    default_error_messages = {
        "no_letters": _("A name needs at least one letter or digit."),
        "invisible": _("This name is made only of invisible characters: type one that shows, or leave it empty."),
    }

    def __init__(self, **kwargs):
        super().__init__(multiline=False, keep_joiners=False, **kwargs)

    def to_python(self, value):
        cleaned = super().to_python(value)
        # Optional names too: what was typed but does not show is refused, not quietly dropped.
        if cleaned in self.empty_values and value not in self.empty_values and str(value).strip() and not self.required:
            raise forms.ValidationError(self.error_messages["invisible"], code="invisible")
        return cleaned

    def validate(self, value):
        super().validate(value)
        if value and not any(char.isalnum() for char in value):
            raise forms.ValidationError(self.error_messages["no_letters"], code="no_letters")
