"""Who hears about what on the site (issue #5, items 2 and 3): replies, quotes, mentions, new threads, prompts,
join approvals and reminders; the notifications page, the unread badge and marking read."""

from datetime import datetime, timedelta, timezone as dt_timezone
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import notifications, services, tasks
from discussions.models import Notification
from groupsite.celery import app as celery_app
from groupsite.models import EmailChoice, NotificationKind
from tests.factories import make_member, make_moderator, make_prompt, make_thread, make_topic, make_user
from topics import polls, scheduling
from topics import services as topic_services
from topics.models import JoinRequest, Membership, Prompt, PromptAnnouncement

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)
Kind = NotificationKind


def notified(**filters) -> list[tuple[str, str]]:
    """(username, kind) of the notifications matching, sorted."""
    rows = Notification.objects.filter(**filters).values_list("user__username", "kind")
    return sorted(rows)


def reply(thread, author, body="Agreed.", quoted_post=None):
    return services.publish_post(thread=thread, author=author, body=body, quoted_post=quoted_post)


@pytest.fixture
def thread(topic, member):
    return make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")


# Replies, quotes and mentions


def test_a_reply_notifies_the_threads_author_who_watches_it_by_posting(thread, member, group):
    replier = make_member(group=group, username="replier")
    post = reply(thread, replier)

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.actor, notification.post) == (
        member, Kind.REPLY, replier, post
    )
    assert notification.thread == thread and notification.group == group and notification.created_at == NOW


def test_the_author_of_a_reply_is_never_notified_of_it(thread, member, group):
    other = make_member(group=group)
    reply(thread, other)
    post = reply(thread, member, body="Replying to @mei myself, and to everyone.")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert notified(post=post) == [(other.username, Kind.REPLY)]


def test_a_quote_notifies_the_quoted_author_as_a_quote_not_a_reply(thread, member, group):
    opening = thread.posts.get()
    quoter = make_member(group=group)
    post = reply(thread, quoter, body="> Opening thoughts.\n\nIndeed.", quoted_post=opening)

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert notified(post=post) == [("mei", Kind.QUOTE)]


def test_a_mention_outranks_a_quote_and_a_reply_with_one_notification_per_member(thread, member, group):
    quoter = make_member(group=group)
    post = reply(thread, quoter, body="@mei you said it first.", quoted_post=thread.posts.get())

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert notified(post=post) == [("mei", Kind.MENTION)]


def test_a_quote_outranks_a_reply_for_a_watcher(thread, member, group):
    watcher = make_member(group=group, username="watcher")
    earlier = reply(thread, watcher, body="My view.")
    post = reply(thread, make_member(group=group), body="Quoting.", quoted_post=earlier)

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert notified(post=post) == [("mei", Kind.REPLY), ("watcher", Kind.QUOTE)]


def test_a_mention_notifies_a_member_who_does_not_watch_the_thread(thread, group):
    make_member(group=group, username="lin")
    post = reply(thread, make_member(group=group), body="What do you think, @lin?")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert ("lin", Kind.MENTION) in notified(post=post)


def test_notifying_a_post_twice_creates_nothing_new(thread, group):
    make_member(group=group, username="lin")
    post = reply(thread, make_member(group=group), body="@lin look.")
    notifications.notify_new_post(post_id=post.pk, now=NOW)

    again = notifications.notify_new_post(post_id=post.pk, now=NOW + timedelta(minutes=1))

    assert again == 0
    assert Notification.objects.count() == 2


def test_a_post_removed_before_the_task_runs_notifies_nobody(thread, group):
    post = reply(thread, make_member(group=group))
    services.delete_post(post=post, deleted_by=post.author)

    assert notifications.notify_new_post(post_id=post.pk, now=NOW) == 0
    assert not Notification.objects.exists()


def test_a_member_who_left_a_private_group_hears_nothing_more_of_its_threads(private_group):
    topic = make_topic(group=private_group)
    leaver = make_member(group=private_group, username="leaver")
    thread = make_thread(topic=topic, author=leaver)
    Membership.objects.filter(user=leaver).delete()

    post = reply(thread, make_member(group=private_group), body="@leaver are you there?")
    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.filter(user=leaver).exists()


# Mutes


def test_a_member_who_muted_the_thread_is_not_notified_even_when_mentioned(thread, member, group):
    notifications.mute(user=member, target=thread, now=NOW)
    post = reply(thread, make_member(group=group), body="@mei?", quoted_post=thread.posts.get())

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.filter(user=member).exists()


