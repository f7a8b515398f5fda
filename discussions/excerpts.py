"""Posts and outcomes as plain text, for the places that show a few lines of them rather than the whole.

Excerpts start from the stored HTML (sanitized by discussions.markdown.render_markdown), never from the
Markdown, so they read as the page does: no `**`, no `[text](url)`, tables with their cells apart. What they
return is plain text, to be escaped like anything else members typed (templates do that by themselves).
"""

import re
from html.parser import HTMLParser

from django.utils.text import Truncator

# Block elements: each starts and ends a run of words, so "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCKS = frozenset(
    {"p", "br", "hr", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody"}
)
# The line a quote-reply starts with (discussions.services.quote_markdown), rendered.
_QUOTE_ATTRIBUTION = re.compile(r"<p><strong>[^<]*</strong> wrote:</p>\s*(?=<blockquote)")


class _TextCollector(HTMLParser):
    """The words of the HTML, table cells parted by " | " and rows by "; ", quotes left out when asked."""

    def __init__(self, *, leave_out_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.leave_out_quotes = leave_out_quotes
        self.pieces: list[str] = []
        self.quote_depth = 0
        self.row_has_cell = False
        self.table_has_row = False

    def _write(self, text: str) -> None:
        if not (self.leave_out_quotes and self.quote_depth):
            self.pieces.append(text)

    def _separate(self, separator: str) -> None:
        """A separator right after the words before it: the HTML's line breaks between cells don't count."""
        if not (self.leave_out_quotes and self.quote_depth):
            while self.pieces and not self.pieces[-1].strip():
                self.pieces.pop()
            if self.pieces:
                self.pieces[-1] = self.pieces[-1].rstrip()
            self.pieces.append(separator)

    def handle_starttag(self, tag, attrs):
        if tag == "blockquote":
            self._write(" ")
            self.quote_depth += 1
        elif tag == "tr":
            if self.table_has_row:
                self._separate("; ")
            self.table_has_row, self.row_has_cell = True, False
        elif tag in {"td", "th"}:
            if self.row_has_cell:
                self._separate(" | ")
            self.row_has_cell = True
        elif tag in _BLOCKS:
            if tag == "table":
                self.table_has_row = False
            self._write(" ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "blockquote":
            self.quote_depth = max(self.quote_depth - 1, 0)
            self._write(" ")
        elif tag in _BLOCKS:
            self._write(" ")

    def handle_data(self, data):
        self._write(data)

    def text(self) -> str:
        return " ".join("".join(self.pieces).split())


def _collect(html: str, *, leave_out_quotes: bool) -> str:
    collector = _TextCollector(leave_out_quotes=leave_out_quotes)
    collector.feed(html)
    collector.close()
    return collector.text()


def plain_text(html: str) -> str:
    """Sanitized HTML as one line of plain text, without what it quotes from other posts (the reader wants
    the new words); a post that is nothing but a quote keeps it, with its "X wrote:", rather than read empty."""
    own_words = _collect(_QUOTE_ATTRIBUTION.sub("", html), leave_out_quotes=True)
    return own_words or _collect(html, leave_out_quotes=False)


def excerpt(html: str, limit: int) -> str:
    """The start of `plain_text(html)`, cut at `limit` characters with an ellipsis."""
    return Truncator(plain_text(html)).chars(limit)
