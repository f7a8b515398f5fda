"""The topic page: its briefing and conclusions, its threads and its evidence.

Visitors get the whole page from the shared cache while nothing on it changed (groupsite/page_cache.py); members
get its shared pieces from there (topics/page_parts.py) and their own parts (unread badges, watch buttons,
moderator forms) made for them on each request. The access check runs first on every request either way.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from discussions import reactions
from discussions.models import Thread
from discussions.services import topic_evidence
from groupsite import clock, freshness, page_cache
from topics import page_parts
from topics.access import get_topic_for_user
from topics.models import Topic
from topics.outcomes import group_today, topic_conclusions


def topic_detail(request, group_slug, topic_slug):
    topic, membership = get_topic_for_user(request.user, group_slug, topic_slug)
    # Taken before anything shown is read: what is stored under it is never older than it says.
    stamp = freshness.stamp(page_parts.topic_scopes(topic))
    cached = page_cache.fetch(request, stamp)
    if cached is not None:
        return cached
    if page_cache.is_visitor_request(request):
        topic = _read_again(topic)  # this page will be kept: its topic and group as they are now
    with clock.reading(request.user, topic.group):
        response = render(request, "topics/topic_detail.html", topic_context(request, topic, membership, stamp))
    page_cache.keep(request, stamp, response)
    return response


def _read_again(topic: Topic) -> Topic:
    return Topic.objects.select_related("group").get(pk=topic.pk)


def topic_context(request, topic: Topic, membership, stamp: str) -> dict:
    is_moderator = membership is not None and membership.is_moderator
    threads = Thread.objects.filter(topic=topic).by_activity().with_read_number(request.user)
    fields = ["pk", "title", "post_count"] + (["read_number"] if request.user.is_authenticated else [])
    page = Paginator(threads.values(*fields), settings.THREADS_PER_PAGE).get_page(request.GET.get("page"))
    variant = page_parts.reader_variant(request, is_moderator=is_moderator)
    today = group_today(topic.group)
    fresh = {}  # the topic read again after the stamp, once, only if a piece must be made

    def fresh_topic() -> Topic:
        if "topic" not in fresh:
            fresh["topic"] = _read_again(topic)
        return fresh["topic"]

    def conclusions():
        current = fresh_topic()
        context = {"group": current.group, "topic": current, "membership": membership, "request": request}
        context |= topic_conclusions(current, show_all_authors=is_moderator, today=today)
        return page_parts.render_piece("topics/_topic_conclusions.html", context)

    def evidence():
        current = fresh_topic()
        context = {"group": current.group, "evidence": topic_evidence(topic=current, today=today)}
        return page_parts.render_piece("discussions/_evidence_list.html", context)

    def load_threads(ids):
        return list(Thread.objects.filter(pk__in=ids).select_related("author", "prompt").order_by("pk"))

    pieces = page_parts.fragments(
        {
            "conclusions": ("topic-conclusions", (stamp, today, *variant), conclusions),
            "evidence": ("topic-evidence", (stamp, today, *variant[:3]), evidence),
        }
    )
    context = {
        "group": topic.group,
        "topic": topic,
        "membership": membership,
        "page": page,
        # A suspended member reads the topic but is offered nothing that would only answer 403.
        "can_start_thread": membership is not None and membership.active_suspension() is None,
        "thread_rows": page_parts.thread_rows(
            request, topic=topic, threads=list(page.object_list), is_moderator=is_moderator, load_threads=load_threads
        ),
        "conclusions": pieces["conclusions"],
        "evidence_list": pieces["evidence"],
    }
    if is_moderator:  # what members found insightful, for the moderators to confirm as key insights
        context["suggested_insights"] = reactions.suggested_key_insights(topic)
    return context
