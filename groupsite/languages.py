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
