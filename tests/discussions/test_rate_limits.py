"""One account cannot flood a group: posts, new threads and previews are limited per minute or hour."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import moderation
from discussions.models import Post, Thread
from tests.factories import make_member, make_membership
from topics.models import Membership

TOO_FAST = "You are posting very fast: wait a minute and try again."
pytestmark = pytest.mark.usefixtures("within_one_rate_window")


@pytest.fixture(autouse=True)
def low_limits(settings):
    settings.POSTS_PER_MINUTE = 2
    settings.NEW_THREADS_PER_HOUR = 3
    settings.PREVIEWS_PER_MINUTE = 2


def reply(client, thread, body="Agreed."):
    return client.post(reverse("discussions:reply", args=[thread.pk]), {"body": body})


def start_thread(client, topic, title="Budgets", body="How do hospitals cope?"):
    url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])
    return client.post(url, {"title": title, "body": body})


def preview(client, body="Some *Markdown*."):
    return client.post(reverse("discussions:preview"), {"body": body})


# Replies


def test_a_member_can_reply_up_to_the_limit(client, member, thread):
    client.force_login(member)

    responses = [reply(client, thread, f"Reply {n}.") for n in range(2)]

    assert [response.status_code for response in responses] == [HTTPStatus.FOUND, HTTPStatus.FOUND]
    assert thread.posts.count() == 3


def test_a_reply_over_the_limit_is_refused_with_a_clear_error(client, member, thread):
    client.force_login(member)
    reply(client, thread)
    reply(client, thread)

    response = reply(client, thread, "One too many.")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert TOO_FAST in response.content.decode()


def test_a_reply_over_the_limit_keeps_its_text_in_the_form(client, member, thread):
    client.force_login(member)
    reply(client, thread)
    reply(client, thread)

    response = reply(client, thread, "Please keep *this* text.")

    assert response.context["form"]["body"].value() == "Please keep *this* text."
    assert "Please keep *this* text." in response.content.decode()


def test_a_reply_over_the_limit_stores_nothing(client, member, topic, thread):
    client.force_login(member)
    reply(client, thread)
    reply(client, thread)

    reply(client, thread, "One too many.")

    thread.refresh_from_db()
    topic.refresh_from_db()
    assert not Post.objects.filter(body="One too many.").exists()
    assert (thread.post_count, topic.post_count) == (3, 3)


def test_the_limit_is_per_member(client, member, thread):
    client.force_login(member)
    reply(client, thread)
    reply(client, thread)
    client.force_login(make_member(group=thread.topic.group))

    response = reply(client, thread)

    assert response.status_code == HTTPStatus.FOUND


def test_previewing_a_reply_does_not_count_as_posting(client, member, thread):
    client.force_login(member)
    for _ in range(3):
        client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Draft.", "preview": "1"})

    response = reply(client, thread)

    assert response.status_code == HTTPStatus.FOUND


def test_a_reply_with_form_errors_does_not_count_as_posting(client, member, thread):
    client.force_login(member)
    for _ in range(3):
        reply(client, thread, body="")

    response = reply(client, thread)

    assert response.status_code == HTTPStatus.FOUND


# New threads


def test_new_threads_count_towards_the_posts_per_minute(client, member, topic, thread):
    client.force_login(member)
    reply(client, thread)
    start_thread(client, topic)

    response = start_thread(client, topic, title="One too many")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert TOO_FAST in response.content.decode()


def test_a_new_thread_over_the_limit_keeps_its_title_and_text_and_stores_nothing(client, member, topic):
    client.force_login(member)
    start_thread(client, topic, title="First")
    start_thread(client, topic, title="Second")

    response = start_thread(client, topic, title="Third", body="Keep this opening post.")

    form = response.context["form"]
    assert (form["title"].value(), form["body"].value()) == ("Third", "Keep this opening post.")
    assert list(Thread.objects.values_list("title", flat=True).order_by("pk")) == ["First", "Second"]
    topic.refresh_from_db()
    assert (topic.thread_count, topic.post_count) == (2, 2)


def test_new_threads_are_limited_per_hour(member, settings):
    settings.POSTS_PER_MINUTE = 100
    for n in range(3):
        moderation.count_new_post(user=member, membership=None, new_thread=True, now=60.0 * n)

    with pytest.raises(moderation.RateLimited, match="many threads in the last hour"):
        moderation.count_new_post(user=member, membership=None, new_thread=True, now=60.0 * 3)


def test_a_new_thread_over_the_hourly_limit_is_refused_with_a_clear_error(client, member, topic, settings):
    settings.POSTS_PER_MINUTE = 100
    client.force_login(member)
    for n in range(3):
        start_thread(client, topic, title=f"Thread {n}")

    response = start_thread(client, topic, title="One too many")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "You have started many threads in the last hour" in response.content.decode()
    assert not Thread.objects.filter(title="One too many").exists()


def test_replies_do_not_count_towards_the_new_threads_per_hour(member, settings):
    settings.POSTS_PER_MINUTE = 100
    for n in range(10):
        moderation.count_new_post(user=member, membership=None, now=float(n))

    moderation.count_new_post(user=member, membership=None, new_thread=True, now=10.0)


# Moderators


def test_moderators_of_the_group_are_not_limited(client, moderator, topic, thread):
    client.force_login(moderator)
    responses = [reply(client, thread, f"Reply {n}.") for n in range(5)]
    responses += [start_thread(client, topic, title=f"Seeded {n}") for n in range(5)]

    assert {response.status_code for response in responses} == {HTTPStatus.FOUND}
    assert Thread.objects.filter(author=moderator).count() == 5


def test_moderating_another_group_gives_no_exemption_here(client, thread):
    busy = make_member(group=thread.topic.group)
    make_membership(user=busy, role=Membership.Role.MODERATOR)  # of some other group
    client.force_login(busy)
    reply(client, thread)
    reply(client, thread)

    response = reply(client, thread)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


# Windows


def test_the_post_limit_resets_in_the_next_minute(member):
    for second in (0.0, 30.0):
        moderation.count_new_post(user=member, membership=None, now=second)
    with pytest.raises(moderation.RateLimited):
        moderation.count_new_post(user=member, membership=None, now=59.9)

    moderation.count_new_post(user=member, membership=None, now=60.0)


def test_the_thread_limit_resets_in_the_next_hour(member, settings):
    settings.POSTS_PER_MINUTE = 100
    for n in range(3):
        moderation.count_new_post(user=member, membership=None, new_thread=True, now=float(n))

    moderation.count_new_post(user=member, membership=None, new_thread=True, now=3600.0)


def test_count_in_window_counts_each_window_separately():
    counts = [moderation.count_in_window(key="test", window=60, now=now) for now in (0.0, 1.0, 59.0, 60.0, 61.0)]

    assert counts == [1, 2, 3, 1, 2]


def test_count_in_window_keeps_separate_counts_per_key():
    moderation.count_in_window(key="one", window=60, now=0.0)

    assert moderation.count_in_window(key="two", window=60, now=0.0) == 1


# Previews


def test_previews_are_limited_per_minute(client, member):
    client.force_login(member)
    preview(client)
    preview(client)

    response = preview(client)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.content.decode() == "You are previewing very fast: wait a minute and try again."


def test_previews_under_the_limit_render(client, member):
    client.force_login(member)

    response = preview(client)

    assert response.status_code == HTTPStatus.OK
    assert response.content.decode() == "<p>Some <em>Markdown</em>.</p>"


def test_the_preview_limit_resets_in_the_next_minute(member):
    moderation.count_preview(user=member, now=0.0)
    moderation.count_preview(user=member, now=1.0)
    with pytest.raises(moderation.RateLimited):
        moderation.count_preview(user=member, now=2.0)

    moderation.count_preview(user=member, now=60.0)


def test_previews_do_not_count_towards_posting(client, member, thread):
    client.force_login(member)
    preview(client)
    preview(client)

    response = reply(client, thread)

    assert response.status_code == HTTPStatus.FOUND


def test_the_preview_button_of_a_plain_form_counts_against_the_preview_limit(client, settings, thread):
    settings.PREVIEWS_PER_MINUTE = 1
    client.force_login(thread.author)
    url = reverse("discussions:reply", args=[thread.pk])
    assert client.post(url, {"body": "Draft", "preview": "1"}).status_code == HTTPStatus.OK
    response = client.post(url, {"body": "Draft", "preview": "1"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert thread.posts.count() == 1
