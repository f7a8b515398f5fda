"""Hostile input in the Atom feeds (issue 10, item 5): a feed is XML, read by programs that trust it.

Every payload of the XSS corpus goes into what the feeds repeat: the group's name and description, a topic's title,
thread titles and opening posts, replies, prompt questions and context, and the authors' display names. Each feed
must stay well-formed Atom (xml.etree and feedparser), every title must read back as exactly the text typed (so it
was escaped, not interpreted), the only elements are Atom's own, and the HTML content is the sanitized HTML the page
shows, with no script, event handler or javascript: address in it. The thread page's link preview is in the browser
XSS proof (test_xss_corpus.py opens every thread page); its attributes are checked here as well.
"""

import re
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from discussions import services as discussion_services
from discussions.feeds import entries as feed_entries
from discussions.models import FeedToken
from tests import factories
from tests.feeds.atom import ATOM, fetch, raw_entries
from tests.security.test_plain_text_stays_text import assert_no_injected_markup
from tests.security.xss_corpus import ALL, pack
from topics.models import Membership

# PostgreSQL stores no NUL character, and the site's forms refuse one (groupsite.middleware), so none is stored.
PAYLOADS = [payload for _, payload in ALL if "\x00" not in payload]
ATOM_ELEMENTS = {
    f"{ATOM}{name}"
    for name in ("feed", "title", "subtitle", "link", "id", "updated", "published", "author", "name", "entry",
                 "category", "summary", "content")
}  # fmt: skip
ACTIVE_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster", "cite"}


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


# A proof about what the feeds render (escaping and sanitizing), not about the database: it runs in one pass.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]


@pytest.fixture(scope="module")
def hostile_feeds(django_db_setup, django_db_blocker):
    """Built once for the module (a few seconds), inside a transaction that is rolled back after its last test;
    each test runs in a transaction of its own within it and reads only."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hasher, pytest.MonkeyPatch.context() as patch:
        patch.setattr(feed_entries, "ENTRIES_PER_FEED", 1000)  # every hostile entry in one feed
        yield _build_hostile_feeds()
        transaction.set_rollback(True)


def _build_hostile_feeds() -> dict:
    names = pack(PAYLOADS, 80)
    group = factories.make_group(name=names[0][:120], description=" ".join(PAYLOADS)[:2000])
    private = factories.make_group(name=names[1][:120], slug="hostile-private", visibility="private")
    people = [factories.make_member(group=group, display_name=name) for name in names]
    owner = people[0]
    Membership.objects.filter(group=group, user=owner).update(role=Membership.Role.OWNER)
    topic = factories.make_topic(group=group, title=pack(PAYLOADS, 120)[0], slug="hostile-topic")
    titles = pack(PAYLOADS, 200)
    threads = [
        factories.make_thread(topic, author=people[i % len(people)], title=title, body=PAYLOADS[i % len(PAYLOADS)])
        for i, title in enumerate(titles)
    ]
    replies_in = threads[0]
    for i in range(0, len(PAYLOADS), 6):
        discussion_services.publish_post(
            thread=replies_in, author=people[i % len(people)], body="\n\n".join(PAYLOADS[i : i + 6])
        )
    for i, question in enumerate(titles):
        factories.make_open_prompt(topic, author=owner, title=question, context="\n\n".join(PAYLOADS[i * 8 :][:8]))
    # The private group's feeds through a member's secret address.
    private_topic = factories.make_topic(group=private, title=titles[1][:120], slug="hostile-private-topic")
    factories.make_thread(private_topic, author=people[0], title=titles[2], body=PAYLOADS[3])
    private_membership = factories.make_membership(group=private, user=people[0])
    token = FeedToken.objects.create(membership=private_membership).token
    urls = [
        reverse("feeds:group", args=[group.slug]),
        reverse("feeds:prompts", args=[group.slug]),
        reverse("feeds:topic", args=[group.slug, topic.slug]),
        reverse("feeds:thread", args=[replies_in.pk]),
        reverse("feeds:secret_group", args=[private.slug, token]),
        reverse("feeds:secret_topic", args=[private.slug, token, private_topic.slug]),
    ]
    return {"urls": urls, "titles": titles, "thread": replies_in, "group": group}


def test_every_feed_stays_well_formed_atom_with_hostile_text(client, hostile_feeds):
    for url in hostile_feeds["urls"]:
        _, parsed, root = fetch(client, url)

        assert {element.tag for element in root.iter()} <= ATOM_ELEMENTS, url
        assert len(parsed.entries) == len(root.findall(f"{ATOM}entry")) > 0


def test_hostile_titles_read_back_as_the_text_typed(client, hostile_feeds):
    _, _, root = fetch(client, reverse("feeds:group", args=[hostile_feeds["group"].slug]))

    titles = {entry["title"] for entry in raw_entries(root)}

    assert {title for title in hostile_feeds["titles"]} <= titles
    assert root.findtext(f"{ATOM}subtitle") == hostile_feeds["group"].description
    assert all(entry["authors"] for entry in raw_entries(root))  # the hostile display names are there, as text


def test_feed_content_is_the_sanitized_html_of_the_page_and_runs_nothing(client, hostile_feeds):
    thread = hostile_feeds["thread"]
    shown = {post.body_html for post in thread.posts.all()}
    for url in hostile_feeds["urls"]:
        _, _, root = fetch(client, url)
        for entry in raw_entries(root):
            html = entry["content"]
            assert_no_injected_markup(html)
            parser = _Attributes()
            parser.feed(html)
            addresses = [value or "" for _, attrs in parser.tags for name, value in attrs if name in URL_ATTRIBUTES]
            # As a browser reads an address: entities decoded (the parser did), blanks and controls ignored.
            active = [a for a in addresses if re.sub(r"[\x00-\x20]", "", a).lower().startswith(ACTIVE_SCHEMES)]
            assert active == [], (url, active)
            assert not [tag for tag, _ in parser.tags if tag in {"script", "iframe", "object", "embed", "style"}]
            if url.endswith(f"/threads/{thread.pk}/feed/"):
                assert html in shown  # exactly what render_markdown stored and the page shows
        # An excerpt is plain text and says so; were it "html", a typed "<b>" would become markup in the reader.
        assert {summary.get("type") for summary in root.iter(f"{ATOM}summary")} == {"text"}
        assert {content.get("type") for content in root.iter(f"{ATOM}content")} == {"html"}


def test_the_follow_page_shows_hostile_titles_as_text(client, hostile_feeds):
    group, thread = hostile_feeds["group"], hostile_feeds["thread"]

    page = client.get(reverse("feeds:follow", args=[group.slug]) + f"?thread={thread.pk}").content.decode()

    assert_no_injected_markup(page)
    assert reverse("feeds:thread", args=[thread.pk]) in page


def test_a_hostile_title_is_text_in_the_thread_pages_link_preview(client, hostile_feeds):
    thread = hostile_feeds["thread"]

    page = client.get(thread.get_absolute_url()).content.decode()
    head = page[: page.index("</head>")]

    assert_no_injected_markup(head)
    parser = _Attributes()
    parser.feed(head)
    og_title = next(dict(attrs)["content"] for tag, attrs in parser.tags if dict(attrs).get("property") == "og:title")
    assert og_title == thread.title
