"""The reply box under a thread: its blank editor is the same for every member, so it is rendered once.

A blank reply form's fields (labels, help, the role choices) cost more to render through Django's form templates
than the rest of a member's warm thread page's frame; they depend only on the language and the release (both in
the key: groupsite/freshness.cache_key) and the group's mention address. The one-time submission token and the
CSRF token are the request's own, outside what is kept (discussions/_editor.html).
"""

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation

from groupsite import freshness

FIELDS_TEMPLATE = "discussions/_editor_fields.html"
KEPT_SECONDS = 24 * 60 * 60


def is_blank(form, *, preview_html: str) -> bool:
    """An untouched reply form: not bound, nothing given to start from (a quote, a draft), no preview shown."""
    return not form.is_bound and not form.initial and not preview_html


def blank_editor(form, *, mention_url: str) -> str:
    """The blank form's editor fields, from the cache when they are there (template output: safe)."""
    key = freshness.cache_key("blank-editor", type(form).__name__, translation.get_language(), mention_url)
    html = cache.get(key)
    if html is None:
        html = render_to_string(FIELDS_TEMPLATE, {"form": form, "mention_url": mention_url, "preview_html": ""})
        cache.set(key, html, KEPT_SECONDS)
    return html
