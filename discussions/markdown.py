"""Markdown to safe HTML, in one place: the allowlist below is the whole of what posts may contain."""

import re
from functools import partial

import bleach
import markdown as python_markdown
from bleach.linkifier import LinkifyFilter
from django.utils.translation import gettext

from discussions.markdown_bounds import (
    SAFE_URL_RE,
    BoundedMarkdownExtension,
    UnrenderableMarkdown,
    check_nesting,
    shield_markup_characters,
    unshield_markup_characters,
)

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "sup", "sub",
        "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "abbr",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip


def _allow_code_class(tag, name, value):
    # Only fenced code's language: any other class would let a post dress up as the site's own messages and buttons.
    return name == "class" and re.fullmatch(r"language-[\w+#.-]+", value) is not None


ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "abbr": ["title"],
    "th": ["align"],
    "td": ["align"],
    "ol": ["start"],
    "code": _allow_code_class,  # "language-python" from fenced code, for optional highlighting
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def _set_link_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _make_cleaner() -> bleach.Cleaner:
    # Linkify runs inside the cleaner: bare URLs become links, and every link, typed or generated, gets the same rel.
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        filters=[
            partial(
                LinkifyFilter,
                callbacks=[_set_link_rel],
                skip_tags={"pre", "code"},
                parse_email=False,
                url_re=SAFE_URL_RE,
            )
        ],
    )


# Python-Markdown's link pattern is quadratic in "[" (Python-Markdown issue #798: 50,000 take minutes),
# and deeply nested lists or quotes exhaust the recursion limit. Such text is refused, not rendered.
MAX_LINK_BRACKETS = 1000


def render_markdown(text: str) -> str:
    """Render member-written Markdown to HTML that is safe to show as is."""
    if not text.strip():
        return ""
    if text.count("[") > MAX_LINK_BRACKETS:
        message = gettext("Use at most %(count)s square brackets.") % {"count": f"{MAX_LINK_BRACKETS:,}"}
        raise UnrenderableMarkdown(message)
    check_nesting(text)
    try:
        html = python_markdown.markdown(
            shield_markup_characters(text),
            extensions=[*MARKDOWN_EXTENSIONS, BoundedMarkdownExtension()],
            output_format="html",
        )
    except RecursionError:
        raise UnrenderableMarkdown(gettext("The text nests lists or quotes too deeply to show.")) from None
    # A Cleaner is not thread-safe, so each call gets its own (rendering happens once per save).
    return unshield_markup_characters(_make_cleaner().clean(html))


def validate_renderable(text: str) -> None:
    """Form validator: refuse Markdown that cannot be rendered safely, with the reason."""
    from django.core.exceptions import ValidationError

    try:
        render_markdown(text)
    except UnrenderableMarkdown as error:
        raise ValidationError(str(error)) from None
