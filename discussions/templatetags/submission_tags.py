from django import template

from discussions import submissions

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """A fresh one-time token for a form that must store once (discussions/submissions.py)."""
    return submissions.new_token()
