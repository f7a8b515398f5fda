"""Look-alike names: whether a name could pass for that of a group's owner or moderator.

Two names are compared by their keys: the UTS #39 "skeleton" (each character replaced by the prototype
it is confusable with, from Unicode's confusables.txt as shipped by confusable-homoglyphs), case-folded,
without accents, with everything but letters and digits reduced to word breaks. "Dr. Lin Wei" with a
Cyrillic "е", "DR LIN WEI", "Dr Lín Wéi" and "Dr.LinWei" all share the key of "Dr. Lin Wei".
"""

import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# A staff name this short ("Al", "Wei") is refused only when matched whole, not as a word of a longer name.
MIN_LENGTH_TO_MATCH_INSIDE = 4
_SEPARATORS = re.compile(r"[^\w]+|_+")
_MAX_ROUNDS = 4  # skeleton and case folding feed each other ("M" -> "m" -> "rn"); a few rounds settle it


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character and the prototype it maps to.

    confusable-homoglyphs keeps confusables.txt as a symmetric table (each side of every line lists the
    other), so the direction is recovered: a character listed with a longer sequence maps to it, and the
    rest form stars of one prototype and its look-alikes, each star mapped to one member of it. Only
    equality of skeletons matters here, so which member stands for a star makes no difference.
    """
    from confusable_homoglyphs.confusables import confusables_data

    def unmarked(text: str) -> str:  # the data wraps right-to-left characters in LRM marks
        return text.replace("\u200e", "").replace("\u200f", "")

    parent: dict[str, str] = {}

    def find(char: str) -> str:
        while parent.setdefault(char, char) != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    sequences: dict[str, str] = {}
    degree: dict[str, int] = {}
    for key, homoglyphs in confusables_data.items():
        key = unmarked(key)
        if len(key) != 1:
            continue
        for homoglyph in homoglyphs:
            other = unmarked(homoglyph["c"])
            if len(other) > 1:
                sequences.setdefault(key, other)
            elif len(other) == 1:
                degree[key] = degree.get(key, 0) + 1
                root_a, root_b = find(key), find(other)
                if root_a != root_b:
                    parent[root_b] = root_a
    stars: dict[str, list[str]] = {}
    for char in parent:
        if char not in sequences:
            stars.setdefault(find(char), []).append(char)
    mapping = {}
    for members in stars.values():
        # The prototype is the hub with most look-alikes; ASCII, then the lowest code point, breaks ties.
        prototype = max(members, key=lambda char: (degree.get(char, 0), char.isascii(), -ord(char)))
        for char in members:
            if char != prototype:
                mapping[char] = prototype
    for char, sequence in sequences.items():
        mapping[char] = "".join(mapping.get(part, part) for part in sequence)
    return mapping


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, every confusable character replaced by its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(char, char) for char in decomposed))


def _settle(text: str, *, fold_first: bool) -> str:
    for _round in range(_MAX_ROUNDS):
        before = text
        text = skeleton(text.casefold()).casefold() if fold_first else skeleton(text).casefold()
        if text == before:
            break
    return text


def name_keys(name: str) -> set[tuple[str, ...]]:
    """The words of the name as compared: folded, skeletonised and without accents, punctuation or spaces.

    Two keys, because case folding and the skeleton do not commute: "I" folds to "i" but looks like "l".
    """
    compatible = unicodedata.normalize("NFKD", name)  # fullwidth, ligatures and math letters to plain ones
    keys = set()
    for fold_first in (True, False):
        settled = _settle(compatible, fold_first=fold_first)
        unaccented = "".join(char for char in settled if not unicodedata.combining(char))
        words = tuple(word for word in _SEPARATORS.split(unaccented) if word)
        if words:
            keys.add(words)
    return keys


def _contains(words: tuple[str, ...], staff_words: tuple[str, ...]) -> bool:
    """Whether the staff name is the whole name, or runs from a word break to a word break inside it."""
    joined, staff_joined = "".join(words), "".join(staff_words)
    if joined == staff_joined:
        return True
    if len(staff_joined) < MIN_LENGTH_TO_MATCH_INSIDE:
        return False
    breaks, position = {0}, 0
    for word in words:
        position += len(word)
        breaks.add(position)
    start = joined.find(staff_joined)
    while start != -1:
        if start in breaks and start + len(staff_joined) in breaks:
            return True
        start = joined.find(staff_joined, start + 1)
    return False


def looks_like(name: str, other: str) -> bool:
    """Whether `name` could pass for `other`: the same once confusables, case and accents are set aside,
    or `other` (four letters or more) standing as whole words inside it ("Dr. Lin Wei (moderator)")."""
    return any(_contains(words, theirs) for words in name_keys(name) for theirs in name_keys(other))


def staff_for(user):
    """Owners and moderators of the groups the user belongs to, and the site's staff, the user aside."""
    from groupsite.models import User
    from topics.models import Membership

    staff_roles = [Membership.Role.OWNER, Membership.Role.MODERATOR]
    staff = Q(is_staff=True) | Q(is_superuser=True)
    if user.pk is not None:
        groups = Membership.objects.filter(user_id=user.pk).values("group_id")
        staff |= Q(memberships__group_id__in=groups, memberships__role__in=staff_roles)
        return User.objects.filter(staff).exclude(pk=user.pk).distinct()
    return User.objects.filter(staff).distinct()


def staff_of(group):
    """The group's owners and moderators."""
    from groupsite.models import User
    from topics.models import Membership

    staff_roles = [Membership.Role.OWNER, Membership.Role.MODERATOR]
    return User.objects.filter(memberships__group=group, memberships__role__in=staff_roles)


def all_staff():
    """Everyone who owns or moderates a group, and the site's staff."""
    from groupsite.models import User
    from topics.models import Membership

    staff_roles = [Membership.Role.OWNER, Membership.Role.MODERATOR]
    staff = Q(is_staff=True) | Q(is_superuser=True) | Q(memberships__role__in=staff_roles)
    return User.objects.filter(staff).distinct()


def staff_lookalike(name: str, staff) -> str | None:
    """The public name of the first staff member `name` could pass for, or None."""
    for person in staff.only("username", "display_name"):
        if any(looks_like(name, theirs) for theirs in {person.username, person.display_name} if theirs):
            return person.public_name
    return None


def check_not_staff_lookalike(name: str, staff) -> None:
    taken = staff_lookalike(name, staff)
    if taken is not None:
        raise ValidationError(
            _("This name looks too much like that of %(name)s, who runs a group here: choose another."),
            code="staff_lookalike",
            params={"name": taken},
        )


# Usernames are in every profile address (/people/<username>/), so they stay plain: ASCII letters and
# digits with . _ and -, at least one letter or digit, and no dot at either end ("." and ".." are path
# segments a browser resolves before asking, so such a profile could never be reached).
username_validators = [
    RegexValidator(
        r"\A[A-Za-z0-9._-]+\Z",
        _("Use only letters a–z, digits and the characters . _ and - (no spaces or accents)."),
        code="invalid_username",
    ),
    RegexValidator(r"[A-Za-z0-9]", _("A username needs at least one letter or digit."), code="invalid_username"),
    RegexValidator(
        r"\A\.|\.\Z", _("A username cannot start or end with a dot."), code="invalid_username", inverse_match=True
    ),
]
