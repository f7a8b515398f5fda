"""What each feed holds, as plain entries: the same for every reader of the group, whoever holds the address.

Entries never carry a hidden or removed post, nor a prompt members cannot see yet (draft, backlog, scheduled).
Under the Chatham House rule an entry names nobody: no author, and the post's text is the same as on the page
(a quote there says "A participant wrote:"). Text is the stored, sanitized HTML (discussions.markdown) for the
content, and a plain-text excerpt (discussions.excerpts) for the summary.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.translation import gettext

from discussions.excerpts import excerpt
from discussions.models import Post, Thread
from topics.models import Prompt

ENTRIES_PER_FEED = 30
SUMMARY_LENGTH = 300
# XML 1.0 cannot hold these at all (not even escaped); forms strip them, but rows written another way may not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text or "")


@dataclass
class Entry:
    title: str
    url: str  # absolute
    published: datetime
    updated: datetime
    author: str | None  # None: nobody is named (Chatham House rule, or a former member)
    summary: str = ""  # plain text
    content_html: str = ""  # sanitized HTML
    categories: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.title, self.summary, self.content_html = map(xml_text, (self.title, self.summary, self.content_html))
        self.author = xml_text(self.author) if self.author else None
        self.categories = [xml_text(category) for category in self.categories]


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _name(user, *, chatham_house: bool) -> str | None:
    if chatham_house or user is None:
        return None
    return user.public_name


def _text(html: str) -> dict:
    return {"summary": excerpt(html, SUMMARY_LENGTH), "content_html": html}


def _published_threads(threads):
    """Threads members can see: those of published prompts, and every thread that answers no prompt."""
    return threads.filter(Q(prompt__isnull=True) | Q(prompt__status__in=[Prompt.Status.OPEN, Prompt.Status.CLOSED]))


def new_thread_entries(*, group, topic=None) -> list[Entry]:
    """The newest threads of a group (or one topic), newest first; a prompt's thread reads as the prompt."""
    threads = Thread.objects.filter(topic__group=group) if topic is None else topic.threads.all()
    opening = Post.objects.shown().filter(number=1).select_related("author")
    threads = (
        _published_threads(threads)
        .select_related("topic", "author", "prompt__author")
        .prefetch_related(Prefetch("posts", queryset=opening, to_attr="opening_posts"))
        .order_by("-created_at", "-pk")[:ENTRIES_PER_FEED]
    )
    return [_thread_entry(thread) for thread in threads]


def _thread_entry(thread) -> Entry:
    prompt = getattr(thread, "prompt", None)
    chatham_house = thread.is_chatham_house
    if prompt is not None:
        return Entry(
            title=gettext("Prompt: %(question)s") % {"question": prompt.title},
            url=_absolute(thread.get_absolute_url()),
            published=prompt.published_at or thread.created_at,
            updated=prompt.published_at or thread.created_at,
            author=_name(prompt.author, chatham_house=chatham_house),
            categories=[thread.topic.title],
            **_text(prompt.context_html),
        )
    opening = thread.opening_posts[0] if thread.opening_posts else None  # hidden or removed: the title alone
    return Entry(
        title=thread.title,
        url=_absolute(thread.get_absolute_url()),
        published=thread.created_at,
        updated=(opening.edited_at or opening.created_at) if opening else thread.created_at,
        author=_name(thread.author, chatham_house=chatham_house),
        categories=[thread.topic.title],
        **(_text(opening.body_html) if opening else {}),
    )


def prompt_entries(*, group) -> list[Entry]:
    """The group's published prompts, newest first."""
    prompts = (
        Prompt.objects.published()
        .filter(topic__group=group, thread__isnull=False)
        .select_related("topic", "author", "thread")
        .order_by("-published_at", "-pk")[:ENTRIES_PER_FEED]
    )
    return [
        Entry(
            title=prompt.title,
            url=_absolute(prompt.thread.get_absolute_url()),
            published=prompt.published_at or prompt.created_at,
            updated=prompt.published_at or prompt.created_at,
            author=_name(prompt.author, chatham_house=prompt.chatham_house),
            categories=[prompt.topic.title],
            **_text(prompt.context_html),
        )
        for prompt in prompts
    ]


def latest_post_entries(*, thread) -> list[Entry]:
    """The thread's latest posts, newest first."""
    chatham_house = thread.is_chatham_house
    posts = thread.posts.shown().select_related("author").order_by("-number")[:ENTRIES_PER_FEED]
    return [
        Entry(
            title=gettext("%(thread)s: post #%(number)s") % {"thread": thread.title, "number": post.number},
            url=_absolute(post.get_absolute_url()),
            published=post.created_at,
            updated=post.edited_at or post.created_at,
            author=_name(post.author, chatham_house=chatham_house),
            categories=[thread.topic.title],
            **_text(post.body_html),
        )
        for post in posts
    ]
