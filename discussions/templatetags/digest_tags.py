"""The digest emails' most repeated lines, one filter call each instead of several translation tags, made once per
language and values: a batch repeats them for hundreds of members, and the tags were most of a digest's rendering.

Each line is translated when the template shows it, in the language active then (the member's, in the email).
"""

from functools import lru_cache

from django import template
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()


@register.filter
def prompt_progress(prompt: dict) -> str:
    """ "You answered · you voted · 3 new answers"."""
    return _prompt_progress(
        get_language(), prompt["answered"], prompt["has_poll"], prompt["voted"], prompt["unread_answers"]
    )


@register.filter
def thread_activity(thread: dict) -> str:
    """ "4 participants · 2 new posts for you"."""
    return _thread_activity(get_language(), thread["participants"], thread["unread"])


@lru_cache(maxsize=1024)
def _prompt_progress(language: str, answered: bool, has_poll: bool, voted: bool, unread_answers: int) -> str:
    parts = [gettext("You answered") if answered else gettext("Not answered yet")]
    if has_poll:
        parts.append(gettext("you voted") if voted else gettext("not voted yet"))
    if unread_answers:
        new_answers = ngettext("%(counter)s new answer", "%(counter)s new answers", unread_answers)
        parts.append(new_answers % {"counter": unread_answers})
    return " · ".join(parts)


@lru_cache(maxsize=1024)
def _thread_activity(language: str, participants: int, unread: int) -> str:
    people = ngettext("%(counter)s participant", "%(counter)s participants", participants)
    posts = ngettext("%(counter)s new post for you", "%(counter)s new posts for you", unread)
    return f"{people % {'counter': participants}} · {posts % {'counter': unread}}"
