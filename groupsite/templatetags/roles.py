"""The owner / moderator badge shown beside a name wherever it appears in a group's pages."""

from django import template

register = template.Library()


@register.inclusion_tag("_role_badge.html")
def role_badge(group, user_id):
    """The badge of the user's role in the group, if they run it. group.staff_roles is one query per page
    (cached on the group), however many names the page shows."""
    role = group.staff_roles.get(user_id) if group is not None and user_id else None
    return {"role": role}
