from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from discussions.models import Thread
from discussions.feeds.access import FeedPlace
from discussions.feeds.access import reset_feed_token
from discussions.models import FeedToken
from topics.access import get_group_for_user, require_reader_membership


def _addresses(place: FeedPlace, group, thread) -> list[tuple[str, str]]:
    """(what, absolute feed address) for the group, its prompts, each topic and, when asked for, one thread."""
    addresses = []
    if thread is not None:
        addresses.append((thread.title, place.url("thread", thread.pk)))
    addresses += [
        (gettext("New threads and prompts in the whole group"), place.url("group")),
        (gettext("Prompts"), place.url("prompts")),
    ]
    addresses += [(topic.title, place.url("topic", topic.slug)) for topic in group.topics.all()]
    return addresses


def follow(request, slug):
    """How to follow the group in a feed reader: its public feeds, or for a private group the member's secret ones."""
    group, membership = get_group_for_user(request.user, slug)
    thread_id = request.GET.get("thread", "")
    thread = None
    if thread_id.isascii() and thread_id.isdigit() and len(thread_id) < 12:
        thread = Thread.objects.filter(pk=thread_id, topic__group=group).first()
    feed_token = None
    if not group.is_public:
        feed_token = FeedToken.objects.filter(membership=membership).first()
    place = FeedPlace(group=group, token=feed_token.token) if feed_token else FeedPlace(group=group)
    context = {
        "group": group,
        "membership": membership,
        "feed_token": feed_token,
        "addresses": _addresses(place, group, thread) if group.is_public or feed_token else [],
        "thread": thread,
    }
    return render(request, "feeds/follow.html", context)


@require_POST
@login_required
def reset(request, slug):
    """Make the member's secret feed address for a private group, or replace it: the old one stops working."""
    group, membership = get_group_for_user(request.user, slug)
    membership = require_reader_membership(membership)  # a suspended member still reads, so still follows
    if group.is_public:
        messages.info(request, gettext("This group's feeds are public: no secret address is needed."))
    else:
        existed = FeedToken.objects.filter(membership=membership).exists()
        reset_feed_token(membership=membership)
        if existed:
            messages.success(request, gettext("Your feed address is new: the old one no longer works."))
        else:
            messages.success(request, gettext("Your private feed address is ready."))
    return redirect("feeds:follow", slug=group.slug)
