"""A role badge beside staff names in a group's pages, so that a look-alike name cannot pass for staff."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from discussions import notifications, services
from discussions.models import Notification
from tests import factories
from topics import outcomes
from topics.models import Membership

MODERATOR_BADGE = '<span class="role-badge role-badge--moderator">Moderator</span>'
OWNER_BADGE = '<span class="role-badge role-badge--owner">Owner</span>'


@pytest.fixture
def moderators_thread(topic, moderator):
    return factories.make_thread(topic=topic, author=moderator, title="Ground rules")


def test_a_moderators_post_carries_the_moderator_badge(client, moderators_thread, member):
    client.force_login(member)

    response = client.get(moderators_thread.get_absolute_url())

    assertContains(response, MODERATOR_BADGE, count=1)


def test_a_members_post_carries_no_badge(client, topic, member):
    thread = factories.make_thread(topic=topic, author=member)

    response = client.get(thread.get_absolute_url())

    assertNotContains(response, "role-badge")


def test_an_owners_post_carries_the_owner_badge(client, group, topic):
    owner = factories.make_membership(group=group, role=Membership.Role.OWNER).user
    thread = factories.make_thread(topic=topic, author=owner)

    response = client.get(thread.get_absolute_url())

    assertContains(response, OWNER_BADGE, count=1)


def test_a_look_alike_member_gets_no_badge_beside_the_real_moderator(client, topic, moderator):
    # A Cyrillic о, stored by a factory as if the name had been taken before the look-alike check.
    impostor = factories.make_member(group=topic.group, display_name="Dr Moderat\u043er")
    thread = factories.make_thread(topic=topic, author=moderator)
    services.publish_post(thread=thread, author=impostor, body="Trust me.")

    response = client.get(thread.get_absolute_url())

    assertContains(response, MODERATOR_BADGE, count=1)


def test_the_thread_list_shows_who_started_a_thread_as_a_moderator(client, moderators_thread):
    topic = moderators_thread.topic

    response = client.get(reverse("topics:topic", args=[topic.group.slug, topic.slug]))

    assertContains(response, MODERATOR_BADGE, count=1)


def test_the_member_list_badges_owners_and_moderators(client, group, moderator, member):
    factories.make_membership(group=group, role=Membership.Role.OWNER)
    client.force_login(member)

    response = client.get(reverse("topics:members", args=[group.slug]))

    assertContains(response, MODERATOR_BADGE, count=1)
    assertContains(response, OWNER_BADGE, count=1)


def test_an_outcome_shows_its_writer_as_a_moderator(client, topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator)
    outcomes.save_outcome(prompt=prompt, topic=topic, author=moderator, now=prompt.published_at, takeaways="Done.")

    response = client.get(prompt.thread.get_absolute_url())

    assertContains(response, f"Written by Dr Moderator {MODERATOR_BADGE}")


def reply_notification(thread, *, to, by) -> Notification:
    post = services.publish_post(thread=thread, author=by, body="Welcome.")
    return Notification.objects.create(
        user=to, kind=Notification.Kind.REPLY, actor=by, group=thread.topic.group, thread=thread, post=post
    )


def test_a_notification_from_a_moderator_carries_the_badge(client, moderators_thread, member):
    reply_notification(moderators_thread, to=member, by=moderators_thread.author)
    client.force_login(member)

    response = client.get(reverse("discussions:notifications"))

    assertContains(response, MODERATOR_BADGE, count=1)


def test_a_profile_shows_the_groups_a_person_moderates(client, group, moderator):
    response = client.get(reverse("profile", args=[moderator.username]))

    assertContains(response, f"{group.name}</a> {MODERATOR_BADGE}")


def test_no_badge_shows_where_the_chatham_house_rule_hides_the_author(client, topic, moderator, member):
    prompt = factories.make_open_prompt(topic, author=moderator, chatham_house=True)
    services.publish_post(thread=prompt.thread, author=moderator, body="Said under the rule.")
    client.force_login(member)

    response = client.get(prompt.thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assertNotContains(response, "role-badge")


def test_no_badge_in_a_notification_that_hides_its_author(topic, moderator, member):
    prompt = factories.make_open_prompt(topic, author=moderator, chatham_house=True)
    reply_notification(prompt.thread, to=member, by=moderator)

    [item] = notifications.describe(Notification.objects.filter(user=member, post__isnull=False), user=member)

    assert item.actor_role is None


def test_the_review_queue_badges_a_flagged_moderators_post(client, group, moderators_thread, member):
    from discussions.models import Flag

    post = moderators_thread.posts.get()
    Flag.objects.create(post=post, flagged_by=member, reason=Flag.Reason.SPAM)
    client.force_login(moderators_thread.author)

    response = client.get(reverse("discussions:review_queue", args=[group.slug]))

    assertContains(response, MODERATOR_BADGE)
