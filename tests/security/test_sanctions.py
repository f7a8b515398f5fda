"""Suspensions and bans (topics.sanctions) through the real views, and site staff deactivating an account."""

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from discussions import notifications
from discussions.models import Notification, Post, Subscription, Thread
from tests import factories
from topics import polls, sanctions
from topics import services as topic_services
from topics.access import require_member
from topics.audit import AuditAction, AuditEntry
from topics.models import Membership, Sanction, Vote

REASON = "Repeated personal attacks after a warning."


def membership(group, user) -> Membership:
    return Membership.objects.select_related("suspension", "user", "group").get(group=group, user=user)


def suspend(group, user, by, *, days=3, now=None, reason=REASON):
    now = now or timezone.now()
    return sanctions.suspend_member(
        membership=membership(group, user), actor=membership(group, by), ends_at=now + timedelta(days=days),
        reason=reason, now=now,
    )


def ban(group, user, by, *, reason=REASON):
    return sanctions.ban_member(membership=membership(group, user), actor=membership(group, by), reason=reason,
                                now=timezone.now())


def sanction_url(group, user) -> str:
    return reverse("topics:sanction_member", args=[group.slug, membership(group, user).pk])


def reply_url(thread) -> str:
    return reverse("discussions:reply", args=[thread.pk])


@pytest.fixture
def thread(topic, moderator):
    return factories.make_thread(topic=topic, author=moderator, title="Pricing in tier-2 cities")


# Moderators suspend and ban from the member list


def test_a_moderator_suspends_a_member_for_three_days_from_the_member_list(client, group, moderator, member):
    client.force_login(moderator)
    before = timezone.now()

    response = client.post(sanction_url(group, member), {"duration": "3d", "reason": REASON})

    assert response.status_code == HTTPStatus.FOUND
    suspension = membership(group, member).active_suspension()
    assert suspension.reason == REASON and suspension.created_by == moderator
    assert before + timedelta(days=3) <= suspension.ends_at <= timezone.now() + timedelta(days=3)


def test_a_suspension_is_written_to_the_moderation_log_with_its_reason(client, group, moderator, member):
    client.force_login(moderator)

    client.post(sanction_url(group, member), {"duration": "7d", "reason": REASON})

    entry = AuditEntry.objects.get(action=AuditAction.SUSPEND)
    assert (entry.group, entry.actor, entry.target_user, entry.reason) == (group, moderator, member, REASON)


