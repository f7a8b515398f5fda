"""Slow mode per thread and the group's limits for new members, through the real reply and new-thread views."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from discussions import moderation
from discussions.models import Post, Thread
from tests import factories
from topics.audit import AuditAction, AuditEntry
from topics.models import Group, Membership


def reply_url(thread) -> str:
    return reverse("discussions:reply", args=[thread.pk])


def new_thread_url(topic) -> str:
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


def age_posts(user, by: timedelta) -> None:
    """Move the user's posts back in time, as if written `by` ago."""
    Post.objects.filter(author=user).update(created_at=timezone.now() - by)


def make_old_member(group):
    """A member who joined a week ago: past their first day."""
    user = factories.make_member(group=group)
    Membership.objects.filter(user=user).update(joined_at=timezone.now() - timedelta(days=7))
    return user


@pytest.fixture
def thread(topic, moderator):
    return factories.make_thread(topic=topic, author=moderator, title="Hospital budgets")


@pytest.fixture
def slow_thread(thread):
    Thread.objects.filter(pk=thread.pk).update(slow_mode_minutes=10)
    thread.refresh_from_db()
    return thread


# Moderators set slow mode from the thread's tools


def test_a_moderator_turns_on_slow_mode_from_the_thread_tools(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(reverse("discussions:set_slow_mode", args=[thread.pk]), {"minutes": "15"})

    assert response.status_code == HTTPStatus.FOUND
    thread.refresh_from_db()
    assert thread.slow_mode_minutes == 15


def test_setting_slow_mode_is_written_to_the_moderation_log(client, group, moderator, thread):
    client.force_login(moderator)

    client.post(reverse("discussions:set_slow_mode", args=[thread.pk]), {"minutes": "15"})

    entry = AuditEntry.objects.get(action=AuditAction.SLOW_MODE)
    assert (entry.group, entry.actor, entry.thread) == (group, moderator, thread)


def test_a_moderator_turns_slow_mode_off(client, moderator, slow_thread):
    client.force_login(moderator)

    client.post(reverse("discussions:set_slow_mode", args=[slow_thread.pk]), {"minutes": ""})

    slow_thread.refresh_from_db()
    assert slow_thread.slow_mode_minutes is None


def test_an_interval_not_offered_is_a_form_error(client, moderator, thread):
    client.force_login(moderator)

    response = client.post(reverse("discussions:set_slow_mode", args=[thread.pk]), {"minutes": "7"})

    assertContains(response, "Choose one of the offered intervals.", status_code=HTTPStatus.BAD_REQUEST)
    thread.refresh_from_db()
    assert thread.slow_mode_minutes is None


def test_a_member_cannot_set_slow_mode(client, member, thread):
    client.force_login(member)

    response = client.post(reverse("discussions:set_slow_mode", args=[thread.pk]), {"minutes": "15"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    thread.refresh_from_db()
    assert thread.slow_mode_minutes is None


def test_the_thread_page_says_slow_mode_is_on(client, member, slow_thread):
    client.force_login(member)

    assertContains(client.get(slow_thread.get_absolute_url()), "Slow mode: one post per member every 10 minutes")


# Slow mode refuses a member's second post within the interval


def test_a_second_reply_within_the_slow_mode_interval_is_refused_and_not_stored(client, member, slow_thread):
    client.force_login(member)
    client.post(reply_url(slow_thread), {"body": "First point."})

    response = client.post(reply_url(slow_thread), {"body": "Second point."})

    assertContains(response, "Slow mode is on in this thread", status_code=HTTPStatus.TOO_MANY_REQUESTS)
    assert list(Post.objects.filter(author=member).values_list("body", flat=True)) == ["First point."]


def test_the_refusal_says_how_many_minutes_to_wait(client, member, slow_thread):
    client.force_login(member)
    client.post(reply_url(slow_thread), {"body": "First point."})
    age_posts(member, timedelta(minutes=7))

    response = client.post(reply_url(slow_thread), {"body": "Second point."})

    assertContains(response, "again in 3 minutes", status_code=HTTPStatus.TOO_MANY_REQUESTS)


def test_a_reply_after_the_slow_mode_interval_is_accepted(client, member, slow_thread):
    client.force_login(member)
    client.post(reply_url(slow_thread), {"body": "First point."})
    age_posts(member, timedelta(minutes=10))

    response = client.post(reply_url(slow_thread), {"body": "Second point."})

    assert response.status_code == HTTPStatus.FOUND
    assert Post.objects.filter(author=member).count() == 2


def test_slow_mode_counts_each_member_separately(client, group, member, slow_thread):
    client.force_login(member)
    client.post(reply_url(slow_thread), {"body": "First point."})
    client.force_login(factories.make_member(group=group))

    assert client.post(reply_url(slow_thread), {"body": "My view."}).status_code == HTTPStatus.FOUND


def test_moderators_are_exempt_from_slow_mode(client, moderator, slow_thread):
    client.force_login(moderator)
    client.post(reply_url(slow_thread), {"body": "Welcome, all."})

    response = client.post(reply_url(slow_thread), {"body": "One more note."})

    assert response.status_code == HTTPStatus.FOUND


def test_slow_mode_reads_the_last_post_from_the_database_so_every_process_agrees(member, slow_thread):
    now = timezone.now()
    factories.make_post(thread=slow_thread, author=member)
    membership = Membership.objects.get(user=member)

    with pytest.raises(moderation.RateLimited):
        moderation.check_slow_mode(thread=slow_thread, user=member, membership=membership, now=now)
    moderation.check_slow_mode(
        thread=slow_thread, user=member, membership=membership, now=now + timedelta(minutes=11)
    )


# Limits for new members, set per group


def test_moderators_set_the_new_member_limits_in_the_group_settings(client, group, moderator):
    client.force_login(moderator)
    data = {
        "name": group.name,
        "description": group.description,
        "visibility": group.visibility,
        "membership_questions": group.membership_questions,
        "timezone": group.timezone,
        "evidence_stale_after_days": group.evidence_stale_after_days,
        "new_member_post_limit": "3",
        "new_member_link_limit": "1",
    }

    client.post(reverse("topics:group_settings", args=[group.slug]), data)

    group.refresh_from_db()
    assert (group.new_member_post_limit, group.new_member_link_limit) == (3, 1)


def limit_new_members(group, *, posts=None, links=None):
    Group.objects.filter(pk=group.pk).update(new_member_post_limit=posts, new_member_link_limit=links)


def test_a_new_member_past_the_first_day_post_limit_is_refused_and_nothing_is_stored(client, group, thread):
    limit_new_members(group, posts=2)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)
    for body in ("One.", "Two."):
        client.post(reply_url(thread), {"body": body})

    response = client.post(reply_url(thread), {"body": "Three."})

    assertContains(response, "first day in this group", status_code=HTTPStatus.TOO_MANY_REQUESTS)
    assert Post.objects.filter(author=newcomer).count() == 2


def test_the_post_limit_covers_new_threads_too(client, group, topic, thread):
    limit_new_members(group, posts=1)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)
    client.post(reply_url(thread), {"body": "One."})

    response = client.post(new_thread_url(topic), {"title": "My own thread", "body": "Two."})

    assertContains(response, "first day in this group", status_code=HTTPStatus.TOO_MANY_REQUESTS)
    assert not Thread.objects.filter(author=newcomer).exists()


def test_the_post_limit_ends_after_the_first_day(client, group, thread):
    limit_new_members(group, posts=1)
    member = make_old_member(group)
    client.force_login(member)
    client.post(reply_url(thread), {"body": "One."})

    assert client.post(reply_url(thread), {"body": "Two."}).status_code == HTTPStatus.FOUND


def test_a_new_members_post_with_too_many_links_is_refused_and_not_stored(client, group, thread):
    limit_new_members(group, links=1)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)

    response = client.post(
        reply_url(thread), {"body": "Cheap: [here](https://spam.example) and https://spam.com/also"}
    )

    assertContains(response, "at most 1 link in a post; this one has 2", status_code=HTTPStatus.BAD_REQUEST)
    assert not Post.objects.filter(author=newcomer).exists()


