"""Watching and muting threads, topics and groups, and the read marker a thread visit leaves (issue #5, item 1)."""

from datetime import datetime, timedelta, timezone as dt_timezone
from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import notifications, services, view_counts
from discussions.models import Subscription, Thread, ThreadRead
from tests.factories import make_member, make_post, make_thread, make_topic

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)
WATCHING, MUTED = Subscription.Level.WATCHING, Subscription.Level.MUTED


@pytest.fixture
def thread(topic, member):
    return make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")


def level(user, **target) -> str | None:
    return Subscription.objects.filter(user=user, **target).values_list("level", flat=True).first()


# Posting watches


def test_starting_a_thread_watches_it(thread, member):
    assert level(member, thread=thread) == WATCHING


def test_replying_watches_the_thread(thread, group):
    replier = make_member(group=group)

    make_post(thread=thread, author=replier)

    assert level(replier, thread=thread) == WATCHING


def test_replying_keeps_an_explicit_mute(thread, group):
    replier = make_member(group=group)
    notifications.mute(user=replier, target=thread, now=NOW)

    make_post(thread=thread, author=replier)

    assert level(replier, thread=thread) == MUTED


# The functions


def test_watch_then_mute_keeps_one_subscription_with_the_last_choice(topic, member):
    notifications.watch(user=member, target=topic, now=NOW)
    notifications.mute(user=member, target=topic, now=NOW + timedelta(minutes=1))

    assert Subscription.objects.filter(user=member, topic=topic).count() == 1
    assert level(member, topic=topic) == MUTED


def test_unwatching_forgets_the_choice(group, member):
    notifications.watch(user=member, target=group, now=NOW)

    assert notifications.unwatch(user=member, target=group)
    assert not notifications.unwatch(user=member, target=group)
    assert level(member, group=group) is None


def test_a_thread_follows_its_topics_mute_until_the_member_chooses_for_it(topic, group):
    reader = make_member(group=group)
    thread = make_thread(topic=topic)
    notifications.mute(user=reader, target=topic, now=NOW)

    assert notifications.subscription_state(user=reader, target=thread) == {
        "level": "",
        "effective": MUTED,
        "source": "topic",
    }


# The endpoints


def subscription_url(target) -> str:
    if isinstance(target, Thread):
        return reverse("discussions:thread_subscription", args=[target.pk])
    if hasattr(target, "group"):
        return reverse("discussions:topic_subscription", args=[target.group.slug, target.slug])
    return reverse("discussions:group_subscription", args=[target.slug])


@pytest.fixture(params=["thread", "topic", "group"])
def target(request, thread, topic, group):
    return {"thread": thread, "topic": topic, "group": group}[request.param]


@pytest.mark.parametrize(("action", "expected"), [("watch", WATCHING), ("mute", MUTED)])
def test_a_member_can_watch_or_mute_a_thread_topic_or_group(client, member, target, action, expected):
    client.force_login(member)
    field = type(target).__name__.lower()

    response = client.post(subscription_url(target), {"action": action})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == target.get_absolute_url()
    assert level(member, **{field: target}) == expected


def test_a_member_can_stop_watching(client, member, target):
    field = type(target).__name__.lower()
    notifications.watch(user=member, target=target, now=NOW)
    client.force_login(member)

    client.post(subscription_url(target), {"action": "unwatch"})

    assert level(member, **{field: target}) is None


