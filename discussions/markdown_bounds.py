"""What keeps rendering in time proportional to the text: Python-Markdown and bleach, each with its slow paths closed.

Used by discussions.markdown.render_markdown:
- shield_markup_characters: a "<", ">" or "&" that cannot start a tag, autolink, comment, entity or quote marker is
  swapped for a private placeholder, so neither Python-Markdown's HTML patterns nor bleach's tokenizer work on it;
  unshield_markup_characters turns the placeholders into "&lt;", "&gt;" and "&amp;" after cleaning, which is what
  the two would have made of them anyway.
- BoundedMarkdownExtension: Python-Markdown's processors whose work grew with the square of the text (table and
  header tests that rescan a block for every line split off it, link scans to the end of the text) with the same
  results, bounded.
- SAFE_URL_RE: bleach's linkify pattern without its backtracking on runs of "(" or of words joined by "-".
- check_nesting and the extension's budgets: what is left (costs per line, tag, mark or element that no
  hand-written post comes near) is counted before the work is done, and refused with the reason.
"""

import re
import xml.etree.ElementTree as etree
from html.entities import html5 as HTML5_ENTITIES

from bleach import html5lib_shim
from bleach.linkifier import TLDS
from django.utils.translation import gettext
from markdown.blockprocessors import HashHeaderProcessor, HRProcessor, SetextHeaderProcessor
from markdown.extensions import Extension
from markdown.extensions.tables import TableProcessor
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    REFERENCE_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor


class UnrenderableMarkdown(ValueError):
    """Text that would take too long or nest too deeply to render."""


# Refusals, for text no one writes by hand: each bounds one cost that grows faster than the text does.
MAX_NESTING = 40  # quote and list markers at the start of one line; Python-Markdown recurses once for each
MAX_HTML_TAGS = 1_000  # html5lib's tree building checks every open tag for each new one
MAX_FORMATTING_MARKS = 5_000  # Python-Markdown copies a paragraph's text for each inline element it finds
MAX_BLOCKS = 5_000  # paragraphs, headings, list items, table rows and cells: bleach's work on each is not small
MAX_LINES = 5_000  # outside fenced code: Python-Markdown tests every block processor again on what follows each line
MAX_SIBLINGS = 2_000  # bleach's tree walker looks a finished element up among all its siblings

_MARKER = re.compile(r">|[*+0-9-]+")
_FORMATTING_MARK = re.compile(r"[*_`\\\[\n<&~]")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
_RULE = re.compile(HRProcessor.RE)


# Unicode's interlinear annotation characters, meant for a program's internal use only: Python-Markdown and bleach
# pass them through untouched (html5lib reports noncharacters as errors, slowly), and typed ones become U+FFFD.
LT, AMP, GT = "\ufff9", "\ufffa", "\ufffb"
_PLACEHOLDERS = re.compile("[\ufff9-\ufffb]")

_MARKUP_CHARACTER = re.compile(r"[<>&]")
# The start of a line up to its text: quote markers (where ">" opens a quote), list markers and indentation.
_LINE_MARKERS = re.compile(r"^(?:[ \t]*(?:>|[*+-](?=[ \t])|[0-9]{1,9}[.)](?=[ \t])))++", re.MULTILINE)
# What Python-Markdown may read as a tag, an autolink or an automatic mail link: none of them holds a "<" or ">".
_TAG = re.compile(r"<[A-Za-z/?!][^<>]*+>|<[^<> !]+@[^@<> ]+>")
_ENTITY = re.compile(r"&(?:#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|([A-Za-z][A-Za-z0-9]{0,31});)")


def check_nesting(text: str) -> None:
    """Refuse, before Python-Markdown recurses into it, a line that opens too many quotes and lists at once."""
    for prefix in _LINE_MARKERS.finditer(text):
        markers = prefix.group()
        if len(markers) <= MAX_NESTING or len(_MARKER.findall(markers)) <= MAX_NESTING:
            continue
        line_end = text.find("\n", prefix.start())
        if not _RULE.match(text, prefix.start(), len(text) if line_end == -1 else line_end):  # "- - - -" is a rule
            raise UnrenderableMarkdown(gettext("The text nests lists or quotes too deeply to show."))


