"""The reaction picker of a thread page: the four kinds once, in a <template> that reactions.js copies under a post."""

from django import template

from discussions import reactions

register = template.Library()


@register.inclusion_tag("discussions/_reaction_picker.html")
def reaction_picker() -> dict:
    """Every kind, unpressed and uncounted: reactions.js gives the copy its post's address and state (from the post's
    pills) when a member opens it."""
    return {"kinds": reactions.reaction_buttons({})}
