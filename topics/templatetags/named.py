"""A name with its role badge as one value, so that a whole sentence around it can be translated at once
("Written by {{ who }}, updated …") instead of being cut in two around the badge."""

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def name_with_badge(group, user_id, name):
    """`{% name_with_badge group user_id name as who %}`: the escaped name and the owner / moderator badge."""
    role = group.staff_roles.get(user_id) if group is not None and user_id else None
    return format_html("{}{}", name, render_to_string("_role_badge.html", {"role": role}))