def test_muting_the_group_silences_mentions_in_its_threads(thread, group):
    lin = make_member(group=group, username="lin")
    notifications.mute(user=lin, target=group, now=NOW)
    post = reply(thread, make_member(group=group), body="@lin?")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.filter(user=lin).exists()


def test_muting_the_topic_silences_its_threads(thread, member, topic, group):
    notifications.mute(user=member, target=topic, now=NOW)
    notifications.unwatch(user=member, target=thread)  # posting had watched it
    post = reply(thread, make_member(group=group), body="@mei?")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.filter(user=member).exists()


def test_watching_a_thread_inside_a_muted_group_still_notifies(thread, member, group):
    notifications.mute(user=member, target=group, now=NOW)  # the thread stays watched from posting in it
    post = reply(thread, make_member(group=group))

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert notified(post=post) == [("mei", Kind.REPLY)]


# New threads


def test_a_new_thread_notifies_the_watchers_of_its_topic_and_group(topic, group):
    topic_watcher = make_member(group=group, username="topicwatcher")
    group_watcher = make_member(group=group, username="groupwatcher")
    make_member(group=group, username="bystander")
    notifications.watch(user=topic_watcher, target=topic, now=NOW)
    notifications.watch(user=group_watcher, target=group, now=NOW)
    author = make_member(group=group, username="starter")
    notifications.watch(user=author, target=group, now=NOW)
    thread = make_thread(topic=topic, author=author)

    notifications.notify_new_thread(thread_id=thread.pk, now=NOW)

    assert notified() == [("groupwatcher", Kind.NEW_THREAD), ("topicwatcher", Kind.NEW_THREAD)]
    assert Notification.objects.filter(post=thread.posts.get(), actor=author).count() == 2


def test_muting_a_topic_overrides_watching_its_group_for_new_threads(topic, group):
    watcher = make_member(group=group, username="watcher")
    notifications.watch(user=watcher, target=group, now=NOW)
    notifications.mute(user=watcher, target=topic, now=NOW)
    thread = make_thread(topic=topic)

    notifications.notify_new_thread(thread_id=thread.pk, now=NOW)

    assert not Notification.objects.exists()


def test_a_mention_in_an_opening_post_outranks_the_new_thread_notification(topic, group):
    watcher = make_member(group=group, username="watcher")
    notifications.watch(user=watcher, target=topic, now=NOW)
    thread = make_thread(topic=topic, body="@watcher this is for you.")

    notifications.notify_new_thread(thread_id=thread.pk, now=NOW)

    assert notified() == [("watcher", Kind.MENTION)]


def test_a_prompts_thread_is_announced_as_a_prompt_not_as_a_new_thread(topic, group, moderator):
    watcher = make_member(group=group, username="watcher")
    notifications.watch(user=watcher, target=topic, now=NOW)
    prompt = make_prompt(topic, author=moderator)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()

    assert notifications.notify_new_thread(thread_id=prompt.thread_id, now=NOW) == 0
    notifications.notify_prompt_published(prompt_id=prompt.pk, now=NOW)

    assert notified(user=watcher) == [("watcher", Kind.PROMPT)]


# Prompts


@pytest.fixture
def published_prompt(topic, moderator, member):
    prompt = make_prompt(topic, author=moderator, title="Will hospitals pay list price?")
    scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt


def test_a_published_prompt_notifies_every_member_but_its_author(published_prompt, member, moderator, group):
    other = make_member(group=group, username="other")
    PromptAnnouncement.objects.create(prompt=published_prompt, user=other)  # joined just after publishing

    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)

    assert notified() == [("mei", Kind.PROMPT), ("other", Kind.PROMPT)]
    notification = Notification.objects.get(user=member)
    assert (notification.prompt, notification.thread_id, notification.post) == (
        published_prompt, published_prompt.thread_id, None
    )


def test_announcing_a_prompt_marks_its_announcements_done(published_prompt):
    later = NOW + timedelta(minutes=3)

    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=later)

    assert set(PromptAnnouncement.objects.values_list("notified_at", flat=True)) == {later}


def test_announcing_a_prompt_twice_creates_nothing_new(published_prompt):
    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)
    PromptAnnouncement.objects.update(notified_at=None)  # as if a second worker had read the rows before the first

    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)

    assert Notification.objects.count() == 1


def test_a_member_who_muted_the_group_is_not_told_of_its_prompts(published_prompt, member, group):
    notifications.mute(user=member, target=group, now=NOW)

    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)

    assert not Notification.objects.exists()
    assert not PromptAnnouncement.objects.filter(notified_at__isnull=True).exists()


def test_a_member_who_left_before_the_announcement_is_not_told(published_prompt, member):
    Membership.objects.filter(user=member).delete()

    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)

    assert not Notification.objects.exists()


