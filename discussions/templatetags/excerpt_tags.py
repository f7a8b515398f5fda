from django import template

from discussions import excerpts

register = template.Library()


@register.filter
def excerpt(html: str, limit: int = 240) -> str:
    """`{{ post.body_html|excerpt:240 }}`: the stored HTML as plain text, cut short; escaped like any text."""
    return excerpts.excerpt(html or "", int(limit))