def test_a_new_thread_with_too_many_links_is_refused(client, group, topic):
    limit_new_members(group, links=0)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)

    response = client.post(new_thread_url(topic), {"title": "Deals", "body": "See <https://spam.example>"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Thread.objects.filter(author=newcomer).exists()


def test_links_in_code_are_not_counted(group):
    assert moderation.count_links("`https://a.example` and\n\n    https://b.example\n") == 0


def test_a_post_within_the_link_limit_is_accepted(client, group, thread):
    limit_new_members(group, links=1)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)

    response = client.post(reply_url(thread), {"body": "Source: https://www.nmpa.gov.cn/approval"})

    assert response.status_code == HTTPStatus.FOUND


def test_moderators_are_exempt_from_the_new_member_limits(client, group, thread):
    limit_new_members(group, posts=0, links=0)
    new_moderator = factories.make_moderator(group=group)
    client.force_login(new_moderator)

    response = client.post(reply_url(thread), {"body": "Rules: https://example.org/rules and https://example.org/faq"})

    assert response.status_code == HTTPStatus.FOUND


def test_a_new_member_cannot_add_links_past_the_limit_by_editing(client, group, thread):
    limit_new_members(group, links=0)
    newcomer = factories.make_member(group=group)
    client.force_login(newcomer)
    client.post(reply_url(thread), {"body": "Plain words."})
    post = Post.objects.get(author=newcomer)

    response = client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": "Now see https://spam.com"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    post.refresh_from_db()
    assert post.body == "Plain words."
