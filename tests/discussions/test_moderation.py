"""Moderators keep threads in order: pin, close, rename and move them; members and outsiders cannot."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from discussions import moderation, services
from discussions.models import Thread
from tests.factories import make_membership, make_open_prompt, make_post, make_thread, make_topic, make_user
from topics.models import Membership
from topics.scheduling import close_prompt

ACTIONS = ["pin_thread", "unpin_thread", "lock_thread", "unlock_thread", "rename_thread", "move_thread"]


def url(name, thread):
    return reverse(f"discussions:{name}", args=[thread.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def other_topic(group):
    return make_topic(group=group, title="Quality control", slug="quality")


@pytest.fixture
def owner(group):
    user = make_user(username="owner", display_name="Owner")
    make_membership(group=group, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def action_data(other_topic):
    """What each action posts: a new title, or the topic to move to."""
    return {"rename_thread": {"title": "Renamed"}, "move_thread": {"topic": other_topic.pk}}


# Pin and unpin


def test_a_moderator_can_pin_a_thread(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("pin_thread", thread))

    thread.refresh_from_db()
    assert thread.is_pinned is True
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()


def test_a_moderator_can_unpin_a_thread(client, moderator, thread):
    moderation.pin_thread(thread=thread)
    client.force_login(moderator)

    client.post(url("unpin_thread", thread))

    thread.refresh_from_db()
    assert thread.is_pinned is False


def test_a_pinned_thread_is_listed_first_in_its_topic(client, moderator, topic, thread):
    later = make_thread(topic=topic, title="A newer thread")
    client.force_login(moderator)

    client.post(url("pin_thread", thread))

    assert list(Thread.objects.filter(topic=topic).by_activity()) == [thread, later]


def test_pinning_says_so_in_a_success_message(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("pin_thread", thread))

    assert messages_of(response) == ["The thread is pinned to the top of its topic."]


# Lock and unlock


def test_an_owner_can_close_a_thread_to_replies(client, owner, thread):
    client.force_login(owner)

    response = client.post(url("lock_thread", thread))

    thread.refresh_from_db()
    assert thread.is_locked is True
    assert response.url == thread.get_absolute_url()
    assert messages_of(response) == ["The thread is closed: it takes no new replies."]


def test_a_moderator_can_reopen_a_closed_thread(client, moderator, thread):
    moderation.lock_thread(thread=thread)
    client.force_login(moderator)

    response = client.post(url("unlock_thread", thread))

    thread.refresh_from_db()
    assert thread.is_locked is False
    assert messages_of(response) == ["The thread is open to replies again."]


def test_a_closed_thread_shows_the_closed_notice_and_no_reply_form(client, member, thread):
    moderation.lock_thread(thread=thread)
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    page = response.content.decode()
    assert "This thread is closed: it takes no new replies." in page
    assert url("reply", thread) not in page


def test_a_closed_thread_refuses_replies(client, member, thread):
    moderation.lock_thread(thread=thread)
    client.force_login(member)

    response = client.post(url("reply", thread), {"body": "Let me in."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert thread.posts.count() == 1


def test_closing_a_closed_thread_again_changes_nothing_and_says_so(client, moderator, thread):
    moderation.lock_thread(thread=thread)
    client.force_login(moderator)

    response = client.post(url("lock_thread", thread))

    assert messages_of(response) == ["It was already closed."]


# A prompt's thread follows its prompt


@pytest.fixture
def prompt(topic, moderator):
    return make_open_prompt(topic, author=moderator)


@pytest.mark.parametrize("action", ["lock_thread", "unlock_thread"])
def test_a_prompt_thread_cannot_be_closed_or_reopened_with_the_thread_tools(client, moderator, prompt, action):
    client.force_login(moderator)

    response = client.post(url(action, prompt.thread))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "close or reopen the prompt instead" in response.content.decode()
    assert Thread.objects.get(pk=prompt.thread_id).is_locked is False


def test_a_closed_prompt_thread_stays_closed_when_a_moderator_tries_to_unlock_it(client, moderator, prompt):
    close_prompt(prompt_id=prompt.pk, now=timezone.now())
    client.force_login(moderator)

    client.post(url("unlock_thread", prompt.thread))

    assert Thread.objects.get(pk=prompt.thread_id).is_locked is True


def test_locking_a_prompt_thread_is_refused_by_the_service_with_the_reason(prompt):
    with pytest.raises(moderation.ModerationError, match="close or reopen the prompt instead"):
        moderation.lock_thread(thread=prompt.thread)


def test_a_prompt_thread_offers_moderators_the_prompt_instead_of_a_close_button(client, moderator, prompt):
    client.force_login(moderator)

    response = client.get(prompt.thread.get_absolute_url())

    page = response.content.decode()
    assert url("lock_thread", prompt.thread) not in page
    assert reverse("topics:prompt_edit", args=[prompt.topic.group.slug, prompt.pk]) in page


def test_a_prompt_thread_can_still_be_unpinned(client, moderator, prompt):
    client.force_login(moderator)

    client.post(url("unpin_thread", prompt.thread))

    assert Thread.objects.get(pk=prompt.thread_id).is_pinned is False


# Rename


def test_a_moderator_can_rename_a_thread(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("rename_thread", thread), {"title": "  Who pays, and how much?  "})

    thread.refresh_from_db()
    assert thread.title == "Who pays, and how much?"
    assert response.url == thread.get_absolute_url()
    assert messages_of(response) == ["The thread is renamed."]


def test_renaming_to_an_empty_title_is_a_form_error(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("rename_thread", thread), {"title": "   "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the thread a title." in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).title == "Who pays for CAR-T?"


def test_renaming_to_a_title_over_200_characters_is_a_form_error(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("rename_thread", thread), {"title": "x" * 201})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Keep the title to 200 characters or fewer (it has 201)." in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).title == "Who pays for CAR-T?"


def test_a_title_of_exactly_200_characters_is_accepted(client, moderator, thread):
    client.force_login(moderator)

    client.post(url("rename_thread", thread), {"title": "x" * 200})

    assert Thread.objects.get(pk=thread.pk).title == "x" * 200


def test_a_rename_form_error_keeps_the_moderator_tools_open_with_the_typed_title(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(url("rename_thread", thread), {"title": "x" * 201})

    assert response.context["thread_tools"]["open"] is True
    assert response.context["thread_tools"]["rename_form"]["title"].value() == "x" * 201


# Move


def test_a_moderator_can_move_a_thread_to_another_topic_of_the_group(client, moderator, thread, other_topic):
    client.force_login(moderator)

    response = client.post(url("move_thread", thread), {"topic": other_topic.pk})

    thread.refresh_from_db()
    assert thread.topic == other_topic
    assert response.url == thread.get_absolute_url()
    assert messages_of(response) == ["The thread moved to Quality control."]


def test_moving_a_thread_keeps_both_topics_counts_right(client, moderator, topic, thread, other_topic):
    make_post(thread=thread)
    make_post(thread=thread)
    make_thread(topic=topic)  # stays behind, with its one post
    make_thread(topic=other_topic)
    client.force_login(moderator)

    client.post(url("move_thread", thread), {"topic": other_topic.pk})

    topic.refresh_from_db()
    other_topic.refresh_from_db()
    assert (topic.thread_count, topic.post_count) == (1, 1)
    assert (other_topic.thread_count, other_topic.post_count) == (2, 4)


def test_moving_a_thread_counts_its_removed_posts_as_publishing_did(moderator, topic, thread, other_topic):
    services.delete_post(post=make_post(thread=thread), deleted_by=moderator)

    moderation.move_thread(thread=thread, topic=other_topic)

    topic.refresh_from_db()
    other_topic.refresh_from_db()
    assert (topic.post_count, other_topic.post_count) == (0, 2)


def test_moving_a_thread_carries_its_last_activity_to_the_new_topic(topic, thread, other_topic):
    stays = services.start_thread(
        topic=topic, author=thread.author, title="Older", body="Old.", now=timezone.now() - timedelta(days=2)
    )
    services.start_thread(
        topic=other_topic, author=thread.author, title="Oldest", body="Older.", now=timezone.now() - timedelta(days=5)
    )
    thread.refresh_from_db()

    moderation.move_thread(thread=thread, topic=other_topic)

    topic.refresh_from_db()
    other_topic.refresh_from_db()
    assert topic.last_activity_at == stays.last_activity_at
    assert other_topic.last_activity_at == thread.last_activity_at


def test_moving_a_prompt_thread_moves_its_prompt_too(moderator, prompt, other_topic):
    moderation.move_thread(thread=prompt.thread, topic=other_topic)

    prompt.refresh_from_db()
    assert prompt.topic == other_topic
    assert prompt.thread.topic == other_topic


def test_moving_a_thread_to_its_own_topic_changes_nothing(topic, thread):
    assert moderation.move_thread(thread=thread, topic=topic) is False

    topic.refresh_from_db()
    assert (topic.thread_count, topic.post_count) == (1, 1)


def test_a_thread_cannot_move_to_a_topic_of_another_group(client, moderator, thread):
    elsewhere = make_topic(title="Elsewhere")
    client.force_login(moderator)

    response = client.post(url("move_thread", thread), {"topic": elsewhere.pk})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose another topic of this group." in response.content.decode()
    assert Thread.objects.get(pk=thread.pk).topic_id == thread.topic_id
    elsewhere.refresh_from_db()
    assert elsewhere.thread_count == 0


def test_the_move_service_refuses_a_topic_of_another_group(thread):
    with pytest.raises(moderation.ModerationError):
        moderation.move_thread(thread=thread, topic=make_topic())


def test_moving_without_choosing_a_topic_is_a_form_error(client, moderator, thread, other_topic):
    client.force_login(moderator)

    response = client.post(url("move_thread", thread), {})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose the topic to move the thread to." in response.content.decode()


def test_the_move_form_offers_only_the_groups_other_topics(client, moderator, topic, thread, other_topic):
    make_topic(title="Another group's topic")
    client.force_login(moderator)

    response = client.get(thread.get_absolute_url())

    assert response.context["thread_tools"]["move_form"].fields["topic"].choices == [
        (other_topic.pk, "Quality control")
    ]


def test_a_group_with_one_topic_offers_no_move_form(client, moderator, thread):
    client.force_login(moderator)

    response = client.get(thread.get_absolute_url())

    assert url("move_thread", thread) not in response.content.decode()


# Who may use the tools


def test_moderators_see_the_thread_tools(client, moderator, thread):
    client.force_login(moderator)

    response = client.get(thread.get_absolute_url())

    assert "Moderate this thread" in response.content.decode()


def test_members_do_not_see_the_thread_tools(client, member, thread):
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    assert response.context["thread_tools"] is None
    assert "Moderate this thread" not in response.content.decode()


@pytest.mark.parametrize("action", ACTIONS)
def test_members_may_not_use_the_thread_tools(client, member, thread, action, action_data):
    client.force_login(member)

    response = client.post(url(action, thread), action_data.get(action, {}))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Thread.objects.filter(pk=thread.pk, title="Who pays for CAR-T?", topic=thread.topic_id).exists()
    assert Thread.objects.filter(pk=thread.pk, is_pinned=False, is_locked=False).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_outsiders_of_a_public_group_may_not_use_the_thread_tools(client, outsider, thread, action):
    client.force_login(outsider)

    response = client.post(url(action, thread))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("action", ACTIONS)
def test_outsiders_of_a_private_group_get_a_404_from_the_thread_tools(client, outsider, private_thread, action):
    client.force_login(outsider)

    response = client.post(url(action, private_thread))

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("action", ACTIONS)
def test_a_moderator_of_another_group_may_not_use_the_thread_tools(client, thread, action):
    other_moderator = make_user()
    make_membership(user=other_moderator, role=Membership.Role.MODERATOR)
    client.force_login(other_moderator)

    response = client.post(url(action, thread))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in_by_the_thread_tools(client, thread, action):
    response = client.post(url(action, thread))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("action", ACTIONS)
def test_the_thread_tools_refuse_get_requests(client, moderator, thread, action):
    client.force_login(moderator)

    response = client.get(url(action, thread))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Thread.objects.filter(pk=thread.pk, is_pinned=False, is_locked=False).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_every_thread_tool_redirects_a_moderator_back_to_the_thread_with_a_message(
    client, moderator, thread, action, action_data
):
    client.force_login(moderator)

    response = client.post(url(action, thread), action_data.get(action, {}))

    thread.refresh_from_db()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()
    assert len(messages_of(response)) == 1