def shield_markup_characters(text: str) -> str:
    """Swap each "<", ">" and "&" that can only ever be shown as itself for a placeholder (one pass)."""
    text = _PLACEHOLDERS.sub("\ufffd", text)
    prefixes = iter(match.span() for match in _LINE_MARKERS.finditer(text))
    prefix_start, prefix_end = next(prefixes, (-1, -1))
    pieces, copied, skip_to, comment_may_close = [], 0, 0, True
    for match in _MARKUP_CHARACTER.finditer(text):
        at = match.start()
        if at < skip_to:
            continue
        char = text[at]
        if char == "<":
            if comment_may_close and text.startswith("<!--", at):
                close = text.find("-->", at + 4)
                if close != -1:
                    skip_to = close + 3
                    continue
                comment_may_close = False  # no later "<!--" can close either: don't search again
            tag = _TAG.match(text, at)
            if tag:
                skip_to = tag.end()
                continue
            placeholder = LT
        elif char == "&":
            entity = _ENTITY.match(text, at)
            if entity and (entity.group(1) is None or f"{entity.group(1)};" in HTML5_ENTITIES):
                continue
            placeholder = AMP
        else:
            while prefix_end < at and prefix_start != -1:
                prefix_start, prefix_end = next(prefixes, (-1, -1))
            if prefix_start <= at < prefix_end:
                continue  # a quote marker
            placeholder = GT
        pieces += [text[copied:at], placeholder]
        copied = at + 1
    pieces.append(text[copied:])
    return "".join(pieces)


_ESCAPES = {LT: "&lt;", GT: "&gt;", AMP: "&amp;"}


def unshield_markup_characters(html: str) -> str:
    """Turn placeholders back into the escaped characters (in text and in quoted attribute values alike)."""
    return _PLACEHOLDERS.sub(lambda match: _ESCAPES[match.group()], html)


# Link text and link targets are read up to this far; a longer "[...]" or "(...)" is shown as typed.
MAX_LINK_PART = 2_000


class _BoundedLinkScan:
    """Python-Markdown reads a link's text and target character by character to the end of the text when a bracket
    or parenthesis is never closed: for each "[" of a thousand, that is the whole post. Read at most MAX_LINK_PART."""

    def getText(self, data, index):  # noqa: N802 (Python-Markdown's name)
        window = data[: index + MAX_LINK_PART]
        if "]" not in window[index:]:
            return "", index, False
        return super().getText(window, index)

    def getLink(self, data, index):  # noqa: N802
        window = data[: index + MAX_LINK_PART]
        if ")" not in window[index:]:
            return "", None, index, False
        return super().getLink(window, index)


class _Link(_BoundedLinkScan, LinkInlineProcessor): ...


class _Image(_BoundedLinkScan, ImageInlineProcessor): ...


class _Reference(_BoundedLinkScan, ReferenceInlineProcessor): ...


class _ImageReference(_BoundedLinkScan, ImageReferenceInlineProcessor): ...


class _ShortReference(_BoundedLinkScan, ShortReferenceInlineProcessor): ...


class _ShortImageReference(_BoundedLinkScan, ShortImageReferenceInlineProcessor): ...


class _TableProcessor(TableProcessor):
    """The table test split and stripped every line of the block, again after each line another processor split
    off (thousands of "=" or "***" lines: seconds). It only needs the first two lines, or all lines for a table of
    one column with borders."""

    def test(self, parent, block):
        first_two = block.split("\n", 2)[:2]
        header = first_two[0].strip(" ")
        one_column_with_border = (
            header.startswith("|") or self.RE_END_BORDER.search(header)
        ) and len(self._split_row(header)) == 1
        return super().test(parent, block if one_column_with_border else "\n".join(first_two))


class _HashHeaderProcessor(HashHeaderProcessor):
    """The header test searched the whole block for a "#" line, again after each line another processor split off.
    A block that is the tail, from a line start, of one known to hold no header holds none either."""

    def __init__(self, parser):
        super().__init__(parser)
        self._without_header = ""

    def test(self, parent, block):
        known = self._without_header
        if block and known.endswith(block) and (len(known) == len(block) or known[-len(block) - 1] == "\n"):
            return False
        found = super().test(parent, block)
        if not found:
            self._without_header = block
        return found


class _LineBudget(Preprocessor):
    """After fenced code is set aside: refuse more lines than the block parser handles quickly."""

    def run(self, lines):
        if sum(1 for line in lines if line.strip()) > MAX_LINES:
            raise UnrenderableMarkdown(
                gettext("Use at most %(count)s lines outside fenced code blocks.") % {"count": f"{MAX_LINES:,}"}
            )
        return lines


def _refuse(message: str, count: int):
    raise UnrenderableMarkdown(message % {"count": f"{count:,}"})


def _is_fenced_code(stashed: str) -> bool:
    return stashed.startswith("<pre><code") and stashed.endswith("</code></pre>")


