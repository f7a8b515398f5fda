"""The footer's language switcher: each offered language by its own name."""

from django import template

from groupsite import catalog
from groupsite.languages import own_name_choices

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    return own_name_choices()


@register.simple_tag
def catalogue_url() -> str:
    """The address of the scripts' words in the page's language, which browsers may keep until a release changes it."""
    return catalog.catalogue_url()