def test_the_beat_tick_sends_announcements_whose_task_was_lost(published_prompt):
    notifications.announce_pending_prompts(now=NOW + timedelta(minutes=1))
    assert not Notification.objects.exists()  # its own task may still be on its way

    notifications.announce_pending_prompts(now=NOW + timedelta(hours=1))

    assert notified() == [("mei", Kind.PROMPT)]


def test_publishing_a_prompt_notifies_the_members_once_committed(
    topic, moderator, member, django_capture_on_commit_callbacks
):
    prompt = make_prompt(topic, author=moderator)

    with django_capture_on_commit_callbacks(execute=True):
        scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW, allowed_from=(Prompt.Status.DRAFT,))

    assert notified() == [("mei", Kind.PROMPT)]


# Join requests


@pytest.fixture
def join_request(private_group, outsider):
    make_moderator(group=private_group, username="gatekeeper")
    return topic_services.request_to_join(group=private_group, user=outsider, answers=[])


def decide(join_request, approve, execute_on_commit):
    moderator = Membership.objects.get(user__username="gatekeeper").user
    with execute_on_commit(execute=True):
        topic_services.decide_join_request(join_request=join_request, moderator=moderator, approve=approve, now=NOW)


def test_an_approved_join_request_notifies_the_new_member(
    join_request, outsider, private_group, django_capture_on_commit_callbacks
):
    decide(join_request, True, django_capture_on_commit_callbacks)

    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.group) == (outsider, Kind.JOIN_APPROVED, private_group)
    assert notification.actor.username == "gatekeeper"


def test_a_declined_join_request_notifies_nobody_on_the_site(join_request, django_capture_on_commit_callbacks):
    decide(join_request, False, django_capture_on_commit_callbacks)

    assert not Notification.objects.exists()


def test_a_join_approval_is_notified_once_however_often_the_task_runs(join_request, django_capture_on_commit_callbacks):
    decide(join_request, True, django_capture_on_commit_callbacks)

    assert notifications.notify_join_approved(join_request_id=join_request.pk, now=NOW) == 0
    assert Notification.objects.count() == 1


def test_a_pending_join_request_notifies_nobody(join_request):
    assert notifications.notify_join_approved(join_request_id=join_request.pk, now=NOW) == 0
    assert JoinRequest.objects.get().status == JoinRequest.Status.PENDING


# Reminders


def open_prompt_closing(topic, *, closes_in, open_for=timedelta(days=5), **fields):
    """A prompt published `open_for` before it closes, `closes_in` after NOW."""
    closes_at = NOW + closes_in
    prompt = make_prompt(topic, closes_at=closes_at, **fields)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=closes_at - open_for, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt


def test_members_who_have_not_answered_get_a_reminder_a_day_before_closing(topic, member, moderator, group):
    answered = make_member(group=group, username="answered")
    prompt = open_prompt_closing(topic, closes_in=timedelta(hours=20), author=moderator)
    reply(prompt.thread, answered)

    notifications.create_prompt_reminders(now=NOW)

    assert notified(kind=Kind.REMINDER) == [("mei", Kind.REMINDER)]
    reminder = Notification.objects.get(kind=Kind.REMINDER)
    assert (reminder.prompt, reminder.thread_id, reminder.post) == (prompt, prompt.thread_id, None)


def test_members_who_voted_get_no_reminder(topic, member, moderator):
    prompt = open_prompt_closing(topic, closes_in=timedelta(hours=20), author=moderator)
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=NOW)

    notifications.create_prompt_reminders(now=NOW)

    assert not Notification.objects.exists()


def test_a_removed_answer_does_not_count_as_answering(topic, member, moderator):
    prompt = open_prompt_closing(topic, closes_in=timedelta(hours=20), author=moderator)
    post = reply(prompt.thread, member)
    services.delete_post(post=post, deleted_by=member)

    notifications.create_prompt_reminders(now=NOW)

    assert notified() == [("mei", Kind.REMINDER)]


def test_a_member_is_reminded_once_per_prompt(topic, member, moderator):
    open_prompt_closing(topic, closes_in=timedelta(hours=20), author=moderator)
    notifications.create_prompt_reminders(now=NOW)

    later = notifications.create_prompt_reminders(now=NOW + timedelta(minutes=15))

    assert later == 0
    assert Notification.objects.filter(kind=Kind.REMINDER).count() == 1


def test_prompts_closing_later_than_a_day_get_no_reminder_yet(topic, member, moderator):
    open_prompt_closing(topic, closes_in=timedelta(hours=25), author=moderator)

    notifications.create_prompt_reminders(now=NOW)

    assert not Notification.objects.exists()