def test_watching_takes_a_post(client, member, target):
    client.force_login(member)

    response = client.get(subscription_url(target), {"action": "mute"})

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_an_unknown_action_is_refused_and_changes_nothing(client, member, thread):
    client.force_login(member)

    response = client.post(subscription_url(thread), {"action": "shout"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert level(member, thread=thread) == WATCHING


def test_watching_needs_a_login(client, target):
    response = client.post(subscription_url(target), {"action": "watch"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert not Subscription.objects.exclude(thread__isnull=False).exists()


def test_someone_outside_a_public_group_cannot_watch_it(client, outsider, target):
    client.force_login(outsider)

    response = client.post(subscription_url(target), {"action": "watch"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Subscription.objects.filter(user=outsider).exists()


@pytest.mark.parametrize("kind", ["thread", "topic", "group"])
def test_a_private_group_is_not_found_by_outsiders_who_try_to_watch_it(client, outsider, private_group, kind):
    topic = make_topic(group=private_group)
    thread = make_thread(topic=topic)
    target = {"thread": thread, "topic": topic, "group": private_group}[kind]
    client.force_login(outsider)

    response = client.post(subscription_url(target), {"action": "watch"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Subscription.objects.filter(user=outsider).exists()


def test_watching_returns_to_the_page_it_was_asked_from(client, member, topic, thread):
    client.force_login(member)

    response = client.post(subscription_url(topic), {"action": "watch", "next": thread.get_absolute_url()})

    assert response.url == thread.get_absolute_url()


def test_watching_never_sends_members_to_another_site(client, member, topic):
    client.force_login(member)

    response = client.post(subscription_url(topic), {"action": "watch", "next": "https://evil.example/"})

    assert response.url == topic.get_absolute_url()


# The controls on the pages


def test_the_thread_page_says_its_author_is_watching_and_offers_to_mute(client, member, thread):
    client.force_login(member)

    page = client.get(thread.get_absolute_url()).content.decode()

    assert "You are watching this thread" in page
    assert 'name="action" value="mute"' in page
    assert subscription_url(thread) in page


def test_the_topic_and_group_pages_offer_members_to_watch(client, member, topic, group):
    client.force_login(member)

    topic_page = client.get(topic.get_absolute_url()).content.decode()
    group_page = client.get(group.get_absolute_url()).content.decode()

    assert subscription_url(topic) in topic_page and 'value="watch"' in topic_page
    assert subscription_url(group) in group_page and 'value="watch"' in group_page


def test_visitors_and_outsiders_see_no_watch_controls(client, outsider, thread):
    anonymous_page = client.get(thread.get_absolute_url()).content.decode()
    client.force_login(outsider)
    outsider_page = client.get(thread.get_absolute_url()).content.decode()

    assert subscription_url(thread) not in anonymous_page
    assert subscription_url(thread) not in outsider_page


# Read markers


def read_number(user, thread) -> int | None:
    return ThreadRead.objects.filter(user=user, thread=thread).values_list("last_read_number", flat=True).first()


def test_reading_a_thread_records_the_last_post_on_the_page(client, settings, group, thread):
    settings.POSTS_PER_PAGE = 2
    for _ in range(3):
        make_post(thread=thread)
    reader = make_member(group=group)
    client.force_login(reader)

    client.get(thread.get_absolute_url())
    first = read_number(reader, thread)
    client.get(thread.get_absolute_url(), {"page": 2})

    assert (first, read_number(reader, thread)) == (2, 4)


def test_going_back_to_an_earlier_page_keeps_the_read_marker(client, settings, group, thread):
    settings.POSTS_PER_PAGE = 2
    for _ in range(3):
        make_post(thread=thread)
    reader = make_member(group=group)
    client.force_login(reader)
    client.get(thread.get_absolute_url(), {"page": 2})

    client.get(thread.get_absolute_url())

    assert read_number(reader, thread) == 4


def test_a_filtered_page_does_not_count_as_reading_the_posts_it_skips(client, group, thread):
    make_post(thread=thread)
    reader = make_member(group=group)
    client.force_login(reader)

    client.get(thread.get_absolute_url(), {"role": "evidence"})

    assert read_number(reader, thread) == 0


def test_a_members_visit_counts_one_view_however_often_they_come_back(client, group, thread):
    reader = make_member(group=group)
    client.force_login(reader)

    client.get(thread.get_absolute_url())
    client.logout()
    client.force_login(reader)  # a new session
    client.get(thread.get_absolute_url())
    view_counts.flush_view_counts()

    thread.refresh_from_db()
    assert thread.view_count == 1


def test_moving_a_read_marker_forward_is_one_update(group, thread, django_assert_num_queries):
    reader = make_member(group=group)
    notifications.mark_thread_read(user=reader, thread=thread, number=1, now=NOW)
    make_post(thread=thread)
    annotated = notifications.with_reader_state(Thread.objects.all(), reader).get(pk=thread.pk)

    with django_assert_num_queries(1):
        notifications.mark_thread_read(user=reader, thread=annotated, number=2, now=NOW)

    assert read_number(reader, thread) == 2


def test_a_read_marker_never_moves_back(group, thread):
    reader = make_member(group=group)
    notifications.mark_thread_read(user=reader, thread=thread, number=5, now=NOW)

    moved = notifications.mark_thread_read(user=reader, thread=thread, number=3, now=NOW)

    assert not moved
    assert read_number(reader, thread) == 5


def test_the_thread_page_keeps_its_query_budget_with_unread_notifications(
    client, group, thread, member, django_assert_max_num_queries
):
    post = services.publish_post(thread=thread, author=make_member(group=group), body="@mei look")
    notifications.notify_new_post(post_id=post.pk, now=NOW)
    client.force_login(member)

    with django_assert_max_num_queries(13):  # 12, and one grouped query for the posts' reactions
        client.get(thread.get_absolute_url())
