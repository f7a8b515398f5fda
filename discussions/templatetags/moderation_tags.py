from django import template

from discussions import flags

register = template.Library()


@register.simple_tag
def review_count(group, membership) -> int:
    """Posts waiting in the group's review queue; counted only for its moderators (the header shows it to them)."""
    if membership is None or not membership.is_moderator:
        return 0
    return flags.open_flag_count(group)
