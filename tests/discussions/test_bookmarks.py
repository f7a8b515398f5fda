"""Bookmarks: a member keeps posts to find again on their bookmarks page, which only lists what they may still read."""

from http import HTTPStatus

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import reactions, services
from discussions.reactions import Bookmark
from tests import factories
from topics.models import Membership

JSON = {"HTTP_ACCEPT": "application/json"}


def bookmark(client, post, on="1", **extra):
    return client.post(reverse("discussions:bookmark", args=[post.pk]), {"on": on}, **extra)


def listed(client) -> list[int]:
    response = client.get(reverse("discussions:bookmarks"))
    assert response.status_code == HTTPStatus.OK
    return [saved.post_id for saved in response.context["page"].object_list]


def test_a_bookmark_without_javascript_returns_to_the_post_and_lists_it(client, member, thread):
    post = thread.posts.get()
    client.force_login(member)

    response = bookmark(client, post)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == post.get_absolute_url()
    assert listed(client) == [post.pk]


def test_a_bookmark_with_javascript_answers_json_and_is_taken_back(client, member, thread):
    post = thread.posts.get()
    client.force_login(member)

    assert bookmark(client, post, **JSON).json() == {"bookmarked": True}
    assert bookmark(client, post, **JSON).json() == {"bookmarked": True}  # a double click keeps one
    assert Bookmark.objects.filter(user=member).count() == 1
    assert bookmark(client, post, on="0", **JSON).json() == {"bookmarked": False}
    assert listed(client) == []


def test_the_thread_page_shows_which_posts_the_reader_bookmarked(client, member, thread):
    post = thread.posts.get()
    reactions.set_bookmark(post=post, user=member, on=True)
    client.force_login(member)

    html = client.get(thread.get_absolute_url()).content.decode()

    assert 'class="bookmark-button" aria-pressed="true"' in html


def test_bookmarks_are_listed_newest_first_with_where_they_live_and_a_permalink(client, member, topic, thread):
    first, second = thread.posts.get(), factories.make_post(thread=thread, body="Second thoughts.")
    reactions.set_bookmark(post=first, user=member, on=True, now=timezone.now() - timezone.timedelta(hours=1))
    reactions.set_bookmark(post=second, user=member, on=True)
    client.force_login(member)

    html = client.get(reverse("discussions:bookmarks")).content.decode()

    assert listed(client) == [second.pk, first.pk]
    assert "Second thoughts." in html
    assert topic.title in html and topic.group.name in html and thread.title in html
    assert second.get_absolute_url() in html


def test_bookmarks_are_paginated(client, settings, member, thread):
    posts = [factories.make_post(thread=thread) for _ in range(21)]
    for post in posts:
        reactions.set_bookmark(post=post, user=member, on=True)
    client.force_login(member)

    assert len(listed(client)) == 20
    assert len(client.get(reverse("discussions:bookmarks"), {"page": 2}).context["page"].object_list) == 1


def test_a_post_in_a_private_group_the_member_left_drops_off_the_list(client, private_group, private_thread, private_member):
    post = private_thread.posts.get()
    reactions.set_bookmark(post=post, user=private_member, on=True)
    client.force_login(private_member)
    assert listed(client) == [post.pk]

    Membership.objects.filter(group=private_group, user=private_member).delete()

    assert listed(client) == []
    assert private_thread.title not in client.get(reverse("discussions:bookmarks")).content.decode()


def test_removed_and_hidden_posts_drop_off_the_list(client, member, moderator, thread):
    removed, hidden = factories.make_post(thread=thread), factories.make_post(thread=thread)
    for post in (removed, hidden):
        reactions.set_bookmark(post=post, user=member, on=True)
    services.delete_post(post=removed, deleted_by=moderator)
    hidden.hidden_at = timezone.now()
    hidden.save(update_fields=["hidden_at"])
    client.force_login(member)

    assert listed(client) == []


def test_under_the_chatham_house_rule_a_bookmark_does_not_name_the_author(client, topic, member, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, chatham_house=True)
    post = factories.make_post(thread=prompt.thread, author=factories.make_member(group=topic.group, display_name="Hidden Author"))
    reactions.set_bookmark(post=post, user=member, on=True)
    client.force_login(member)

    html = client.get(reverse("discussions:bookmarks")).content.decode()

    assert "Hidden Author" not in html
    assert "A participant" in html


def test_only_members_bookmark(client, outsider, thread):
    client.force_login(outsider)

    assert bookmark(client, thread.posts.get()).status_code == HTTPStatus.FORBIDDEN
    assert not Bookmark.objects.exists()


def test_the_bookmarks_page_needs_a_login(client):
    response = client.get(reverse("discussions:bookmarks"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response.url


def test_the_header_links_to_the_bookmarks_page(client, member):
    client.force_login(member)

    assert reverse("discussions:bookmarks") in client.get(reverse("topics:home")).content.decode()


def queries_for_bookmarks_page(member) -> int:
    client = Client()
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("discussions:bookmarks")).status_code == HTTPStatus.OK
    return len(queries)


def test_the_bookmarks_page_costs_the_same_queries_for_1_or_15_bookmarks(topic):
    few, many = factories.make_member(group=topic.group), factories.make_member(group=topic.group)
    thread = factories.make_thread(topic=topic)
    reactions.set_bookmark(post=thread.posts.get(), user=few, on=True)
    for _ in range(15):
        post = factories.make_post(thread=factories.make_thread(topic=topic))
        reactions.set_bookmark(post=post, user=many, on=True)

    assert queries_for_bookmarks_page(few) == queries_for_bookmarks_page(many)


def test_leaving_a_public_group_keeps_its_bookmarks(client, group, member, thread):
    post = thread.posts.get()
    reactions.set_bookmark(post=post, user=member, on=True)
    Membership.objects.filter(group=group, user=member).delete()
    client.force_login(member)

    assert listed(client) == [post.pk]  # a public group's posts stay readable to everyone