class _WorkBudget(Treeprocessor):
    """After the blocks are parsed and before inline elements are: count what the rest of the work grows with."""

    def run(self, root):
        stash = self.md.htmlStash.rawHtmlBlocks
        blocks = sum(2 for stashed in stash if _is_fenced_code(stashed))
        marks = 0
        for element in root.iter():
            blocks += 1
            if len(element) > MAX_SIBLINGS and element is not root:
                _refuse(gettext("Use at most %(count)s rows in a table or items in a list."), MAX_SIBLINGS)
            for text in (element.text, element.tail):
                if text:
                    marks += len(_FORMATTING_MARK.findall(text))
        if blocks > MAX_BLOCKS:
            message = gettext("Use at most %(count)s paragraphs, headings, list items, table cells and code blocks.")
            _refuse(message, MAX_BLOCKS)
        if marks > MAX_FORMATTING_MARKS:
            message = gettext(
                "Use at most %(count)s line breaks and formatting marks (*, _, `, [, \\, <, &) outside code blocks."
            )
            _refuse(message, MAX_FORMATTING_MARKS)


class _HtmlBudget(Treeprocessor):
    """After inline elements are found: the HTML typed outside code, which html5lib may have to nest."""

    def run(self, root):
        stash = self.md.htmlStash.rawHtmlBlocks
        if sum(len(_TAG_START.findall(raw)) for raw in stash if not _is_fenced_code(raw)) > MAX_HTML_TAGS:
            _refuse(gettext("Use at most %(count)s HTML tags."), MAX_HTML_TAGS)


class _SetextHeaderProcessor(SetextHeaderProcessor):
    """Split off the heading's two lines without splitting and joining again all the lines after them."""

    def run(self, parent, blocks):
        lines = blocks.pop(0).split("\n", 2)
        heading = etree.SubElement(parent, "h1" if lines[1].startswith("=") else "h2")
        heading.text = lines[0].strip()
        if len(lines) > 2:
            blocks.insert(0, lines[2])


class BoundedMarkdownExtension(Extension):
    """Python-Markdown's own processors, with the work each does bounded; register after "tables"."""

    def extendMarkdown(self, md):  # noqa: N802
        md.parser.blockprocessors.register(_TableProcessor(md.parser, {"use_align_attribute": False}), "table", 75)
        md.parser.blockprocessors.register(_HashHeaderProcessor(md.parser), "hashheader", 70)
        md.parser.blockprocessors.register(_SetextHeaderProcessor(md.parser), "setextheader", 60)
        md.preprocessors.register(_LineBudget(md), "line_budget", 24)  # just after "fenced_code_block"
        md.treeprocessors.register(_WorkBudget(md), "work_budget", 25)  # just before "inline"
        md.treeprocessors.register(_HtmlBudget(md), "html_budget", 19)  # just after it
        patterns = md.inlinePatterns
        patterns.register(_Reference(REFERENCE_RE, md), "reference", 170)
        patterns.register(_Link(LINK_RE, md), "link", 160)
        patterns.register(_Image(IMAGE_LINK_RE, md), "image_link", 150)
        patterns.register(_ImageReference(IMAGE_REFERENCE_RE, md), "image_reference", 140)
        patterns.register(_ShortReference(REFERENCE_RE, md), "short_reference", 130)
        patterns.register(_ShortImageReference(IMAGE_REFERENCE_RE, md), "short_image_ref", 125)


def _build_safe_url_re():
    protocols = "|".join(sorted(html5lib_shim.allowed_protocols))
    tlds = "|".join(sorted(TLDS))
    # bleach.linkifier.build_url_re, with each start tried once: a run of "(" from its first, a word joined by "-"
    # from its first letter (or where a scheme or "www." follows the "-"), and possessive repeats that cannot
    # backtrack (so "example.com.-x", which bleach linked up to ".com", is no longer linked).
    return re.compile(
        rf"""(?:(?<!\()\(++|(?<![(\w-])|(?<=-)(?=(?:{protocols}):|www\.))
        \b(?<![@.])(?:(?:{protocols}):/{{0,3}}(?:(?:\w+:)?\w+@)?)?
        (?:[\w-]++\.)++(?:{tlds})(?::[0-9]+)?(?!\.\w)\b
        (?:[/?][^\s{{}}|\\^`<>"{LT}{GT}]*)?
        """,
        re.IGNORECASE | re.VERBOSE | re.UNICODE,
    )


SAFE_URL_RE = _build_safe_url_re()
