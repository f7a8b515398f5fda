"""A new-thread or reply form sent twice (a double click, a second tab, back and resend) stores once."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions.models import Post, Thread
from tests import factories


@pytest.fixture
def thread(topic, moderator):
    return factories.make_thread(topic=topic, author=moderator, title="Reimbursement in 2027")


def token_in(page) -> str:
    return re.search(r'name="submission_token" value="([0-9a-f]{32})"', page.content.decode()).group(1)


def reply_url(thread) -> str:
    return reverse("discussions:reply", args=[thread.pk])


def new_thread_url(topic) -> str:
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


def test_a_reply_sent_twice_from_the_same_form_is_stored_once(client, thread, member):
    client.force_login(member)
    form = {"body": "Agreed.", "submission_token": token_in(client.get(thread.get_absolute_url()))}
    client.post(reply_url(thread), form)
    client.post(reply_url(thread), form)
    assert Post.objects.filter(thread=thread, author=member).count() == 1


def test_a_repeated_reply_is_sent_to_the_post_the_first_one_stored(client, thread, member):
    client.force_login(member)
    form = {"body": "Agreed.", "submission_token": token_in(client.get(thread.get_absolute_url()))}
    first = client.post(reply_url(thread), form)
    repeat = client.post(reply_url(thread), form)
    assert repeat.status_code == HTTPStatus.FOUND
    assert repeat["Location"] == first["Location"]


def test_a_new_thread_sent_twice_from_the_same_form_is_stored_once(client, topic, member):
    client.force_login(member)
    token = token_in(client.get(new_thread_url(topic)))
    form = {"title": "Price cuts", "body": "What happened?", "submission_token": token}
    first = client.post(new_thread_url(topic), form)
    repeat = client.post(new_thread_url(topic), form)
    assert Thread.objects.filter(topic=topic, title="Price cuts").count() == 1
    assert repeat["Location"] == first["Location"]


def test_every_rendering_of_the_reply_form_carries_a_new_token(client, thread, member):
    client.force_login(member)
    assert token_in(client.get(thread.get_absolute_url())) != token_in(client.get(thread.get_absolute_url()))


def test_two_replies_from_two_renderings_of_the_form_are_both_stored(client, thread, member):
    client.force_login(member)
    for body in ["First thought.", "Second thought."]:
        token = token_in(client.get(thread.get_absolute_url()))
        client.post(reply_url(thread), {"body": body, "submission_token": token})
    assert Post.objects.filter(thread=thread, author=member).count() == 2


def test_a_refused_reply_does_not_use_up_its_form(client, thread, member):
    client.force_login(member)
    token = token_in(client.get(thread.get_absolute_url()))
    refused = client.post(reply_url(thread), {"body": "", "submission_token": token})
    client.post(reply_url(thread), {"body": "Now with words.", "submission_token": token})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert Post.objects.filter(thread=thread, author=member).count() == 1


def test_a_previewed_reply_is_stored_when_sent_with_the_same_token(client, thread, member):
    client.force_login(member)
    token = token_in(client.get(thread.get_absolute_url()))
    client.post(reply_url(thread), {"body": "Draft.", "preview": "1", "submission_token": token})
    client.post(reply_url(thread), {"body": "Draft.", "submission_token": token})
    assert Post.objects.filter(thread=thread, author=member).count() == 1
