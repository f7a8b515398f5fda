"""Bad input is shown back with an error (400) and nothing is stored."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions.models import Post, Thread

TOO_LONG_BODY = "x" * 50_001
TOO_LONG_TITLE = "t" * 201


def reply_url(thread):
    return reverse("discussions:reply", args=[thread.pk])


def new_thread_url(topic):
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def test_a_thread_without_a_title_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "", "body": "Some thoughts."})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the thread a title." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_thread_with_a_blank_title_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "   ", "body": "Some thoughts."})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the thread a title." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_thread_title_over_200_characters_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": TOO_LONG_TITLE, "body": "Some thoughts."})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Ensure this value has at most 200 characters (it has 201)." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_thread_title_of_200_characters_is_accepted(member_client, topic):
    member_client.post(new_thread_url(topic), {"title": "t" * 200, "body": "Some thoughts."})

    assert Thread.objects.get().title == "t" * 200


def test_a_thread_without_an_opening_post_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "Budgets", "body": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write the opening post." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_thread_with_a_whitespace_opening_post_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "Budgets", "body": " \n\t "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write the opening post." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_thread_with_an_opening_post_over_50000_characters_is_refused(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "Budgets", "body": TOO_LONG_BODY})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Ensure this value has at most 50000 characters (it has 50001)." in response.content.decode()
    assert not Thread.objects.exists()


def test_a_refused_thread_keeps_the_topic_counts(member_client, topic):
    member_client.post(new_thread_url(topic), {"title": "", "body": ""})

    topic.refresh_from_db()
    assert (topic.thread_count, topic.post_count, topic.last_activity_at) == (0, 0, None)


def test_a_refused_thread_keeps_what_was_typed(member_client, topic):
    response = member_client.post(new_thread_url(topic), {"title": "", "body": "Keep these words."})

    assert "Keep these words." in response.content.decode()


def test_an_empty_reply_is_refused(member_client, thread):
    response = member_client.post(reply_url(thread), {"body": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write something before posting." in response.content.decode()
    assert thread.posts.count() == 1


def test_a_whitespace_reply_is_refused(member_client, thread):
    response = member_client.post(reply_url(thread), {"body": "  \n \n  "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write something before posting." in response.content.decode()
    assert thread.posts.count() == 1


def test_a_reply_over_50000_characters_is_refused(member_client, thread):
    response = member_client.post(reply_url(thread), {"body": TOO_LONG_BODY})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Ensure this value has at most 50000 characters (it has 50001)." in response.content.decode()
    assert thread.posts.count() == 1


def test_a_reply_of_50000_characters_is_accepted(member_client, thread):
    member_client.post(reply_url(thread), {"body": "x" * 50_000})

    assert len(thread.posts.get(number=2).body) == 50_000


def test_a_refused_reply_keeps_the_thread_counts(member_client, thread):
    member_client.post(reply_url(thread), {"body": ""})

    thread.refresh_from_db()
    assert thread.post_count == 1


def test_a_reply_to_a_thread_that_does_not_exist_is_not_found(member_client, db):
    response = member_client.post(reverse("discussions:reply", args=[404404]), {"body": "Hello?"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Post.objects.exists()


def test_a_new_thread_in_a_topic_that_does_not_exist_is_not_found(member_client, group):
    response = member_client.get(reverse("discussions:new_thread", args=[group.slug, "no-such-topic"]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_an_empty_edit_is_refused(member_client, thread):
    post = thread.posts.get()

    response = member_client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": "   "})

    post.refresh_from_db()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write something before posting." in response.content.decode()
    assert post.body == "Opening thoughts."
    assert not post.revisions.exists()


def test_an_edit_over_50000_characters_is_refused(member_client, thread):
    post = thread.posts.get()

    response = member_client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": TOO_LONG_BODY})

    post.refresh_from_db()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert post.body == "Opening thoughts."


def test_a_preview_over_50000_characters_is_refused(member_client):
    response = member_client.post(reverse("discussions:preview"), {"body": TOO_LONG_BODY})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "Ensure this value has at most 50000 characters (it has 50001)."
