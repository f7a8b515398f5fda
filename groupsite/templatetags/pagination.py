"""Numbered page links for templates/_pagination.html: the first and last pages and a window around the current one."""

from django import template

register = template.Library()


@register.simple_tag
def page_numbers(page, on_each_side: int = 2, on_ends: int = 1) -> list[tuple[int | None, bool]]:
    """(number, far) for each link: number None where a run of pages is left out (shown as an ellipsis); far for
    the outer pages of the window that a phone leaves out, those next to an ellipsis, so no page goes missing
    without one."""
    paginator, current = page.paginator, page.number
    numbers = [
        None if number == paginator.ELLIPSIS else number
        for number in paginator.get_elided_page_range(current, on_each_side=on_each_side, on_ends=on_ends)
    ]
    links = []
    for i, number in enumerate(numbers):
        outward = i - 1 if number is not None and number < current else i + 1
        far = (
            number is not None
            and abs(number - current) == on_each_side
            and 0 <= outward < len(numbers)
            and numbers[outward] is None
        )
        links.append((number, far))
    return links
