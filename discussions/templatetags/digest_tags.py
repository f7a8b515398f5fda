"""The digest emails' most repeated lines, one filter call each instead of several translation tags, made once per
language and values: a batch repeats them for hundreds of members, and the tags were most of a digest's rendering.

Each line is translated when the template shows it, in the language active then (the member's, in the email).

`{% reuse %}` goes further: a batch's digests show the same best answers, insights, prompts and threads to many
members, so a part of the template rendered once is reused for every member whose part would read the same.
"""

from datetime import date, datetime
from functools import lru_cache

from django import template
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()

# The context variable holding a batch's rendered parts ({key: text}); without it, {% reuse %} just renders.
REUSED = "reused_parts"


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


class ReuseNode(template.Node):
    def __init__(self, nodelist, values):
        self.nodelist = nodelist
        self.values = values
        self.place = object()  # this tag in this template: two tags never share a part, whatever their values

    def render(self, context):
        parts = context.get(REUSED)
        if parts is None:
            return self.nodelist.render(context)
        key = (self.place, context.autoescape, *(frozen(value.resolve(context)) for value in self.values))
        part = parts.get(key)
        if part is None:
            part = parts[key] = self.nodelist.render(context)
        return part


@register.tag
def reuse(parser, token):
    """`{% reuse answer %}…{% endreuse %}`: the same part for everyone with equal values, in a batch.

    The tag names every value its part shows: plain values (text, numbers, times), dicts of them and lists of
    such dicts. The part is rendered once for each distinct set of them and reused. Keyed on values, not on
    members, it cannot show one member's part to another unless it reads the same for both: a part must show
    nothing its tag does not name, and set no variable for the rest of the template. The parts come from the
    context's `reused_parts`, a dict for one language and clock (discussions.digest.build_digest_message keeps
    one for each); without it, the tag just renders.
    """
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endreuse",))
    parser.delete_first_token()
    return ReuseNode(nodelist, values)


def frozen(value):
    """A value as a dict key that tells apart whatever renders differently: 1 from True or "1", a SafeString from a
    str. A time is the same moment in any zone (parts show times on the reader's clock). TypeError for values other
    than plain ones, dicts of them and lists of such dicts."""
    if isinstance(value, dict):
        return _frozen_dict(value)
    if isinstance(value, list):
        return tuple([_frozen_dict(item) if isinstance(item, dict) else _frozen_plain(item) for item in value])
    return _frozen_plain(value)


_PLAIN = (str, int, float, date, type(None))


def _frozen_plain(value):
    if not isinstance(value, _PLAIN):
        raise TypeError(f"{{% reuse %}} keys on plain values, not on {value.__class__.__name__}")
    return value.__class__, value


def _frozen_dict(item: dict):
    values = tuple(item.values())
    kinds = tuple(map(type, values))
    if not _PLAIN_TYPES.issuperset(kinds):
        for value in values:
            _frozen_plain(value)  # a subclass of a plain type passes (SafeString, a model's choices); TypeError
    return tuple(item), values, kinds


_PLAIN_TYPES = frozenset({str, int, float, bool, date, datetime, type(None)})
