import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from tests import factories


def test_the_home_page_lists_public_groups(client, group):
    response = client.get(reverse("topics:home"))
    assert response.status_code == HTTPStatus.OK
    assert group.name in response.content.decode()


def test_the_home_page_hides_private_groups_from_visitors(client, private_group):
    response = client.get(reverse("topics:home"))
    assert private_group.name not in response.content.decode()


def test_the_home_page_hides_private_groups_from_people_outside_them(client, private_group, outsider):
    client.force_login(outsider)
    response = client.get(reverse("topics:home"))
    assert private_group.name not in response.content.decode()


def test_the_home_page_shows_private_groups_to_their_members(client, private_group):
    client.force_login(factories.make_member(group=private_group))
    response = client.get(reverse("topics:home"))
    assert private_group.name in response.content.decode()


def test_the_home_page_query_count_does_not_grow_with_the_number_of_groups(client, member, django_assert_num_queries):
    for _ in range(2):
        factories.make_member(group=factories.make_group())
    client.force_login(member)
    with CaptureQueriesContext(connection) as few_groups:
        client.get(reverse("topics:home"))
    for _ in range(5):
        factories.make_member(group=factories.make_group())
    with django_assert_num_queries(len(few_groups)):
        client.get(reverse("topics:home"))


def test_the_group_page_shows_its_description(client, db):
    group = factories.make_group(description="Where the market for cell therapy is going.")
    response = client.get(reverse("topics:group", args=[group.slug]))
    assert response.status_code == HTTPStatus.OK
    assert "Where the market for cell therapy is going." in response.content.decode()


def test_the_group_page_shows_how_many_members_it_has(client, group, member, moderator):
    response = client.get(reverse("topics:group", args=[group.slug]))
    assert "2 members" in response.content.decode()


def test_the_group_page_says_one_member_in_the_singular(client, group, member):
    response = client.get(reverse("topics:group", args=[group.slug]))
    assert "1 member" in response.content.decode()
    assert "1 members" not in response.content.decode()


def test_the_group_page_lists_topics_with_thread_and_post_counts(client, topic, member):
    thread = factories.make_thread(topic=topic, author=member)
    factories.make_post(thread=thread, author=member)
    response = client.get(reverse("topics:group", args=[topic.group.slug]))
    assertContains(response, topic.title)
    assertContains(response, "<div><dt>Threads</dt><dd>1</dd></div>", html=True)
    assertContains(response, "<div><dt>Posts</dt><dd>2</dd></div>", html=True)


def test_the_group_page_links_to_its_topics(client, topic):
    response = client.get(reverse("topics:group", args=[topic.group.slug]))
    assert topic.get_absolute_url() in response.content.decode()


def test_an_unknown_group_is_not_found(client, db):
    response = client.get(reverse("topics:group", args=["no-such-group"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_member_list_shows_members_by_name(client, group, member, moderator):
    response = client.get(reverse("topics:members", args=[group.slug]))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert member.public_name in page
    assert moderator.public_name in page


def test_the_topic_page_lists_its_threads(client, topic, member):
    thread = factories.make_thread(topic=topic, author=member, title="Who pays for CAR-T?")
    response = client.get(reverse("topics:topic", args=[topic.group.slug, topic.slug]))
    assert response.status_code == HTTPStatus.OK
    assert thread.title in response.content.decode()


def test_a_topic_of_another_group_is_not_found_under_this_group(client, group, topic):
    other = factories.make_group()
    response = client.get(reverse("topics:topic", args=[other.slug, topic.slug]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def private_pages(group):
    topic = factories.make_topic(group=group, slug="strategy")
    return [
        reverse("topics:group", args=[group.slug]),
        reverse("topics:members", args=[group.slug]),
        reverse("topics:topic", args=[group.slug, topic.slug]),
    ]


@pytest.mark.parametrize("page", [0, 1, 2], ids=["group", "members", "topic"])
def test_a_private_groups_pages_are_not_found_for_visitors(client, private_group, page):
    response = client.get(private_pages(private_group)[page])
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("page", [0, 1, 2], ids=["group", "members", "topic"])
def test_a_private_groups_pages_are_not_found_for_people_outside_it(client, private_group, outsider, page):
    client.force_login(outsider)
    response = client.get(private_pages(private_group)[page])
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("page", [0, 1, 2], ids=["group", "members", "topic"])
def test_a_private_groups_pages_open_for_its_members(client, private_group, page):
    client.force_login(factories.make_member(group=private_group))
    response = client.get(private_pages(private_group)[page])
    assert response.status_code == HTTPStatus.OK


def test_no_breadcrumb_trail_ends_in_a_separator(client, topic, moderator):
    client.force_login(moderator)
    pages = [
        topic.get_absolute_url(),
        reverse("topics:topic_new", args=[topic.group.slug]),
        reverse("topics:topic_edit", args=[topic.group.slug, topic.slug]),
    ]

    trails = [re.search(r'<nav class="breadcrumbs".*?</nav>', client.get(url).content.decode(), re.S) for url in pages]

    assert all(trails)
    assert [trail.group() for trail in trails if re.search(r"›\s*</nav>", trail.group())] == []


def test_every_page_links_a_favicon_that_is_served(client, db):
    html = client.get(reverse("topics:home")).content.decode()

    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)

    assert href.startswith(settings.STATIC_URL) or href.startswith("/" + settings.STATIC_URL)
    assert finders.find(href.split(settings.STATIC_URL, 1)[1])
