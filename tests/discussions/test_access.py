"""Who may read and write where: public groups are read by all, private groups are invisible outside."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import services
from discussions.models import Thread
from tests.factories import make_post


def reply_url(thread):
    return reverse("discussions:reply", args=[thread.pk])


def new_thread_url(topic):
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


def login_url(next_url):
    return f"{reverse('account_login')}?next={next_url}"


@pytest.fixture(params=["anonymous", "outsider"])
def stranger_client(request, client):
    """A client for someone outside the group: nobody logged in, or a logged-in non-member."""
    if request.param == "outsider":
        client.force_login(request.getfixturevalue("outsider"))
    return client


# Public groups


def test_anonymous_visitors_can_read_a_public_thread(client, thread):
    response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "Opening thoughts." in response.content.decode()


def test_anonymous_visitors_see_no_reply_form(client, thread):
    response = client.get(thread.get_absolute_url())

    assert response.context["can_reply"] is False
    assert reply_url(thread) not in response.content.decode()


def test_anonymous_visitors_can_follow_a_permalink_in_a_public_group(client, thread):
    response = client.get(thread.posts.get().get_absolute_url())

    assert response.status_code == HTTPStatus.FOUND


def test_anonymous_visitors_can_read_a_public_topic_page(client, thread):
    response = client.get(thread.topic.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "Who pays for CAR-T?" in response.content.decode()


def test_an_anonymous_reply_redirects_to_log_in(client, thread):
    response = client.post(reply_url(thread), {"body": "Drive-by."})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == login_url(reply_url(thread))


def test_an_anonymous_reply_stores_nothing(client, thread):
    client.post(reply_url(thread), {"body": "Drive-by."})

    assert thread.posts.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_to_start_a_thread(client, topic):
    response = client.get(new_thread_url(topic))

    assert response.url == login_url(new_thread_url(topic))


def test_an_anonymous_new_thread_stores_nothing(client, topic):
    client.post(new_thread_url(topic), {"title": "Spam", "body": "Buy now."})

    assert not Thread.objects.exists()


def test_an_outsider_can_read_a_public_thread(client, thread, outsider):
    client.force_login(outsider)

    response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert response.context["can_reply"] is False


def test_an_outsider_cannot_reply_in_a_public_group(client, thread, outsider):
    client.force_login(outsider)

    response = client.post(reply_url(thread), {"body": "Let me in."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert thread.posts.count() == 1


def test_an_outsider_cannot_open_the_new_thread_page(client, topic, outsider):
    client.force_login(outsider)

    response = client.get(new_thread_url(topic))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_outsider_cannot_start_a_thread(client, topic, outsider):
    client.force_login(outsider)

    response = client.post(new_thread_url(topic), {"title": "Hello", "body": "Let me in."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.exists()


def test_an_outsider_cannot_preview_through_the_reply_form(client, thread, outsider):
    client.force_login(outsider)

    response = client.post(reply_url(thread), {"body": "Let me in.", "preview": "1"})

    assert response.status_code == HTTPStatus.FORBIDDEN


# Private groups


def test_a_private_thread_is_not_found_by_strangers(stranger_client, private_thread):
    response = stranger_client.get(private_thread.get_absolute_url())

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_thread_short_address_is_not_found_by_strangers(stranger_client, private_thread):
    response = stranger_client.get(reverse("discussions:thread_short", args=[private_thread.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_permalink_is_not_found_by_strangers(stranger_client, private_thread):
    response = stranger_client.get(private_thread.posts.get().get_absolute_url())

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_topic_page_is_not_found_by_strangers(stranger_client, private_topic):
    response = stranger_client.get(private_topic.get_absolute_url())

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_new_thread_page_is_not_found_by_an_outsider(client, private_topic, outsider):
    client.force_login(outsider)

    response = client.get(new_thread_url(private_topic))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_new_thread_page_sends_anonymous_visitors_to_log_in_like_a_missing_one(client, private_topic):
    # Logging in comes first, so the redirect is the same whether or not the group exists: it reveals nothing.
    missing_url = reverse("discussions:new_thread", args=["no-such-group", "no-such-topic"])

    response = client.get(new_thread_url(private_topic))

    assert response.url == login_url(new_thread_url(private_topic))
    assert client.get(missing_url).url == login_url(missing_url)


def test_an_outsider_replying_in_a_private_group_is_not_found(client, private_thread, outsider):
    client.force_login(outsider)

    response = client.post(reply_url(private_thread), {"body": "Let me in."})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert private_thread.posts.count() == 1


@pytest.mark.parametrize("url_name", ["discussions:edit_post", "discussions:delete_post", "discussions:post_revisions"])
def test_an_outsider_managing_a_private_post_is_not_found(client, private_thread, outsider, url_name):
    client.force_login(outsider)

    response = client.get(reverse(url_name, args=[private_thread.posts.get().pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_member_of_a_private_group_can_read_its_threads(client, private_thread, private_member):
    client.force_login(private_member)

    response = client.get(private_thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "Confidential." in response.content.decode()


def test_a_member_of_a_private_group_can_reply(client, private_thread, private_member):
    client.force_login(private_member)

    client.post(reply_url(private_thread), {"body": "Noted."})

    assert private_thread.posts.count() == 2


def test_a_private_thread_is_hidden_from_visible_to_for_strangers(private_thread, outsider):
    assert not Thread.objects.visible_to(outsider).exists()


def test_a_private_thread_is_listed_by_visible_to_for_its_members(private_thread, private_member):
    assert list(Thread.objects.visible_to(private_member)) == [private_thread]


# Locked threads and methods


def test_a_locked_thread_refuses_replies(client, thread, member):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "Too late."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert thread.posts.count() == 1


def test_a_locked_thread_refuses_replies_from_moderators_too(client, thread, moderator):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    client.force_login(moderator)

    response = client.post(reply_url(thread), {"body": "Too late."})

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_locked_thread_shows_no_reply_form(client, thread, member):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    assert response.context["can_reply"] is False
    assert "This thread is closed" in response.content.decode()


def test_getting_the_reply_address_leads_to_the_reply_box(client, thread, member):
    # Where a login interrupted a reply returns to (?next=): never a blank 405 (issue 9, item 2).
    client.force_login(member)

    response = client.get(reply_url(thread))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{thread.get_absolute_url()}#reply"


def test_getting_the_reply_address_leads_anonymous_visitors_to_the_thread_too(client, thread):
    response = client.get(reply_url(thread))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{thread.get_absolute_url()}#reply"


def test_a_removed_post_is_still_reachable_by_its_permalink(client, thread, member):
    post = make_post(thread=thread)
    services.delete_post(post=post, deleted_by=member)

    response = client.get(post.get_absolute_url())

    assert response.status_code == HTTPStatus.FOUND
