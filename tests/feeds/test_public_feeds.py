"""Atom feeds of a public group, topic, thread and prompt list (issue 10, item 5)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import flags, services
from tests import factories
from tests.feeds.atom import fetch, raw_entries
from topics.models import Prompt


@pytest.fixture
def thread(topic, member):
    return factories.make_thread(topic, author=member, title="Who pays for CAR-T?", body="Provincial **schemes** pay.")


def test_the_group_feed_lists_new_threads_and_published_prompts_newest_first(client, group, topic, thread, settings):
    prompt = factories.make_open_prompt(topic, title="What will payers cover?", context="Think of *2026*.")
    factories.make_prompt(topic, title="A draft question?")
    factories.make_prompt(topic, title="A scheduled question?", status=Prompt.Status.SCHEDULED,
                          publish_at=timezone.now() + timedelta(days=3))  # fmt: skip

    _, parsed, root = fetch(client, reverse("feeds:group", args=[group.slug]))

    titles = [entry.title for entry in parsed.entries]
    assert titles == [f"Prompt: {prompt.title}", thread.title]
    entry = parsed.entries[1]
    assert entry.link == settings.SITE_URL + thread.get_absolute_url()
    assert entry.author == "Mei"
    assert entry.published_parsed and entry.updated_parsed
    assert raw_entries(root)[1]["content"] == "<p>Provincial <strong>schemes</strong> pay.</p>"
    assert raw_entries(root)[0]["content"] == "<p>Think of <em>2026</em>.</p>"
    assert parsed.feed.link == settings.SITE_URL + group.get_absolute_url()


def test_the_topic_feed_holds_only_its_topics_threads(client, group, topic, thread):
    elsewhere = factories.make_thread(factories.make_topic(group=group), title="Somewhere else")

    _, parsed, _ = fetch(client, reverse("feeds:topic", args=[group.slug, topic.slug]))

    assert [entry.title for entry in parsed.entries] == [thread.title]
    assert elsewhere.title not in str(parsed)


def test_the_thread_feed_lists_its_latest_posts_linking_to_their_permalinks(client, thread, member, settings):
    reply = factories.make_post(thread, author=member, body="A reply with a [link](https://example.org).")

    _, parsed, root = fetch(client, reverse("feeds:thread", args=[thread.pk]))

    assert [entry.title for entry in parsed.entries] == [f"{thread.title}: post #2", f"{thread.title}: post #1"]
    assert parsed.entries[0].link == settings.SITE_URL + reply.get_absolute_url()
    assert raw_entries(root)[0]["summary"] == "A reply with a link."
    assert 'href="https://example.org"' in raw_entries(root)[0]["content"]


def test_the_prompt_feed_lists_published_prompts_newest_first_and_never_drafts(client, group, topic):
    older = factories.make_open_prompt(topic, title="Older question?")
    Prompt.objects.filter(pk=older.pk).update(published_at=timezone.now() - timedelta(days=2))
    newer = factories.make_open_prompt(topic, title="Newer question?")
    factories.make_prompt(topic, title="Still a draft?")
    factories.make_prompt(topic, title="In the backlog?", status=Prompt.Status.BACKLOG)

    _, parsed, _ = fetch(client, reverse("feeds:prompts", args=[group.slug]))

    assert [entry.title for entry in parsed.entries] == [newer.title, older.title]


def test_hidden_and_removed_posts_are_never_in_a_feed(client, group, topic, thread, member, moderator):
    hidden = factories.make_post(thread, author=member, body="Hidden words.")
    removed = factories.make_post(thread, author=member, body="Removed words.")
    flags.hide_post(post=hidden, moderator=moderator, reason="Off-topic")
    services.delete_post(post=removed, deleted_by=member)
    hidden_opening = factories.make_thread(topic, author=member, title="Opening hidden", body="Secret opening words.")
    flags.hide_post(post=hidden_opening.posts.get(), moderator=moderator)

    for url in (
        reverse("feeds:thread", args=[thread.pk]),
        reverse("feeds:group", args=[group.slug]),
        reverse("feeds:topic", args=[group.slug, topic.slug]),
        reverse("feeds:thread", args=[hidden_opening.pk]),
    ):
        response, _, _ = fetch(client, url)
        text = response.content.decode()
        assert "Hidden words" not in text and "Removed words" not in text and "Secret opening words" not in text


def test_a_feed_names_nobody_under_the_chatham_house_rule(client, group, topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Off the record?", chatham_house=True)
    speaker = factories.make_member(group=group, username="wendy_w", display_name="Wendy Whistleblower")
    quoted = services.publish_post(thread=prompt.thread, author=speaker, body="Budgets are gone.")
    quote = services.quote_markdown(quoted, anonymous=True)
    services.publish_post(thread=prompt.thread, author=factories.make_member(group=group), body=quote + "Agreed.")

    for url in (
        reverse("feeds:thread", args=[prompt.thread.pk]),
        reverse("feeds:group", args=[group.slug]),
        reverse("feeds:topic", args=[group.slug, topic.slug]),
        reverse("feeds:prompts", args=[group.slug]),
    ):
        response, parsed, root = fetch(client, url)
        text = response.content.decode()
        assert "Budgets are gone." in text or "Off the record?" in text
        for name in ("Wendy", "wendy_w", "Dr Moderator", "moderator"):
            assert name not in text, (url, name)
        assert all(entry["authors"] == [] for entry in raw_entries(root))
        assert all("author" not in entry for entry in parsed.entries)


def test_a_public_feed_of_a_private_group_is_not_found_even_for_its_members(client, private_group):
    topic = factories.make_topic(group=private_group)
    thread = factories.make_thread(topic)
    member = factories.make_member(group=private_group)
    client.force_login(member)

    for url in (
        reverse("feeds:group", args=[private_group.slug]),
        reverse("feeds:prompts", args=[private_group.slug]),
        reverse("feeds:topic", args=[private_group.slug, topic.slug]),
        reverse("feeds:thread", args=[thread.pk]),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert private_group.name not in response.content.decode()
        assert thread.title not in response.content.decode()


def test_a_feed_costs_the_same_queries_for_3_or_30_threads(client, group, topic, django_assert_max_num_queries):
    for _ in range(3):
        factories.make_thread(topic)
    url = reverse("feeds:group", args=[group.slug])
    with django_assert_max_num_queries(4) as few:
        fetch(client, url)
    for _ in range(27):
        factories.make_thread(topic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        fetch(client, url)
