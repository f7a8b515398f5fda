"""Prompts, briefings and outcomes in two languages: the original, and the other language's version a moderator wrote.

The second version lives on the same row as the original (`title_translated`, `context_translated` and its HTML…),
so every page that already loads a prompt, topic or outcome has both versions without another query, and the search
index can read them as plain fields. Which language the second version is in follows from the original's: it is
always the other one of English and Simplified Chinese. Nothing here translates: a moderator writes both.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

ENGLISH, CHINESE = "en", "zh-hans"
LANGUAGE_CHOICES = [(ENGLISH, _("English")), (CHINESE, _("Simplified Chinese"))]
HTML_LANG = {ENGLISH: "en", CHINESE: "zh-Hans"}  # BCP 47, for lang="…" (screen readers, CJK fonts)
# ?lang=… on a page shows that language's version of every bilingual text on it: the switch works without JS.
SWITCH_PARAMETER = "lang"
TRANSLATION_LABELS = {ENGLISH: _("English version (optional)"), CHINESE: _("Chinese version (optional)")}


def language_of(code: str | None) -> str:
    """English or Chinese for any language code Django uses ("en-gb", "zh-hans", "zh-hant"…)."""
    return CHINESE if (code or "").lower().startswith("zh") else ENGLISH


def site_language() -> str:
    """The default original language: the site's own."""
    return language_of(settings.LANGUAGE_CODE)


def other_language(language: str) -> str:
    return ENGLISH if language == CHINESE else CHINESE


def reader_language() -> str:
    """The language the page or email is being rendered in (a member's choice, or the browser's)."""
    return language_of(get_language())


def original_language(obj) -> str:
    return getattr(obj, obj.BILINGUAL_LANGUAGE_FIELD)


def has_translation(obj) -> bool:
    """A version in the other language exists when its first field (the title, the briefing, the takeaways) does."""
    return bool(getattr(obj, f"{obj.BILINGUAL_FIELDS[0]}_translated", "").strip())


def render_translations(obj) -> None:
    """Render the translated Markdown through the same function, and so the same sanitizer, as the original."""
    from discussions.markdown import render_markdown

    for name in obj.BILINGUAL_MARKDOWN_FIELDS:
        setattr(obj, f"{name}_translated_html", render_markdown(getattr(obj, f"{name}_translated")))


def translation_errors(data: dict, fields, *, translated: str = "{}_translated") -> dict[str, str]:
    """{translated field: error} for a second version that does not match the original field by field.

    Either the other language's version is empty, or each field is filled exactly where the original's is: a
    translated context without its question (or a question without the context) would show readers half a text.
    """
    pairs = [(name, translated.format(name)) for name in fields]
    if not any((data.get(other) or "").strip() for _, other in pairs):
        return {}
    errors = {}
    for name, other in pairs:
        has_original, has_other = bool((data.get(name) or "").strip()), bool((data.get(other) or "").strip())
        if has_original and not has_other:
            errors[other] = _("Translate this too, or leave the whole other-language version empty.")
        elif has_other and not has_original:
            errors[other] = _("The original has no text here: leave this empty.")
    return errors


def translated_headings(sections) -> tuple:
    """(field, heading) of the other language's sections, from the original's (field, heading) pairs."""
    return tuple((f"{name}_translated", gettext("%s (other language)") % heading) for name, heading in sections)


def text(obj, name: str, language: str | None = None) -> str:
    """Field `name` ("title", "context_html"…) in `language` (the reader's by default) if a version in it exists,
    else in the original. For emails and digests, built under the member's language."""
    return version(obj, language or reader_language())[name]


@dataclass
class Version:
    """One language's version of a bilingual text, as a page shows it: `text.title`, `text.context_html`."""

    obj: object
    language: str
    is_translation: bool
    switch_url: str = ""  # a link to the other version on the same page; empty when there is no other version

    @property
    def lang(self) -> str:
        return HTML_LANG[self.language]

    @property
    def switch_language(self) -> str:
        return other_language(self.language)

    @property
    def switch_lang(self) -> str:
        return HTML_LANG[self.switch_language]

    @property
    def switch_to_original(self) -> bool:
        return self.is_translation

    def __getitem__(self, name: str):
        base = name.removesuffix("_html")
        if base not in self.obj.BILINGUAL_FIELDS:
            raise KeyError(name)
        field = f"{base}_translated{name[len(base):]}" if self.is_translation else name
        value = getattr(self.obj, field)
        # The *_html fields were sanitized by render_markdown when saved.
        return mark_safe(value) if name.endswith("_html") else value


def version(obj, wanted: str, *, query=None) -> Version:
    """The version of `obj` in language `wanted` if there is one, else the original. With `query` (the page's GET
    parameters) the version carries a link to the other one, when both exist."""
    original = original_language(obj)
    translated = has_translation(obj) and wanted != original
    shown = other_language(original) if translated else original
    switch_url = ""
    if query is not None and has_translation(obj):
        params = {**query.dict(), SWITCH_PARAMETER: other_language(shown)}  # the page's other parameters stay
        switch_url = "?" + urlencode(sorted(params.items()))
    return Version(obj=obj, language=shown, is_translation=translated, switch_url=switch_url)


def wanted_language(request) -> str:
    """The page's ?lang= if it names one of the two languages, else the reader's."""
    asked = request.GET.get(SWITCH_PARAMETER, "") if request is not None else ""
    return asked if asked in HTML_LANG else reader_language()


EXPORT_NAMES = {ENGLISH: "English", CHINESE: "Chinese"}  # the Markdown export is written in English throughout


def translation_markdown(obj, *, level: int, headings: dict | None = None) -> list[str]:
    """The other language's version for the Markdown export, under its own labelled heading; [] if there is none.
    `headings` titles each field's text one level down (a field not named there comes as a plain paragraph)."""
    if not has_translation(obj):
        return []
    language = EXPORT_NAMES[other_language(original_language(obj))]
    lines = [f"{'#' * level} {language} version (translated by the moderators)", ""]
    for name in obj.BILINGUAL_FIELDS:
        value = getattr(obj, f"{name}_translated").strip()
        if value and headings and name in headings:
            lines += [f"{'#' * min(level + 1, 6)} {headings[name]}", ""]
        if value:
            lines += [value, ""]
    return lines