def test_a_suspension_until_a_date_ends_as_that_day_begins_on_the_groups_clock(client, group, moderator, member):
    group.timezone = "Asia/Shanghai"
    group.save()
    client.force_login(moderator)
    until = timezone.localdate() + timedelta(days=10)

    client.post(sanction_url(group, member), {"duration": "until", "until": until.isoformat(), "reason": REASON})

    ends_at = membership(group, member).active_suspension().ends_at
    assert ends_at == datetime.combine(until, datetime.min.time(), tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_suspension_until_a_past_date_is_refused_and_nothing_is_stored(client, group, moderator, member):
    client.force_login(moderator)

    response = client.post(
        sanction_url(group, member), {"duration": "until", "until": "2001-01-01", "reason": REASON}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assertContains(response, "Give a date in the future.", status_code=HTTPStatus.BAD_REQUEST)
    assert not Sanction.objects.exists() and not AuditEntry.objects.exists()


def test_a_suspension_without_a_reason_is_refused_and_nothing_is_stored(client, group, moderator, member):
    client.force_login(moderator)

    response = client.post(sanction_url(group, member), {"duration": "1d", "reason": "  "})

    assertContains(response, "Give a reason", status_code=HTTPStatus.BAD_REQUEST)
    assert not Sanction.objects.exists()


def test_a_member_cannot_suspend_another_member(client, group, member):
    other = factories.make_member(group=group)
    client.force_login(member)

    response = client.post(sanction_url(group, other), {"duration": "1d", "reason": REASON})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Sanction.objects.exists()


def test_a_moderator_cannot_suspend_another_moderator(client, group, moderator):
    other = factories.make_moderator(group=group)
    client.force_login(moderator)

    response = client.post(sanction_url(group, other), {"duration": "1d", "reason": REASON})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Sanction.objects.exists()


def test_an_owner_makes_a_moderator_a_member_before_suspending_them(client, group, moderator):
    owner = factories.make_membership(group=group, role=Membership.Role.OWNER).user
    client.force_login(owner)

    response = client.post(sanction_url(group, moderator), {"duration": "1d", "reason": REASON})

    assertContains(response, "Make this moderator a member first", status_code=HTTPStatus.BAD_REQUEST)
    assert not Sanction.objects.exists()


def test_an_owner_cannot_be_suspended(client, group):
    owner, other_owner = (factories.make_membership(group=group, role=Membership.Role.OWNER).user for _ in range(2))
    client.force_login(owner)

    response = client.post(sanction_url(group, other_owner), {"duration": "1d", "reason": REASON})

    assertContains(response, "An owner cannot be suspended or banned.", status_code=HTTPStatus.BAD_REQUEST)
    assert not Sanction.objects.exists()


def test_moderators_see_the_sanctions_in_force_with_a_lift_button(client, group, moderator, member):
    suspend(group, member, moderator)
    client.force_login(moderator)

    response = client.get(reverse("topics:members", args=[group.slug]))

    assertContains(response, REASON)
    assertContains(response, reverse("topics:lift_sanction", args=[group.slug, Sanction.objects.get().pk]))


def test_members_do_not_see_the_sanctions_or_their_reasons(client, group, moderator, member):
    suspend(group, member, moderator)
    client.force_login(factories.make_member(group=group))

    response = client.get(reverse("topics:members", args=[group.slug]))

    assertNotContains(response, REASON)
    assertNotContains(response, reverse("topics:sanction_member", args=[group.slug, membership(group, member).pk]))


# What a suspended member may not do, through the real views; nothing is stored


def test_a_suspended_member_cannot_reply_and_nothing_is_stored(client, group, moderator, member, thread):
    suspend(group, member, moderator)
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "Let me say it again."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.filter(author=member).exists()


def test_a_suspended_member_cannot_start_a_thread(client, group, topic, moderator, member):
    suspend(group, member, moderator)
    client.force_login(member)

    response = client.post(
        reverse("discussions:new_thread", args=[group.slug, topic.slug]), {"title": "New", "body": "Text."}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Thread.objects.filter(author=member).exists()


def test_a_suspended_member_cannot_edit_their_own_post(client, group, moderator, member, thread):
    post = factories.make_post(thread=thread, author=member, body="First words.")
    suspend(group, member, moderator)
    client.force_login(member)

    response = client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": "Changed words."})

    assert response.status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert post.body == "First words."


def test_a_suspended_member_cannot_vote(client, group, topic, moderator, member):
    prompt = factories.make_open_prompt(topic, author=moderator)
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"], statement="")
    suspend(group, member, moderator)
    client.force_login(member)

    response = client.post(
        reverse("topics:vote", args=[group.slug, prompt.pk]), {"option": poll.options.first().pk}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Vote.objects.exists()


def test_a_suspended_member_is_offered_no_vote_form_and_no_start_a_thread_button(client, group, topic, moderator, member):
    prompt = factories.make_open_prompt(topic, author=moderator)
    polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"], statement="")
    suspend(group, member, moderator)
    client.force_login(member)

    thread_page = client.get(prompt.thread.get_absolute_url())
    topic_page = client.get(topic.get_absolute_url())

    assertNotContains(thread_page, reverse("topics:vote", args=[group.slug, prompt.pk]))
    assertNotContains(topic_page, reverse("discussions:new_thread", args=[group.slug, topic.slug]))


def test_require_member_says_why_and_until_when(group, moderator, member):
    suspend(group, member, moderator, reason="Spam links")

    with pytest.raises(PermissionDenied, match="suspended from this group until .*Spam links"):
        require_member(membership(group, member))


def test_a_suspended_member_reads_the_thread_and_sees_why_and_until_when_on_their_own_clock(
    client, group, moderator, member, thread
):
    member.timezone = "America/New_York"
    member.save()
    now = timezone.now()
    suspension = suspend(group, member, moderator, now=now)
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    ends = timezone.localtime(suspension.ends_at, ZoneInfo("America/New_York"))
    assertContains(response, f"until {ends:%-d %b %Y, %H:%M} New York time")
    assertContains(response, REASON)
    assertNotContains(response, reply_url(thread))  # the notice takes the reply box's place


def test_a_suspended_member_sees_the_notice_on_the_group_page(client, group, moderator, member):
    suspend(group, member, moderator)
    client.force_login(member)

    assertContains(client.get(group.get_absolute_url()), REASON)


def test_the_thread_page_costs_a_suspended_member_no_more_queries_than_a_member(
    group, moderator, member, thread
):
    other = factories.make_member(group=group)
    suspend(group, member, moderator)

    def queries(user):
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(thread.get_absolute_url()).status_code == HTTPStatus.OK
        return len(captured)

    for user in (member, other):
        queries(user)  # the page's posts cached as each sees them (a suspended member sees no buttons)
    assert queries(member) <= queries(other)


def test_a_suspended_member_is_left_out_of_the_mention_autocomplete(client, group, moderator):
    suspended = factories.make_member(group=group, username="spammer1")
    factories.make_member(group=group, username="spammer2")
    suspend(group, suspended, moderator)
    client.force_login(moderator)

    response = client.get(reverse("discussions:group_members_json", args=[group.slug]), {"q": "spam"})

    assert [row["username"] for row in response.json()["results"]] == ["spammer2"]


def test_a_suspended_member_gets_no_mention_notification(group, moderator, member, thread):
    suspend(group, member, moderator)

    post = factories.make_post(thread=thread, author=moderator, body="What do you think, @mei?")
    notifications.notify_new_post(post_id=post.pk, now=timezone.now())

    assert not Notification.objects.filter(user=member, kind=Notification.Kind.MENTION).exists()


# A suspension ends by itself, or is lifted


def test_a_suspension_ends_by_itself_at_its_end_time(group, moderator, member):
    suspension = suspend(group, member, moderator, days=1)
    current = membership(group, member)

    with pytest.raises(PermissionDenied):
        require_member(current, now=suspension.ends_at - timedelta(seconds=1))
    assert require_member(current, now=suspension.ends_at) == current


def test_a_member_whose_suspension_has_ended_replies_again(client, group, moderator, member, thread):
    suspend(group, member, moderator, days=1, now=timezone.now() - timedelta(days=2))
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "Back, and calmer."})

    assert response.status_code == HTTPStatus.FOUND
    assert Post.objects.filter(author=member).exists()


def test_a_moderator_lifts_a_suspension_and_the_member_replies_again(client, group, moderator, member, thread):
    suspension = suspend(group, member, moderator)
    client.force_login(moderator)

    client.post(reverse("topics:lift_sanction", args=[group.slug, suspension.pk]))

    assert AuditEntry.objects.filter(action=AuditAction.LIFT_SUSPENSION, target_user=member).exists()
    client.force_login(member)
    assert client.post(reply_url(thread), {"body": "Thank you."}).status_code == HTTPStatus.FOUND


def test_leaving_and_rejoining_does_not_end_a_suspension(client, group, moderator, member):
    suspend(group, member, moderator)
    client.force_login(member)

    client.post(reverse("topics:leave", args=[group.slug]))
    client.post(reverse("topics:join", args=[group.slug]))

    assert membership(group, member).active_suspension() is not None


# Bans


def test_a_ban_removes_the_member_and_is_logged(client, group, moderator, member):
    client.force_login(moderator)

    client.post(sanction_url(group, member), {"duration": "ban", "reason": REASON})

    assert not Membership.objects.filter(group=group, user=member).exists()
    assert Sanction.objects.get().is_ban
    assert AuditEntry.objects.filter(action=AuditAction.BAN, target_user=member, reason=REASON).exists()


def test_a_banned_person_cannot_rejoin_a_public_group(client, group, moderator, member):
    ban(group, member, moderator)
    client.force_login(member)

    client.post(reverse("topics:join", args=[group.slug]))

    assert not Membership.objects.filter(group=group, user=member).exists()


def test_a_banned_person_cannot_ask_to_join_a_private_group(client, private_group):
    owner = factories.make_membership(group=private_group, role=Membership.Role.OWNER).user
    person = factories.make_member(group=private_group)
    ban(private_group, person, owner)
    client.force_login(person)

    response = client.post(
        reverse("topics:join", args=[private_group.slug]), {"answer_0": "Analyst", "answer_1": "To learn"}
    )

    assertContains(response, "You are banned from this group", status_code=HTTPStatus.BAD_REQUEST)
    assert not private_group.join_requests.exists()


def test_a_banned_person_cannot_join_with_an_invitation(client, group, moderator, member):
    ban(group, member, moderator)
    invitation = factories.make_invitation(group=group)
    client.force_login(member)

    client.post(reverse("topics:invitation", args=[invitation.token]))

    assert not Membership.objects.filter(group=group, user=member).exists()


def test_a_banned_person_no_longer_sees_a_private_group(client, private_group):
    owner = factories.make_membership(group=private_group, role=Membership.Role.OWNER).user
    person = factories.make_member(group=private_group)
    ban(private_group, person, owner)
    client.force_login(person)

    assert client.get(private_group.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_a_banned_person_still_reads_a_public_thread_and_sees_why(client, group, moderator, member, thread):
    ban(group, member, moderator)
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    assertContains(response, "You are banned from this group")
    assertContains(response, REASON)


def test_a_banned_person_is_left_out_of_mentions_in_a_public_group(group, moderator, member, thread):
    ban(group, member, moderator)

    post = factories.make_post(thread=thread, author=moderator, body="@mei are you there?")
    notifications.notify_new_post(post_id=post.pk, now=timezone.now())

    assert not Notification.objects.filter(user=member).exists()


def test_a_lifted_ban_lets_the_person_join_again(client, group, moderator, member):
    sanction = ban(group, member, moderator)
    client.force_login(moderator)
    client.post(reverse("topics:lift_sanction", args=[group.slug, sanction.pk]))
    client.force_login(member)

    client.post(reverse("topics:join", args=[group.slug]))

    assert Membership.objects.filter(group=group, user=member).exists()


# Site staff deactivate an account site-wide


@pytest.fixture
def staff(db):
    return factories.make_user(username="staffer", is_staff=True)


def deactivate_url(user) -> str:
    return reverse("deactivate_account", args=[user.username])


def test_site_staff_see_the_deactivate_form_on_a_profile(client, staff, member):
    client.force_login(staff)

    assertContains(client.get(member.get_absolute_url()), deactivate_url(member))


def test_members_do_not_see_the_deactivate_form(client, outsider, member):
    client.force_login(outsider)

    assertNotContains(client.get(member.get_absolute_url()), deactivate_url(member))


def test_a_deactivated_account_can_no_longer_log_in(client, staff, member):
    client.force_login(staff)

    client.post(deactivate_url(member), {"reason": "Spam account"})

    member.refresh_from_db()
    assert not member.is_active
    login = Client().post(reverse("account_login"), {"login": member.username, "password": factories.PASSWORD})
    assert "_auth_user_id" not in login.wsgi_request.session


def test_deactivating_an_account_ends_its_sessions(client, staff, member):
    members_browser = Client()
    members_browser.force_login(member)
    client.force_login(staff)

    client.post(deactivate_url(member), {"reason": "Spam account"})

    assert not members_browser.get(reverse("edit_profile")).wsgi_request.user.is_authenticated
    assert Session.objects.count() == 1  # only the staff member's


def test_a_deactivation_is_logged_site_wide_with_its_reason(client, staff, member):
    client.force_login(staff)

    client.post(deactivate_url(member), {"reason": "Spam account"})

    entry = AuditEntry.objects.get(action=AuditAction.DEACTIVATE)
    assert (entry.group, entry.actor, entry.target_user, entry.reason) == (None, staff, member, "Spam account")


def test_only_site_staff_can_deactivate_an_account(client, moderator, member):
    client.force_login(moderator)

    response = client.post(deactivate_url(member), {"reason": "I do not like them"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    member.refresh_from_db()
    assert member.is_active


def test_a_deactivation_without_a_reason_is_refused(client, staff, member):
    client.force_login(staff)

    response = client.post(deactivate_url(member), {"reason": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    member.refresh_from_db()
    assert member.is_active


def test_staff_cannot_deactivate_a_superuser_from_the_site(client, staff):
    superuser = factories.make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)

    client.post(deactivate_url(superuser), {"reason": "Mistake"})

    superuser.refresh_from_db()
    assert superuser.is_active



def test_a_suspended_member_may_still_mute_a_thread(client, group, moderator, member, thread):
    suspend(group, member, moderator)
    client.force_login(member)

    response = client.post(reverse("discussions:thread_subscription", args=[thread.pk]), {"action": "mute"})

    assert response.status_code == HTTPStatus.FOUND
    assert Subscription.objects.filter(user=member, thread=thread, level=Subscription.Level.MUTED).exists()


def test_a_suspended_member_who_leaves_a_private_group_is_still_suspended_when_let_back_in(private_group):
    owner = factories.make_membership(group=private_group, role=Membership.Role.OWNER).user
    person = factories.make_member(group=private_group)
    suspend(private_group, person, owner)
    topic_services.leave_group(group=private_group, user=person)
    join_request = topic_services.request_to_join(group=private_group, user=person, answers=[("Why?", "Sorry.")])

    topic_services.decide_join_request(join_request=join_request, moderator=owner, approve=True, now=timezone.now())

    assert membership(private_group, person).active_suspension() is not None


@pytest.mark.parametrize(
    "data",
    [
        {"duration": "forever", "reason": REASON},
        {"duration": "until", "until": "not a date", "reason": REASON},
        {"duration": "until", "until": "99999-01-01", "reason": REASON},
        {"duration": "1d", "reason": "Spam\x00"},
    ],
    ids=["unknown-duration", "bad-date", "huge-year", "nul-byte"],
)
def test_hostile_sanction_input_is_a_form_error_and_nothing_is_stored(client, group, moderator, member, data):
    client.force_login(moderator)

    response = client.post(sanction_url(group, member), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Sanction.objects.exists()
