"""The head of a group, topic or thread page: a canonical address, link previews (Open Graph, Twitter card) and
feed autodiscovery for public groups; for private groups only the canonical address and `noindex`, so nothing
of what members wrote is put where a link preview or a crawler would read it. No query: the page has it all."""

from django import template
from django.conf import settings
from django.utils.translation import gettext

from discussions.excerpts import excerpt
from discussions.models import Thread
from discussions.feeds.access import FeedPlace
from topics.models import Group, Topic

register = template.Library()

DESCRIPTION_LENGTH = 200


def _group_of(subject) -> Group:
    if isinstance(subject, Thread):
        return subject.topic.group
    return subject.group if isinstance(subject, Topic) else subject


def _page_query(context) -> str:
    page = context.get("page")
    number = getattr(page, "number", 1)
    return f"?page={number}" if isinstance(number, int) and number > 1 else ""


def _feeds(subject) -> list[dict]:
    place = FeedPlace(group=_group_of(subject))
    if isinstance(subject, Thread):
        return [{"title": gettext("Latest posts in this thread"), "url": place.url("thread", subject.pk)}]
    if isinstance(subject, Topic):
        return [{"title": gettext("New threads and prompts in this topic"), "url": place.url("topic", subject.slug)}]
    return [
        {"title": gettext("New threads and prompts"), "url": place.url("group")},
        {"title": gettext("Prompts"), "url": place.url("prompts")},
    ]


def _preview(subject) -> dict:
    if isinstance(subject, Thread):
        opening_html = getattr(subject, "opening_html", None) or ""  # discussions.access annotates it
        return {"title": subject.title, "description": excerpt(opening_html, DESCRIPTION_LENGTH), "type": "article"}
    if isinstance(subject, Topic):
        title = f"{subject.title} · {subject.group.name}"
        return {"title": title, "description": excerpt(subject.briefing_html, DESCRIPTION_LENGTH), "type": "website"}
    description = " ".join(subject.description.split())
    return {"title": subject.name, "description": description[:DESCRIPTION_LENGTH], "type": "website"}


@register.inclusion_tag("feeds/_head.html", takes_context=True)
def share_head(context, subject, feeds_only=False):
    """`subject` is the page's group, topic or thread; `feeds_only` for a page that only offers the group's feeds."""
    group = _group_of(subject)
    head = {"is_public": group.is_public, "feeds_only": feeds_only}
    if not feeds_only:
        head["canonical"] = settings.SITE_URL + subject.get_absolute_url() + _page_query(context)
    if group.is_public:
        head["feeds"] = _feeds(subject) if not feeds_only else _feeds(group)[1:]
        if not feeds_only:
            head["preview"] = _preview(subject) | {"site_name": settings.SITE_NAME}
    return head


@register.inclusion_tag("feeds/_feed_link.html")
def feed_link(subject, kind=""):
    """A visible "Feed" link for public groups (`kind` "prompts": the group's prompt list); for a private group's
    members, the page with their secret addresses."""
    group = _group_of(subject)
    if group.is_public:
        return {"feed_url": _feeds(subject)[1 if kind == "prompts" else 0]["url"]}
    return {"group": group, "thread": subject if isinstance(subject, Thread) else None}
