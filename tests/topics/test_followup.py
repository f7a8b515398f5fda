"""A prompt's follow-up: who has not answered (topics.answers' one definition), and a reminder at most once a day."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from discussions import mailing
from discussions import services as discussion_services
from discussions.models import Notification
from groupsite.models import EmailChoice, NotificationKind
from tests import factories
from topics import followup, polls, sanctions
from topics.audit import AuditAction, AuditEntry
from topics.models import Membership, PromptReminder


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def prompt(topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Who pays for gene therapy?")
    polls.save_poll(prompt=prompt, kind="choice", options=["Payers", "Patients"])
    return prompt


@pytest.fixture
def people(group, prompt, now):
    """Four members: one replied, one voted, two have done neither."""
    replier = factories.make_member(group=group, display_name="Rita Replier")
    voter = factories.make_member(group=group, display_name="Victor Voter")
    silent = factories.make_member(group=group, display_name="Sam Silent")
    quiet = factories.make_member(group=group, display_name="Quinn Quiet")
    discussion_services.publish_post(thread=prompt.thread, author=replier, body="Payers, in instalments.")
    poll = prompt.poll
    polls.cast_vote(poll=poll, user=voter, option_id=poll.options.first().pk, reason="", now=now)
    return {"replier": replier, "voter": voter, "silent": silent, "quiet": quiet}


def followup_url(prompt) -> str:
    return reverse("topics:prompt_followup", args=[prompt.topic.group.slug, prompt.pk])


def remind_url(prompt) -> str:
    return reverse("topics:prompt_remind", args=[prompt.topic.group.slug, prompt.pk])


def reminders_for(prompt) -> dict[int, Notification]:
    return {n.user_id: n for n in Notification.objects.filter(prompt=prompt, kind=NotificationKind.REMINDER)}


def test_the_follow_up_page_lists_who_neither_replied_nor_voted(client, moderator, prompt, people, member):
    client.force_login(moderator)
    response = client.get(followup_url(prompt))
    assert response.status_code == HTTPStatus.OK
    waiting = [m.user for m in response.context["waiting"]]
    assert set(waiting) == {people["silent"], people["quiet"], member, moderator}
    assertNotContains(response, "Rita Replier")
    assertNotContains(response, "Victor Voter")
    assert response.context["counts"] == {"answered_count": 2, "voted_count": 1, "member_count": 6}


def test_members_cannot_open_the_follow_up_page_or_remind(client, member, prompt, people):
    client.force_login(member)
    assert client.get(followup_url(prompt)).status_code == HTTPStatus.FORBIDDEN
    assert client.post(remind_url(prompt)).status_code == HTTPStatus.FORBIDDEN
    assert not PromptReminder.objects.exists()


def test_a_reminder_notifies_those_who_have_not_answered_and_nobody_else(
    client, moderator, prompt, people, member, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remind_url(prompt), follow=True)
    assertContains(response, "3 members who have not answered will be reminded.")
    notified = reminders_for(prompt)
    assert set(notified) == {people["silent"].pk, people["quiet"].pk, member.pk}  # not the moderator who asked
    assert all(n.actor_id == moderator.pk and n.read_at is None for n in notified.values())
    assert PromptReminder.objects.get(prompt=prompt).notified_at is not None


def test_suspended_and_banned_members_are_listed_but_not_reminded(
    moderator, prompt, people, group, now, django_capture_on_commit_callbacks
):
    suspended = Membership.objects.get(group=group, user=people["silent"])
    banned_user = factories.make_member(group=group)
    banned = Membership.objects.get(group=group, user=banned_user)
    actor = Membership.objects.get(group=group, user=moderator)
    ends_at = now + timedelta(days=3)
    sanctions.suspend_member(membership=suspended, actor=actor, ends_at=ends_at, reason="Calm.", now=now)
    sanctions.ban_member(membership=banned, actor=actor, reason="Spam.", now=now)

    waiting = {m.user_id: m for m in followup.waiting_members(prompt, now=now)}
    assert waiting[people["silent"].pk].can_be_reminded is False
    with django_capture_on_commit_callbacks(execute=True):
        followup.remind_unanswered(prompt=prompt, by=moderator, now=now)
    notified = reminders_for(prompt)
    assert people["silent"].pk not in notified and banned_user.pk not in notified
    assert people["quiet"].pk in notified


def test_a_second_reminder_the_same_day_is_refused_with_a_message(
    client, moderator, prompt, people, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(remind_url(prompt))
    first = {pk: n.created_at for pk, n in reminders_for(prompt).items()}
    assert first
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remind_url(prompt), follow=True)
    assertContains(response, "already reminded about this prompt today")
    assert PromptReminder.objects.count() == 1
    assert {pk: n.created_at for pk, n in reminders_for(prompt).items()} == first
    assert AuditEntry.objects.filter(action=AuditAction.PROMPT_REMIND).count() == 1


def test_the_database_itself_allows_one_reminder_per_prompt_and_day(prompt, moderator, now):
    day = followup.group_day(prompt, now)
    PromptReminder.objects.create(prompt=prompt, day=day, sent_by=moderator)
    with pytest.raises(IntegrityError), transaction.atomic():
        PromptReminder.objects.create(prompt=prompt, day=day, sent_by=moderator)


def test_the_next_day_a_reminder_brings_an_old_one_back_as_new(
    moderator, prompt, people, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        followup.remind_unanswered(prompt=prompt, by=moderator, now=now)
    quiet = people["quiet"]
    Notification.objects.filter(user=quiet).update(read_at=now)
    tomorrow = now + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        followup.remind_unanswered(prompt=prompt, by=moderator, now=tomorrow)
    [notification] = Notification.objects.filter(user=quiet, prompt=prompt, kind=NotificationKind.REMINDER)
    assert (notification.read_at, notification.created_at) == (None, tomorrow)
    assert PromptReminder.objects.count() == 2


def test_the_reminder_is_emailed_to_those_who_want_reminders_by_email_only(
    moderator, prompt, people, now, mailoutbox, django_capture_on_commit_callbacks
):
    silent, quiet = people["silent"], people["quiet"]
    quiet.email_choices = {NotificationKind.REMINDER: EmailChoice.NEVER}
    quiet.save(update_fields=["email_choices"])
    with django_capture_on_commit_callbacks(execute=True):
        followup.remind_unanswered(prompt=prompt, by=moderator, now=now)
    mailing.send_due_notification_emails(now=now + timedelta(hours=1))
    recipients = {address for message in mailoutbox for address in message.to}
    assert silent.email in recipients
    assert quiet.email not in recipients


def test_a_member_who_answers_before_the_job_runs_is_left_out(moderator, prompt, people, now):
    silent = people["silent"]
    reminder = PromptReminder.objects.create(prompt=prompt, day=followup.group_day(prompt, now), sent_by=moderator)
    discussion_services.publish_post(thread=prompt.thread, author=silent, body="Late, but here.")
    followup.send_reminder(reminder_id=reminder.pk, user_ids=[silent.pk, people["quiet"].pk], now=now)
    followup.send_reminder(reminder_id=reminder.pk, user_ids=[silent.pk, people["quiet"].pk], now=now)  # again
    assert set(reminders_for(prompt)) == {people["quiet"].pk}


def test_the_reminder_is_in_the_moderation_log(client, moderator, prompt, people, group):
    client.force_login(moderator)
    client.post(remind_url(prompt))
    entry = AuditEntry.objects.get(action=AuditAction.PROMPT_REMIND)
    assert (entry.actor, entry.group, entry.prompt) == (moderator, group, prompt)
    assertContains(client.get(reverse("topics:audit_log", args=[group.slug])), "Reminded members to answer a prompt")


def test_the_members_notification_says_the_moderators_are_waiting_for_their_answer(
    client, moderator, prompt, people, group, now, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        followup.remind_unanswered(prompt=prompt, by=moderator, now=now)
    client.force_login(people["quiet"])
    page = client.get(reverse("discussions:notifications"))
    assertContains(page, f"The moderators of {group.name} are waiting for your answer to “{prompt.title}”")


def test_a_closed_prompt_takes_no_reminder(client, moderator, prompt, people):
    from topics import scheduling

    scheduling.close_prompt(prompt_id=prompt.pk, now=timezone.now())
    client.force_login(moderator)
    response = client.post(remind_url(prompt), follow=True)
    assertContains(response, "only an open prompt takes reminders")
    assert not PromptReminder.objects.exists()


def test_moderators_see_answered_voted_and_members_on_agenda_rows_with_a_follow_up_link(
    client, moderator, prompt, people, group
):
    client.force_login(moderator)
    response = client.get(reverse("topics:agenda", args=[group.slug]))
    assertContains(response, "2 answered · 1 voted · 5 members")
    assertContains(response, followup_url(prompt))


def test_members_see_no_counts_on_the_agenda(client, member, prompt, people, group):
    client.force_login(member)
    response = client.get(reverse("topics:agenda", args=[group.slug]))
    assertNotContains(response, "answered ·")
    assertNotContains(response, followup_url(prompt))


@pytest.mark.django_db(transaction=True)
def test_two_moderators_reminding_at_the_same_moment_send_one_reminder(topic, moderator, group):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("the race is proven on PostgreSQL (CI pass); SQLite serialises writers when they begin")
    prompt = factories.make_open_prompt(topic, author=moderator)
    factories.make_member(group=group)
    other = factories.make_moderator(group=group)
    now = timezone.now()
    outcome = {}

    def second_click():
        try:
            followup.remind_unanswered(prompt=prompt, by=other, now=now)
            outcome["second"] = "sent"
        except followup.AlreadyRemindedToday:
            outcome["second"] = "refused"
        finally:
            connections.close_all()

    with transaction.atomic():
        followup.remind_unanswered(prompt=prompt, by=moderator, now=now)
        worker = threading.Thread(target=second_click)
        worker.start()
        worker.join(timeout=1)  # it waits on the unique index until this transaction ends
        assert worker.is_alive()
    worker.join(timeout=10)

    assert outcome == {"second": "refused"}
    assert PromptReminder.objects.count() == 1