def test_a_prompt_open_for_less_than_a_day_gets_no_reminder(topic, member, moderator):
    open_prompt_closing(topic, closes_in=timedelta(hours=10), open_for=timedelta(hours=12), author=moderator)

    notifications.create_prompt_reminders(now=NOW)

    assert not Notification.objects.exists()


def test_the_reminder_beat_entry_runs_every_15_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["create-prompt-reminders"]

    assert entry["schedule"] == 15 * 60
    assert entry["task"] in celery_app.tasks


# Email timing


@pytest.mark.parametrize(
    ("choice", "emailed"),
    [(EmailChoice.IMMEDIATELY, True), (EmailChoice.DIGEST, False), (EmailChoice.NEVER, False)],
)
def test_a_notification_is_due_for_email_only_when_the_member_wants_it_at_once(thread, group, member, choice, emailed):
    member.email_choices = {Kind.REPLY: choice}
    member.save()
    post = reply(thread, make_member(group=group))

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    expected = NOW + timedelta(minutes=settings.NOTIFICATION_EMAIL_DELAY_MINUTES) if emailed else None
    assert Notification.objects.get().email_due_at == expected


def test_mentions_are_emailed_at_once_by_default(thread, group):
    make_member(group=group, username="lin")
    post = reply(thread, make_member(group=group), body="@lin")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert Notification.objects.get(kind=Kind.MENTION).email_due_at == NOW + timedelta(minutes=5)


# Hooks: the services enqueue the tasks once their transaction commits


