"""Atom feeds (django.contrib.syndication) for a group, a topic, a thread and a group's prompts.

Each feed is reached two ways (feeds.urls): at a public address, for public groups only, and under a member's
secret address (discussions.feeds.access), which also serves private groups. What an entry holds is decided in discussions.feeds.entries.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext

from discussions.models import Thread
from discussions.feeds.access import FeedPlace, public_feed_place, secret_feed_place
from discussions.feeds.entries import latest_post_entries, new_thread_entries, prompt_entries, xml_text
from topics.models import Topic


class AtomWithContent(Atom1Feed):
    """Atom with the post itself as `content` (HTML) and its excerpt as a plain-text `summary`.

    Django's Atom feed writes an item's description as an HTML summary; an excerpt is plain text, and read as HTML a
    typed "<b>" would become markup, so the summary is written as text instead.
    """

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("summary_text"):
            handler.addQuickElement("summary", item["summary_text"], {"type": "text"})
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class _GroupFeed(Feed):
    feed_type = AtomWithContent
    kind = ""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        if kwargs.get("token"):
            # Whoever holds the address reads the group: no search engine or shared cache keeps what it shows.
            response["X-Robots-Tag"] = "noindex"
            response["Cache-Control"] = "private, no-store"
        return response

    def place(self, slug, token):
        return secret_feed_place(slug, token) if token else public_feed_place(slug)

    def author_name(self, obj):
        # Atom wants an author for every entry; entries that name nobody (Chatham House) fall back on the group.
        return xml_text(obj["place"].group.name)

    def feed_url(self, obj):
        return obj["feed_url"]

    def items(self, obj):
        return obj["entries"]

    def item_title(self, entry):
        return entry.title

    def item_link(self, entry):
        return entry.url

    def item_description(self, entry):
        return None  # written as the plain-text summary (AtomWithContent)

    def item_pubdate(self, entry):
        return entry.published

    def item_updateddate(self, entry):
        return entry.updated

    def item_author_name(self, entry):
        return entry.author

    def item_categories(self, entry):
        return entry.categories

    def item_extra_kwargs(self, entry):
        return {"summary_text": entry.summary, "content_html": entry.content_html}


class GroupFeed(_GroupFeed):
    """New threads and published prompts of the whole group."""

    def get_object(self, request, slug, token=""):
        place = self.place(slug, token)
        return {"place": place, "feed_url": place.url("group"), "entries": new_thread_entries(group=place.group)}

    def title(self, obj):
        return xml_text(gettext("%(group)s: new threads and prompts") % {"group": obj["place"].group.name})

    def link(self, obj):
        return settings.SITE_URL + obj["place"].group.get_absolute_url()

    def subtitle(self, obj):
        return xml_text(obj["place"].group.description) or None


class PromptFeed(_GroupFeed):
    """The group's published prompts, newest first (what its Agenda lists)."""

    def get_object(self, request, slug, token=""):
        place = self.place(slug, token)
        return {"place": place, "feed_url": place.url("prompts"), "entries": prompt_entries(group=place.group)}

    def title(self, obj):
        return xml_text(gettext("%(group)s: prompts") % {"group": obj["place"].group.name})

    def link(self, obj):
        return settings.SITE_URL + reverse("topics:agenda", args=[obj["place"].group.slug])


class TopicFeed(_GroupFeed):
    """New threads and published prompts of one topic."""

    def get_object(self, request, topic_slug, group_slug="", slug="", token=""):
        place = self.place(group_slug or slug, token)
        topic = get_object_or_404(Topic, group=place.group, slug=topic_slug)
        topic.group = place.group
        return {
            "place": place,
            "topic": topic,
            "feed_url": place.url("topic", topic.slug),
            "entries": new_thread_entries(group=place.group, topic=topic),
        }

    def title(self, obj):
        names = {"topic": obj["topic"].title, "group": obj["place"].group.name}
        return xml_text(gettext("%(topic)s · %(group)s: new threads and prompts") % names)

    def link(self, obj):
        return settings.SITE_URL + obj["topic"].get_absolute_url()


class ThreadFeed(_GroupFeed):
    """The latest posts of one thread."""

    def get_object(self, request, pk, slug="", token=""):
        if token:
            place = self.place(slug, token)
            threads = Thread.objects.select_related("topic", "prompt")
            thread = get_object_or_404(threads, pk=pk, topic__group=place.group)
        else:
            thread = get_object_or_404(Thread.objects.select_related("topic__group", "prompt"), pk=pk)
            if not thread.topic.group.is_public:
                raise Http404("No such feed")
            place = FeedPlace(group=thread.topic.group)
        prompt = getattr(thread, "prompt", None)
        if prompt is not None and not prompt.is_published:  # never so today: a prompt's thread opens on publishing
            raise Http404("No such feed")
        return {
            "place": place,
            "thread": thread,
            "feed_url": place.url("thread", thread.pk),
            "entries": latest_post_entries(thread=thread),
        }

    def title(self, obj):
        names = {"thread": obj["thread"].title, "group": obj["place"].group.name}
        return xml_text(gettext("%(thread)s · %(group)s: latest posts") % names)

    def link(self, obj):
        return settings.SITE_URL + obj["thread"].get_absolute_url()
