"""Which language a member reads the site and their emails in.

`User.language` blank means "not chosen": pages follow the browser (LocaleMiddleware), emails the site's default
(settings.LANGUAGE_CODE). Emails are rendered in `speaking(member)`, because a Celery worker has no request whose
language could apply.
"""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext


def is_offered(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def chosen_language(user) -> str:
    """The language the member chose, or "" for a visitor or a member who never chose one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.language if is_offered(user.language) else ""


def email_language(user) -> str:
    return chosen_language(user) or settings.LANGUAGE_CODE


@contextmanager
def speaking(user, fallback: str | None = None):
    """Render emails for `user` in their language; `fallback` (else the site's) when they never chose one."""
    with translation.override(chosen_language(user) or fallback or settings.LANGUAGE_CODE):
        yield


# Each language in its own words, so that a reader who cannot read the current one still finds theirs.
OWN_NAMES = {"en-gb": "English", "zh-hans": "简体中文"}


def own_name_choices() -> list[tuple[str, str]]:
    return [(code, OWN_NAMES.get(code, str(name))) for code, name in settings.LANGUAGES]


def join_words(parts: list[str]) -> str:
    """ "a, b and c" in the active language ("a、b和c" in Chinese)."""
    parts = [str(part) for part in parts]
    if len(parts) <= 1:
        return "".join(parts)
    separator = pgettext("separator between items of a list", ", ")
    return pgettext("the last two items of a list", "%(items)s and %(last)s") % {
        "items": separator.join(parts[:-1]),
        "last": parts[-1],
    }


def drop_empty_fallbacks() -> None:
    """Unlink the catalogs that translate nothing from each offered language's chain of fallbacks.

    Django's British English catalogs each bring their generic English one as a fallback, and these hold only a
    header: every string the site writes in English (all of them, in en-gb) walked six empty catalogs before
    coming back untranslated, which made a digest's 250 or so translations a third of its rendering time.
    Skipping catalogs with no messages changes no translation.
    """
    from django.utils.translation import trans_real

    for code, _ in settings.LANGUAGES:
        catalog = trans_real.translation(code)
        while catalog is not None:
            following = catalog._fallback
            while following is not None and _translates_nothing(following):
                following = following._fallback
            catalog._fallback = following
            catalog = following


def _translates_nothing(catalog) -> bool:
    messages = getattr(catalog, "_catalog", None)
    return isinstance(messages, dict) and all(key == "" for key in messages)
