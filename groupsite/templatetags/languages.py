"""The footer's language switcher: each offered language by its own name."""

from django import template

from groupsite.languages import own_name_choices

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    return own_name_choices()
