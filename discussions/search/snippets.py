"""Snippets of a hit's text around what was searched for, with the matches marked.

Built here from the stored plain text rather than by ts_headline, for both databases and for Chinese alike: every
piece of the text is escaped by format_html, and the only markup is this module's own <mark>.
"""

import re

from django.utils.html import format_html, format_html_join

from discussions.search.text import CJK, Terms

SNIPPET_CHARS = 240
LEAD_CHARS = 60  # text kept before the first match, so it reads in context


def _pattern(terms: Terms) -> re.Pattern | None:
    """Latin words from a word's start to its end (a stemmed match: "prices" marks "price" and "prices"), CJK
    bigrams and single characters anywhere. Longest first, so overlapping terms mark the longer."""
    needles = {term[:-1] if term.endswith("s") and len(term) > 3 else term for term in terms.latin}
    alternatives = [rf"\b{re.escape(term)}[^\W_{CJK}]*" for term in sorted(needles, key=len, reverse=True)]
    # A Chinese phrase is marked whole where it stands in a row, its bigrams where they stand apart.
    cjk = sorted(set(terms.phrases) | set(terms.cjk), key=len, reverse=True)
    alternatives += [re.escape(term) for term in cjk]
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def highlight(text: str, terms: Terms) -> str:
    """All of `text`, escaped, with the matches in <mark>."""
    pattern = _pattern(terms)
    if pattern is None:
        return format_html("{}", text)
    pieces, position = [], 0
    for match in pattern.finditer(text):
        pieces.append((text[position : match.start()], match.group()))
        position = match.end()
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pieces), text[position:])


def snippet(text: str, terms: Terms, *, limit: int = SNIPPET_CHARS) -> str:
    """About `limit` characters of `text` from just before its first match (or its start), marked up."""
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern is not None else None
    start = max(0, first.start() - LEAD_CHARS) if first else 0
    if start:
        space = text.find(" ", start, start + 20)  # start at a word where there is one nearby (Chinese has none)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + limit)
    piece = highlight(text[start:end], terms)
    return format_html("{}{}{}", "…" if start else "", piece, "…" if end < len(text) else "")


def describe(document, terms: Terms) -> dict:
    """What the results list shows of one hit: where it lives, a link there, its marked title and snippet, and its
    author unless the Chatham House rule keeps them unnamed. `document` has its related rows loaded (query.search)."""
    kind = document.Kind
    thread, post, topic = document.thread, document.post, document.topic
    if document.kind == kind.POST:
        url, heading = post.get_absolute_url(), thread.title
    elif document.kind in (kind.THREAD, kind.PROMPT) or (document.kind == kind.OUTCOME and thread is not None):
        url, heading = thread.get_absolute_url() if thread else topic.get_absolute_url(), document.title
    else:
        url, heading = topic.get_absolute_url(), document.title
    return {
        "document": document,
        "kind": document.get_kind_display(),
        "url": url,
        "title": highlight(heading, terms) if document.kind != kind.POST else heading,
        "snippet": snippet(document.text, terms) if document.text else "",
        "group": document.group,
        "topic": topic,
        "thread": thread if document.kind != kind.THREAD else None,
        "number": post.number if post else None,
        "author": None if document.is_author_hidden else document.author,
        "created_at": document.created_at,
    }
