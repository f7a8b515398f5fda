"""Numbered page links for templates/_pagination.html: the first and last pages and a window around the current one."""

from django import template

register = template.Library()


@register.simple_tag
def page_numbers(page, on_each_side: int = 2, on_ends: int = 1) -> list[int | None]:
    """The page numbers to link to, None where a run of pages is left out (shown as an ellipsis)."""
    paginator = page.paginator
    return [
        None if number == paginator.ELLIPSIS else number
        for number in paginator.get_elided_page_range(page.number, on_each_side=on_each_side, on_ends=on_ends)
    ]
