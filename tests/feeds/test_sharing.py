"""Link previews, canonical addresses, feed discovery and "Copy link" on the pages (issue 10, items 5 and 6)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests import factories

HOSTILE_TITLE = '"><script>alert(1)</script> & <img src=x onerror=alert(2)>'


class _Head(HTMLParser):
    """The <meta> and <link> elements of a page, their attributes unescaped as a browser reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: list[dict] = []
        self.scripts: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content")
        elif tag in {"link", "a"}:
            self.links.append(attrs | {"tag": tag})
        elif tag == "script":
            self.scripts.append(attrs)


def head_of(client, url) -> _Head:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Head()
    parser.feed(response.content.decode())
    return parser


def canonical(head) -> str:
    return next(link["href"] for link in head.links if link.get("rel") == "canonical")


def alternates(head) -> list[str]:
    return [link["href"] for link in head.links if link.get("rel") == "alternate" and link["tag"] == "link"]


@pytest.fixture
def thread(topic, member):
    return factories.make_thread(topic, author=member, title="Who pays?", body="Provincial **schemes** pay, mostly.")


def test_a_public_thread_page_carries_a_link_preview_and_its_canonical_address(client, thread, settings):
    head = head_of(client, thread.get_absolute_url())

    url = settings.SITE_URL + thread.get_absolute_url()
    assert canonical(head) == url
    assert head.meta["og:title"] == "Who pays?"
    assert head.meta["og:description"] == "Provincial schemes pay, mostly."
    assert head.meta["og:site_name"] == settings.SITE_NAME
    assert head.meta["og:url"] == url
    assert head.meta["og:type"] == "article"
    assert head.meta["twitter:card"] == "summary"
    assert alternates(head) == [settings.SITE_URL + reverse("feeds:thread", args=[thread.pk])]


def test_a_later_page_of_a_thread_is_its_own_canonical_page_and_keeps_the_opening_posts_description(
    client, thread, settings
):
    settings.POSTS_PER_PAGE = 1
    factories.make_post(thread, body="Second.")

    head = head_of(client, thread.get_absolute_url() + "?page=2")

    assert canonical(head) == settings.SITE_URL + thread.get_absolute_url() + "?page=2"
    assert head.meta["og:description"] == "Provincial schemes pay, mostly."


def test_a_hostile_title_stays_text_in_every_attribute(client, topic, member):
    thread = factories.make_thread(topic, author=member, title=HOSTILE_TITLE, body=HOSTILE_TITLE)

    head = head_of(client, thread.get_absolute_url())
    raw = client.get(thread.get_absolute_url()).content.decode()

    assert head.meta["og:title"] == HOSTILE_TITLE  # the whole value, read back as text: nothing broke out
    assert "<script>alert(1)" not in raw and "<img src=x" not in raw
    # Only the site's own scripts: its static files and the JavaScript catalogue of their words.
    ours = ("/static/", reverse("javascript-catalog"))
    assert all(script.get("src", "").startswith(ours) for script in head.scripts)


def test_a_hidden_opening_post_gives_no_description(client, thread, moderator):
    from discussions import flags

    flags.hide_post(post=thread.posts.get(), moderator=moderator)

    head = head_of(client, thread.get_absolute_url())

    assert "og:description" not in head.meta and "description" not in head.meta


def test_a_private_thread_page_leaks_no_preview_and_asks_not_to_be_indexed(client, private_group, settings):
    topic = factories.make_topic(group=private_group)
    member = factories.make_member(group=private_group)
    thread = factories.make_thread(topic, author=member, title="Confidential", body="The secret price is 1.2m.")
    client.force_login(member)

    head = head_of(client, thread.get_absolute_url())

    head.meta.pop("viewport")
    assert head.meta == {"robots": "noindex"}
    assert canonical(head) == settings.SITE_URL + thread.get_absolute_url()
    assert alternates(head) == []
    follow = reverse("feeds:follow", args=[private_group.slug]) + f"?thread={thread.pk}"
    assert any(link.get("href") == follow for link in head.links)  # the visible link to the secret address


def test_the_group_and_topic_pages_carry_previews_and_their_feeds(client, group, topic, settings):
    group.description = "Clinicians & investors <together>."
    group.save()

    group_head = head_of(client, group.get_absolute_url())
    topic_head = head_of(client, topic.get_absolute_url())

    assert group_head.meta["og:title"] == group.name
    assert group_head.meta["og:description"] == "Clinicians & investors <together>."
    assert canonical(group_head) == settings.SITE_URL + group.get_absolute_url()
    assert alternates(group_head) == [
        settings.SITE_URL + reverse("feeds:group", args=[group.slug]),
        settings.SITE_URL + reverse("feeds:prompts", args=[group.slug]),
    ]
    assert topic_head.meta["og:title"] == f"{topic.title} · {group.name}"
    assert topic_head.meta["og:description"] == "Briefing " + topic.briefing.split()[-1]
    assert alternates(topic_head) == [settings.SITE_URL + reverse("feeds:topic", args=[group.slug, topic.slug])]


def test_the_agenda_offers_the_prompt_feed(client, group, settings):
    head = head_of(client, reverse("topics:agenda", args=[group.slug]))

    assert alternates(head) == [settings.SITE_URL + reverse("feeds:prompts", args=[group.slug])]


def test_each_page_with_a_feed_shows_a_visible_feed_link(client, group, topic, thread, settings):
    pages = {
        group.get_absolute_url(): reverse("feeds:group", args=[group.slug]),
        topic.get_absolute_url(): reverse("feeds:topic", args=[group.slug, topic.slug]),
        thread.get_absolute_url(): reverse("feeds:thread", args=[thread.pk]),
        reverse("topics:agenda", args=[group.slug]): reverse("feeds:prompts", args=[group.slug]),
    }
    for page, feed in pages.items():
        links = head_of(client, page).links
        assert any(link["tag"] == "a" and link["href"] == settings.SITE_URL + feed for link in links), page


def test_every_post_s_number_and_time_link_to_its_permalink_which_copy_link_copies(client, thread):
    """copy-link.js adds "Copy link" under each post (tests/browser/test_feeds_journey.py): it copies this link."""
    reply = factories.make_post(thread, body="A reply.")

    links = head_of(client, thread.get_absolute_url()).links

    permalinks = [link["href"] for link in links if link.get("class") == "post__meta"]
    assert permalinks == [post.get_absolute_url() for post in (thread.posts.get(number=1), reply)]