def test_replying_notifies_once_the_post_is_committed(thread, group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = reply(thread, make_member(group=group))

    assert notified(post=post) == [("mei", Kind.REPLY)]


def test_starting_a_thread_notifies_the_topics_watchers_once_committed(
    topic, group, django_capture_on_commit_callbacks
):
    watcher = make_member(group=group, username="watcher")
    notifications.watch(user=watcher, target=topic, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        make_thread(topic=topic)

    assert notified() == [("watcher", Kind.NEW_THREAD)]


def test_the_tasks_take_ids_and_iso_times(thread, group):
    post = reply(thread, make_member(group=group))

    tasks.notify_new_post.delay(post.pk, NOW.isoformat())

    assert Notification.objects.get().created_at == NOW


# The notifications page


@pytest.fixture
def reply_notification(thread, group):
    post = reply(thread, make_member(group=group, display_name="Dr Lin"), body="A reply.")
    notifications.notify_new_post(post_id=post.pk, now=NOW)
    return Notification.objects.get()


def test_the_notifications_page_says_who_did_what_where(client, member, reply_notification):
    client.force_login(member)

    response = client.get(reverse("discussions:notifications"))

    assert response.status_code == HTTPStatus.OK
    assert "Dr Lin replied in “Who pays for CAR-T?”" in response.content.decode()


def test_the_notifications_page_names_a_prompts_kind_once(client, published_prompt, member):
    notifications.notify_prompt_published(prompt_id=published_prompt.pk, now=NOW)
    client.force_login(member)

    content = client.get(reverse("discussions:notifications")).content.decode()

    assert "New New" not in content
    assert '<span class="badge">Unread</span> Prompt · China CAR-T market' in content


def test_the_notifications_page_shows_only_your_own(client, group, reply_notification):
    client.force_login(make_member(group=group))

    response = client.get(reverse("discussions:notifications"))

    assert "Dr Lin replied" not in response.content.decode()


def test_the_notifications_page_needs_a_login(client):
    response = client.get(reverse("discussions:notifications"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_the_header_shows_the_number_of_unread_notifications(client, member, reply_notification, thread, group):
    notifications.notify_new_post(post_id=reply(thread, make_member(group=group)).pk, now=NOW)
    client.force_login(member)

    page = client.get(reverse("topics:home")).content.decode()

    assert 'class="badge badge--count">2<span class="visually-hidden"> unread</span>' in page


def test_the_header_shows_no_badge_when_everything_is_read(client, member, reply_notification):
    notifications.mark_all_read(user=member, now=NOW)
    client.force_login(member)

    page = client.get(reverse("topics:home")).content.decode()

    assert "badge--count" not in page
    assert reverse("discussions:notifications") in page


def test_on_a_thread_page_the_badge_counts_what_the_visit_leaves_unread(client, member, reply_notification, group, topic):
    elsewhere = make_thread(topic=topic, author=make_member(group=group), body="Another subject.")
    client.force_login(member)

    # A thread with none of the member's notifications: the count comes with the thread, and no COUNT of its own.
    with CaptureQueriesContext(connection) as queries:
        page = client.get(elsewhere.get_absolute_url()).content.decode()
    assert 'class="badge badge--count">1<span class="visually-hidden"> unread</span>' in page
    assert not [q for q in queries if q["sql"].startswith("SELECT COUNT(*)") and "discussions_notification" in q["sql"]]

    # The thread the notification is about: opening it marks it read, and the badge goes.
    page = client.get(reply_notification.thread.get_absolute_url()).content.decode()
    assert "badge--count" not in page


def test_the_unread_badge_costs_one_count_query_per_page(client, member, reply_notification):
    client.force_login(member)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("topics:home"))

    assert len([q for q in queries if "discussions_notification" in q["sql"]]) == 1


def test_marking_a_notification_read_takes_you_to_it(client, member, reply_notification):
    client.force_login(member)

    response = client.post(reverse("discussions:notification_read", args=[reply_notification.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("discussions:post", args=[reply_notification.post_id])
    reply_notification.refresh_from_db()
    assert reply_notification.read_at is not None


def test_marking_a_notification_read_takes_a_post(client, member, reply_notification):
    client.force_login(member)

    response = client.get(reverse("discussions:notification_read", args=[reply_notification.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    reply_notification.refresh_from_db()
    assert reply_notification.read_at is None


def test_another_members_notification_cannot_be_marked_read(client, group, reply_notification):
    client.force_login(make_member(group=group))

    response = client.post(reverse("discussions:notification_read", args=[reply_notification.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    reply_notification.refresh_from_db()
    assert reply_notification.read_at is None


def test_marking_all_read_marks_only_your_own(client, member, reply_notification, thread, group):
    lin = make_member(group=group, username="lin")
    notifications.notify_new_post(post_id=reply(thread, make_member(group=group), body="@lin").pk, now=NOW)
    client.force_login(member)

    response = client.post(reverse("discussions:notifications_read_all"))

    assert response.status_code == HTTPStatus.FOUND
    assert not Notification.objects.filter(user=member, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=lin, read_at__isnull=True).count() == 1


def test_marking_all_read_takes_a_post(client, member, reply_notification):
    client.force_login(member)

    response = client.get(reverse("discussions:notifications_read_all"))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert notifications.unread_count(member) == 1


def test_reading_the_thread_marks_its_notifications_read(client, member, reply_notification, thread):
    client.force_login(member)

    client.get(thread.get_absolute_url())

    reply_notification.refresh_from_db()
    assert reply_notification.read_at is not None


def test_a_join_approval_notification_leads_to_the_group(
    client, join_request, outsider, private_group, django_capture_on_commit_callbacks
):
    decide(join_request, True, django_capture_on_commit_callbacks)
    client.force_login(outsider)

    page = client.get(reverse("discussions:notifications")).content.decode()
    response = client.post(reverse("discussions:notification_read", args=[Notification.objects.get().pk]))

    assert "Your request to join Investor circle was approved" in page
    assert response.url == private_group.get_absolute_url()


# The Chatham House rule


@pytest.fixture
def chatham_reply(topic, group, member, moderator):
    prompt = make_prompt(topic, author=moderator, chatham_house=True)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    reply(prompt.thread, member, body="My first answer.")
    speaker = make_member(group=group, display_name="Wendy Whistleblower")
    post = reply(prompt.thread, speaker, body="@mei @moderator I disagree.")
    notifications.notify_new_post(post_id=post.pk, now=NOW)
    return post


def test_under_the_chatham_house_rule_members_are_not_told_who_wrote(client, member, chatham_reply):
    client.force_login(member)

    page = client.get(reverse("discussions:notifications")).content.decode()

    assert "A participant mentioned you" in page
    assert "Wendy" not in page


def test_under_the_chatham_house_rule_moderators_still_see_who_wrote(client, moderator, chatham_reply):
    client.force_login(moderator)

    page = client.get(reverse("discussions:notifications")).content.decode()

    assert "Wendy Whistleblower mentioned you" in page


def test_notification_text_hides_the_actor_when_asked(chatham_reply, member):
    notification = notifications.describe(notifications.for_display(member), user=member)[0]

    assert notification.hides_actor
    assert notifications.notification_text(notification, hide_actor=False).startswith("Wendy Whistleblower")


def test_an_outsider_is_never_notified_by_a_thread_they_cannot_see(private_group):
    outsider = make_user(username="nosy")
    thread = make_thread(topic=make_topic(group=private_group))

    notifications.notify_new_post(post_id=reply(thread, make_member(group=private_group), body="@nosy").pk, now=NOW)

    assert not Notification.objects.filter(user=outsider).exists()
