"""The prompt schedule as plain functions: every test passes `now` in, so the clock sits exactly where it matters."""

from datetime import UTC, datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from discussions.models import Thread
from tests import factories
from topics import scheduling
from topics.models import Milestone, Prompt, PromptAnnouncement, PromptProgramme, Topic

NOW = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)  # a Tuesday
SECOND = timedelta(seconds=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")


def scheduled(topic=None, *, publish_at=NOW, **fields) -> Prompt:
    return factories.make_prompt(topic, status=Prompt.Status.SCHEDULED, publish_at=publish_at, **fields)


def published(topic=None, *, now=NOW, **fields) -> Prompt:
    prompt = factories.make_prompt(topic, **fields)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt


def backlog(topic, position=None, **fields) -> Prompt:
    if position is None:
        position = scheduling.next_backlog_position(topic)
    return factories.make_prompt(topic, status=Prompt.Status.BACKLOG, backlog_position=position, **fields)


def status_of(prompt) -> str:
    prompt.refresh_from_db()
    return prompt.status


# Publishing due prompts


def test_a_prompt_due_exactly_now_is_published(topic):
    prompt = scheduled(topic, publish_at=NOW)
    assert scheduling.publish_due_prompts(now=NOW) == [prompt.pk]
    assert status_of(prompt) == Prompt.Status.OPEN


def test_a_prompt_due_in_one_second_is_not_published_yet(topic):
    prompt = scheduled(topic, publish_at=NOW + SECOND)
    assert scheduling.publish_due_prompts(now=NOW) == []
    assert status_of(prompt) == Prompt.Status.SCHEDULED
    assert prompt.thread is None


def test_a_prompt_missed_for_a_day_is_published_on_the_next_call(topic):
    prompt = scheduled(topic, publish_at=NOW - timedelta(days=1))
    assert scheduling.publish_due_prompts(now=NOW) == [prompt.pk]
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.published_at == NOW


def test_calling_publish_twice_publishes_a_prompt_once(topic):
    prompt = scheduled(topic)
    assert scheduling.publish_due_prompts(now=NOW) == [prompt.pk]
    assert scheduling.publish_due_prompts(now=NOW) == []
    assert scheduling.publish_due_prompts(now=NOW + timedelta(hours=1)) == []
    assert Thread.objects.filter(topic=topic).count() == 1


def test_publish_prompt_says_false_when_the_prompt_is_already_open(topic):
    prompt = scheduled(topic)
    assert scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW) is True
    assert scheduling.publish_prompt(prompt_id=prompt.pk, now=NOW) is False


def test_a_published_prompt_gets_an_open_pinned_thread_in_its_topic(topic):
    prompt = scheduled(topic)
    scheduling.publish_due_prompts(now=NOW)
    prompt.refresh_from_db()
    thread = prompt.thread
    assert thread.topic == topic
    assert thread.is_pinned
    assert not thread.is_locked
    assert thread.title == prompt.title
    assert thread.author == prompt.author


def test_the_opening_post_carries_the_question_and_the_context(topic):
    prompt = scheduled(topic, title="Will NRDL cover CAR-T by 2031?", context="Think about **price** cuts.")
    scheduling.publish_due_prompts(now=NOW)
    prompt.refresh_from_db()
    opening = prompt.thread.posts.get(number=1)
    assert "Will NRDL cover CAR-T by 2031?" in opening.body
    assert "Think about **price** cuts." in opening.body
    assert "<strong>price</strong>" in opening.body_html


def test_the_opening_post_says_when_the_prompt_closes_in_the_group_time_zone(group, topic):
    group.timezone = "Asia/Shanghai"
    group.save()
    prompt = scheduled(topic, closes_at=datetime(2030, 3, 12, 1, 0, tzinfo=UTC))
    scheduling.publish_due_prompts(now=NOW)
    prompt.refresh_from_db()
    assert "Tuesday 12 March, 09:00 Shanghai time" in prompt.thread.posts.get(number=1).body


def test_publishing_counts_the_new_thread_in_its_topic(topic):
    scheduled(topic)
    before = Topic.objects.get(pk=topic.pk).thread_count
    scheduling.publish_due_prompts(now=NOW)
    assert Topic.objects.get(pk=topic.pk).thread_count == before + 1


def test_publishing_announces_the_prompt_to_every_member_and_only_members(group, topic, member, moderator, outsider):
    other_group_member = factories.make_member()
    prompt = scheduled(topic, author=moderator)
    scheduling.publish_due_prompts(now=NOW)
    announced = set(PromptAnnouncement.objects.filter(prompt=prompt).values_list("user_id", flat=True))
    assert announced == {member.pk, moderator.pk}
    assert outsider.pk not in announced and other_group_member.pk not in announced
    assert PromptAnnouncement.objects.filter(prompt=prompt, created_at=NOW, notified_at__isnull=True).count() == 2


def test_publishing_twice_records_each_announcement_once(topic, member):
    prompt = scheduled(topic)
    scheduling.publish_due_prompts(now=NOW)
    scheduling.publish_due_prompts(now=NOW)
    assert PromptAnnouncement.objects.filter(prompt=prompt, user=member).count() == 1


def test_a_prompt_whose_author_left_is_still_published(topic):
    prompt = scheduled(topic)
    prompt.author.delete()
    assert scheduling.publish_due_prompts(now=NOW) == [prompt.pk]
    prompt.refresh_from_db()
    assert prompt.thread.author is None


@pytest.mark.parametrize("status", [Prompt.Status.DRAFT, Prompt.Status.BACKLOG])
def test_drafts_and_backlog_prompts_are_never_published_by_the_schedule(topic, status):
    prompt = factories.make_prompt(topic, status=status, publish_at=NOW - timedelta(days=3))
    assert scheduling.publish_due_prompts(now=NOW + timedelta(days=30)) == []
    assert status_of(prompt) == status


def test_due_prompts_are_published_oldest_first(topic):
    later = scheduled(topic, publish_at=NOW - timedelta(hours=1))
    earlier = scheduled(topic, publish_at=NOW - timedelta(hours=5))
    assert scheduling.publish_due_prompts(now=NOW) == [earlier.pk, later.pk]


# Closing due prompts


def test_a_prompt_is_closed_exactly_at_its_closing_time(topic):
    prompt = published(topic, closes_at=NOW + timedelta(days=7))
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=7)) == [prompt.pk]
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.CLOSED
    assert prompt.closed_at == NOW + timedelta(days=7)


def test_a_prompt_is_not_closed_one_second_before_its_closing_time(topic):
    prompt = published(topic, closes_at=NOW + timedelta(days=7))
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=7) - SECOND) == []
    assert status_of(prompt) == Prompt.Status.OPEN


def test_a_prompt_without_a_closing_time_stays_open(topic):
    prompt = published(topic)
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=3650)) == []
    assert status_of(prompt) == Prompt.Status.OPEN


def test_closing_twice_closes_once(topic):
    prompt = published(topic, closes_at=NOW + timedelta(days=1))
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=2)) == [prompt.pk]
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=2)) == []
    prompt.refresh_from_db()
    assert prompt.closed_at == NOW + timedelta(days=2)


def test_closing_locks_and_unpins_the_thread(topic):
    prompt = published(topic, closes_at=NOW + timedelta(days=1))
    scheduling.close_due_prompts(now=NOW + timedelta(days=1))
    thread = Thread.objects.get(pk=prompt.thread_id)
    assert thread.is_locked
    assert not thread.is_pinned


def test_a_member_cannot_reply_to_a_closed_prompt(client, topic, member):
    prompt = published(topic, closes_at=NOW + timedelta(days=1))
    scheduling.close_due_prompts(now=NOW + timedelta(days=1))
    client.force_login(member)
    response = client.post(reverse("discussions:reply", args=[prompt.thread_id]), {"body": "Too late?"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert prompt.thread.posts.count() == 1


def test_the_closed_thread_page_offers_no_reply_form(client, topic, member):
    prompt = published(topic, closes_at=NOW + timedelta(days=1))
    scheduling.close_due_prompts(now=NOW + timedelta(days=1))
    client.force_login(member)
    response = client.get(reverse("discussions:thread_short", args=[prompt.thread_id]), follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.context["can_reply"] is False


# Reopening


def closed(topic, *, at=NOW + timedelta(days=1)) -> Prompt:
    prompt = published(topic, closes_at=at)
    scheduling.close_due_prompts(now=at)
    prompt.refresh_from_db()
    return prompt


def test_reopening_unlocks_and_pins_the_thread_again(topic):
    prompt = closed(topic)
    assert scheduling.reopen_prompt(prompt_id=prompt.pk, now=NOW + timedelta(days=2)) is True
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.closed_at is None
    assert not prompt.thread.is_locked
    assert prompt.thread.is_pinned


def test_reopening_without_a_closing_time_leaves_the_prompt_open_until_closed_by_hand(topic):
    prompt = closed(topic)
    scheduling.reopen_prompt(prompt_id=prompt.pk, now=NOW + timedelta(days=2))
    prompt.refresh_from_db()
    assert prompt.closes_at is None
    assert scheduling.close_due_prompts(now=NOW + timedelta(days=30)) == []


def test_reopening_with_a_future_closing_time_closes_it_again_then(topic):
    prompt = closed(topic)
    reopen_until = NOW + timedelta(days=5)
    scheduling.reopen_prompt(prompt_id=prompt.pk, now=NOW + timedelta(days=2), closes_at=reopen_until)
    prompt.refresh_from_db()
    assert prompt.closes_at == reopen_until
    assert scheduling.close_due_prompts(now=reopen_until - SECOND) == []
    assert scheduling.close_due_prompts(now=reopen_until) == [prompt.pk]


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(hours=1)])
def test_reopening_with_a_closing_time_not_in_the_future_is_refused(topic, offset):
    prompt = closed(topic)
    now = NOW + timedelta(days=2)
    with pytest.raises(ValueError):
        scheduling.reopen_prompt(prompt_id=prompt.pk, now=now, closes_at=now + offset)
    assert status_of(prompt) == Prompt.Status.CLOSED


def test_reopening_a_prompt_that_is_not_closed_changes_nothing(topic):
    prompt = published(topic)
    assert scheduling.reopen_prompt(prompt_id=prompt.pk, now=NOW + timedelta(days=1)) is False


def test_a_member_can_reply_again_after_reopening(client, topic, member):
    prompt = closed(topic)
    scheduling.reopen_prompt(prompt_id=prompt.pk, now=NOW + timedelta(days=2))
    client.force_login(member)
    client.post(reverse("discussions:reply", args=[prompt.thread_id]), {"body": "Glad it is open again."})
    assert prompt.thread.posts.filter(author=member).exists()


# The weekly occurrence


def test_next_weekly_occurrence_finds_tuesday_nine_in_shanghai():
    after = datetime(2030, 3, 6, 12, 0, tzinfo=UTC)  # Wednesday
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=after)
    assert found == datetime(2030, 3, 12, 1, 0, tzinfo=UTC)  # Tuesday 09:00 CST is 01:00 UTC
    assert found.astimezone(SHANGHAI).time() == time(9, 0)
    assert found.astimezone(SHANGHAI).weekday() == 1


def test_next_weekly_occurrence_uses_the_local_day_not_the_utc_day():
    # Monday 20:00 UTC is already Tuesday 04:00 in Shanghai: Tuesday 09:00 local is later that same local day.
    after = datetime(2030, 3, 4, 20, 0, tzinfo=UTC)
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=after)
    assert found == datetime(2030, 3, 5, 1, 0, tzinfo=UTC)


def test_next_weekly_occurrence_later_the_same_day():
    after = datetime(2030, 3, 4, 23, 0, tzinfo=UTC)  # Tuesday 07:00 in Shanghai
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=after)
    assert found == datetime(2030, 3, 5, 1, 0, tzinfo=UTC)


def test_exactly_at_the_occurrence_the_next_one_is_a_week_later():
    at_occurrence = datetime(2030, 3, 5, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=at_occurrence)
    assert found == at_occurrence + timedelta(days=7)


def test_one_second_before_the_occurrence_finds_that_occurrence():
    at_occurrence = datetime(2030, 3, 5, 1, 0, tzinfo=UTC)
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=at_occurrence - SECOND)
    assert found == at_occurrence


def test_nine_in_london_stays_nine_across_the_spring_clock_change():
    # British Summer Time starts on Sunday 30 March 2025 (the last Sunday of March).
    before_change = scheduling.next_weekly_occurrence(
        weekday=1, at=time(9, 0), tzinfo=LONDON, after=datetime(2025, 3, 24, tzinfo=UTC)
    )
    after_change = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=LONDON, after=before_change)
    assert before_change == datetime(2025, 3, 25, 9, 0, tzinfo=UTC)  # GMT
    assert after_change == datetime(2025, 4, 1, 8, 0, tzinfo=UTC)  # BST
    assert after_change.astimezone(LONDON).time() == time(9, 0)
    assert after_change.utcoffset() != before_change.utcoffset()


def test_nine_in_london_stays_nine_across_the_autumn_clock_change():
    # British Summer Time ends on Sunday 26 October 2025 (the last Sunday of October).
    before_change = scheduling.next_weekly_occurrence(
        weekday=1, at=time(9, 0), tzinfo=LONDON, after=datetime(2025, 10, 20, tzinfo=UTC)
    )
    after_change = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=LONDON, after=before_change)
    assert before_change == datetime(2025, 10, 21, 8, 0, tzinfo=UTC)  # BST
    assert after_change == datetime(2025, 10, 28, 9, 0, tzinfo=UTC)  # GMT
    assert after_change.astimezone(LONDON).time() == time(9, 0)


def test_a_sunday_occurrence_on_the_day_of_the_clock_change_keeps_its_local_time():
    found = scheduling.next_weekly_occurrence(
        weekday=6, at=time(9, 0), tzinfo=LONDON, after=datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    )
    assert found == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)


def test_the_occurrence_is_strictly_after_when_after_is_given_in_local_time():
    at_occurrence = datetime(2030, 3, 5, 9, 0, tzinfo=SHANGHAI)
    found = scheduling.next_weekly_occurrence(weekday=1, at=time(9, 0), tzinfo=SHANGHAI, after=at_occurrence)
    assert found == at_occurrence + timedelta(days=7)


# The programme


@pytest.fixture
def topics(group):
    """Three topics in position order; the middle one's backlog stays empty unless a test fills it."""
    return [
        factories.make_topic(group=group, title="Access", slug="access", position=1),
        factories.make_topic(group=group, title="Pricing", slug="pricing", position=2),
        factories.make_topic(group=group, title="Manufacturing", slug="manufacturing", position=3),
    ]


def make_programme(group, *, next_release_at=NOW, **fields) -> PromptProgramme:
    defaults = {"weekday": 1, "time_of_day": time(9, 0), "close_previous": True, "is_active": True}
    return PromptProgramme.objects.create(group=group, next_release_at=next_release_at, **(defaults | fields))


WEEK = timedelta(days=7)


def test_a_programme_releases_the_first_backlog_prompt_of_the_first_topic(group, topics):
    make_programme(group)
    second = backlog(topics[0], position=2)
    first = backlog(topics[0], position=1)
    backlog(topics[2])
    assert scheduling.release_due_programmes(now=NOW) == [first.pk]
    first.refresh_from_db()
    assert first.status == Prompt.Status.OPEN
    assert first.publish_at == NOW
    assert first.thread.is_pinned
    assert status_of(second) == Prompt.Status.BACKLOG


def test_a_programme_rotates_through_topics_in_position_order_skipping_empty_backlogs(group, topics):
    make_programme(group)
    access_1, access_2 = backlog(topics[0]), backlog(topics[0])
    manufacturing_1 = backlog(topics[2])
    released = []
    for week in range(4):
        released += scheduling.release_due_programmes(now=NOW + week * WEEK)
    assert released == [access_1.pk, manufacturing_1.pk, access_2.pk]


def test_topic_order_follows_position_not_creation(group):
    later_topic = factories.make_topic(group=group, slug="later", position=5)
    earlier_topic = factories.make_topic(group=group, slug="earlier", position=0)
    make_programme(group)
    from_later, from_earlier = backlog(later_topic), backlog(earlier_topic)
    assert scheduling.release_due_programmes(now=NOW) == [from_earlier.pk]
    assert scheduling.release_due_programmes(now=NOW + WEEK) == [from_later.pk]


def test_a_release_sets_the_next_release_to_the_next_occurrence(group, topics):
    group.timezone = "Asia/Shanghai"
    group.save()
    tuesday_nine = datetime(2030, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    programme = make_programme(group, next_release_at=tuesday_nine)
    backlog(topics[0])
    scheduling.release_due_programmes(now=tuesday_nine + timedelta(minutes=1))
    programme.refresh_from_db()
    assert programme.next_release_at == tuesday_nine + WEEK
    assert programme.last_topic == topics[0]


def test_a_release_closes_the_previous_programme_prompt_when_asked(group, topics):
    make_programme(group, close_previous=True)
    first, second = backlog(topics[0]), backlog(topics[2])
    scheduling.release_due_programmes(now=NOW)
    scheduling.release_due_programmes(now=NOW + WEEK)
    first.refresh_from_db()
    assert first.status == Prompt.Status.CLOSED
    assert first.closed_at == NOW + WEEK
    assert first.thread.is_locked
    assert status_of(second) == Prompt.Status.OPEN


def test_a_release_keeps_the_previous_programme_prompt_open_when_asked(group, topics):
    make_programme(group, close_previous=False)
    first, second = backlog(topics[0]), backlog(topics[2])
    scheduling.release_due_programmes(now=NOW)
    scheduling.release_due_programmes(now=NOW + WEEK)
    assert status_of(first) == Prompt.Status.OPEN
    assert status_of(second) == Prompt.Status.OPEN


def test_a_release_leaves_prompts_published_outside_the_programme_open(group, topics):
    make_programme(group, close_previous=True)
    by_hand = published(topics[1])
    backlog(topics[0]), backlog(topics[2])
    scheduling.release_due_programmes(now=NOW)
    scheduling.release_due_programmes(now=NOW + WEEK)
    assert status_of(by_hand) == Prompt.Status.OPEN


def test_a_release_applies_open_for_days_to_the_closing_time(group, topics):
    make_programme(group, open_for_days=5)
    prompt = backlog(topics[0])
    scheduling.release_due_programmes(now=NOW + timedelta(minutes=3))
    prompt.refresh_from_db()
    assert prompt.closes_at == NOW + timedelta(minutes=3, days=5)
    assert scheduling.close_due_prompts(now=NOW + timedelta(minutes=3, days=5)) == [prompt.pk]


def test_a_release_without_open_for_days_leaves_the_prompt_open(group, topics):
    make_programme(group, open_for_days=None)
    prompt = backlog(topics[0])
    scheduling.release_due_programmes(now=NOW)
    prompt.refresh_from_db()
    assert prompt.closes_at is None


def test_a_programme_releases_nothing_before_its_release_time(group, topics):
    programme = make_programme(group, next_release_at=NOW)
    prompt = backlog(topics[0])
    assert scheduling.release_due_programmes(now=NOW - SECOND) == []
    assert status_of(prompt) == Prompt.Status.BACKLOG
    programme.refresh_from_db()
    assert programme.next_release_at == NOW


def test_a_programme_releases_once_for_the_same_tick(group, topics):
    make_programme(group)
    first, second = backlog(topics[0]), backlog(topics[2])
    assert scheduling.release_due_programmes(now=NOW) == [first.pk]
    assert scheduling.release_due_programmes(now=NOW) == []
    assert status_of(second) == Prompt.Status.BACKLOG


def test_a_programme_missed_for_a_day_releases_once_and_moves_on(group, topics):
    programme = make_programme(group, next_release_at=NOW)
    first, second = backlog(topics[0]), backlog(topics[2])
    assert scheduling.release_due_programmes(now=NOW + timedelta(days=1)) == [first.pk]
    programme.refresh_from_db()
    assert programme.next_release_at == NOW + WEEK
    assert status_of(second) == Prompt.Status.BACKLOG


def test_an_empty_backlog_releases_nothing_but_moves_the_release_time_on(group, topics):
    programme = make_programme(group)
    assert scheduling.release_due_programmes(now=NOW) == []
    programme.refresh_from_db()
    assert programme.next_release_at == NOW + WEEK


def test_an_empty_backlog_keeps_the_previous_prompt_and_programme_state(group, topics):
    programme = make_programme(group)
    only = backlog(topics[0])
    scheduling.release_due_programmes(now=NOW)
    assert scheduling.release_due_programmes(now=NOW + WEEK) == []
    programme.refresh_from_db()
    assert programme.last_prompt == only
    assert programme.next_release_at == NOW + 2 * WEEK


def test_an_inactive_programme_releases_nothing(group, topics):
    make_programme(group, is_active=False)
    prompt = backlog(topics[0])
    assert scheduling.release_due_programmes(now=NOW + WEEK) == []
    assert status_of(prompt) == Prompt.Status.BACKLOG


def test_a_programme_releases_only_its_own_group_backlog(group, topics):
    other_topic = factories.make_topic()
    make_programme(group)
    foreign = backlog(other_topic)
    assert scheduling.release_due_programmes(now=NOW) == []
    assert status_of(foreign) == Prompt.Status.BACKLOG


def test_schedule_programme_sets_the_next_release_from_the_cadence(group):
    group.timezone = "Asia/Shanghai"
    group.save()
    programme = PromptProgramme(group=group, weekday=1, time_of_day=time(9, 0), is_active=True)
    scheduling.schedule_programme(programme=programme, now=datetime(2030, 3, 6, tzinfo=UTC))
    programme.refresh_from_db()
    assert programme.next_release_at == datetime(2030, 3, 12, 1, 0, tzinfo=UTC)


def test_schedule_programme_clears_the_next_release_of_an_inactive_programme(group):
    programme = make_programme(group)
    programme.is_active = False
    scheduling.schedule_programme(programme=programme, now=NOW)
    programme.refresh_from_db()
    assert programme.next_release_at is None


# Milestones


def make_milestone(group, *, happens_at=NOW + timedelta(days=10)) -> Milestone:
    return Milestone.objects.create(group=group, title="NMPA approval decision", happens_at=happens_at)


def test_moving_a_milestone_moves_the_scheduled_prompts_that_follow_it(group, topic):
    milestone = make_milestone(group)
    prompt = scheduled(
        topic,
        milestone=milestone,
        milestone_offset_days=2,
        publish_at=milestone.happens_at + timedelta(days=2),
        closes_at=milestone.happens_at + timedelta(days=9),
    )
    moved_to = milestone.happens_at + timedelta(days=4)
    assert scheduling.move_milestone(milestone=milestone, happens_at=moved_to) == 1
    prompt.refresh_from_db()
    assert prompt.publish_at == moved_to + timedelta(days=2)
    assert prompt.closes_at == moved_to + timedelta(days=9)  # still open for a week
    milestone.refresh_from_db()
    assert milestone.happens_at == moved_to


def test_moving_a_milestone_earlier_keeps_a_negative_offset(group, topic):
    milestone = make_milestone(group)
    prompt = scheduled(
        topic, milestone=milestone, milestone_offset_days=-1, publish_at=milestone.happens_at - timedelta(days=1)
    )
    moved_to = milestone.happens_at - timedelta(days=3)
    scheduling.move_milestone(milestone=milestone, happens_at=moved_to)
    prompt.refresh_from_db()
    assert prompt.publish_at == moved_to - timedelta(days=1)
    assert prompt.closes_at is None


def test_moving_a_milestone_leaves_published_prompts_where_they_are(group, topic):
    milestone = make_milestone(group, happens_at=NOW - timedelta(days=2))
    prompt = published(topic, milestone=milestone, milestone_offset_days=2, closes_at=NOW + timedelta(days=7))
    before = (prompt.publish_at, prompt.closes_at)
    assert scheduling.move_milestone(milestone=milestone, happens_at=NOW + timedelta(days=5)) == 0
    prompt.refresh_from_db()
    assert (prompt.publish_at, prompt.closes_at) == before
    assert prompt.status == Prompt.Status.OPEN


def test_moving_a_milestone_leaves_other_milestones_prompts_alone(group, topic):
    milestone, other = make_milestone(group), make_milestone(group)
    prompt = scheduled(topic, milestone=other, milestone_offset_days=1, publish_at=other.happens_at + timedelta(days=1))
    scheduling.move_milestone(milestone=milestone, happens_at=milestone.happens_at + timedelta(days=3))
    prompt.refresh_from_db()
    assert prompt.publish_at == other.happens_at + timedelta(days=1)


def test_a_moved_prompt_is_published_at_its_new_time(group, topic):
    milestone = make_milestone(group)
    prompt = scheduled(topic, milestone=milestone, milestone_offset_days=2, publish_at=milestone.happens_at + timedelta(days=2))
    moved_to = milestone.happens_at + timedelta(days=1)
    scheduling.move_milestone(milestone=milestone, happens_at=moved_to)
    assert scheduling.publish_due_prompts(now=moved_to + timedelta(days=2) - SECOND) == []
    assert scheduling.publish_due_prompts(now=moved_to + timedelta(days=2)) == [prompt.pk]


# The beat tick


def test_run_schedule_releases_publishes_and_closes_and_returns_the_ids(group, topics):
    make_programme(group)
    released = backlog(topics[0])
    due = scheduled(topics[1], publish_at=NOW - timedelta(minutes=5))
    closing = published(topics[2], now=NOW - timedelta(days=3), closes_at=NOW)
    not_yet = scheduled(topics[1], publish_at=NOW + SECOND)
    result = scheduling.run_schedule(now=NOW)
    assert result == {"released": [released.pk], "published": [due.pk], "closed": [closing.pk]}
    assert status_of(not_yet) == Prompt.Status.SCHEDULED


def test_run_schedule_twice_at_the_same_time_does_nothing_the_second_time(group, topics):
    make_programme(group)
    backlog(topics[0])
    scheduled(topics[1])
    scheduling.run_schedule(now=NOW)
    assert scheduling.run_schedule(now=NOW) == {"released": [], "published": [], "closed": []}


def test_run_schedule_with_nothing_to_do_returns_empty_lists(db):
    assert scheduling.run_schedule(now=NOW) == {"released": [], "published": [], "closed": []}


def test_a_backlog_prompt_published_by_hand_is_left_alone_by_the_next_release(group, topic):
    hand_published = backlog(topic, title="Published by hand")
    programme = make_programme(group)
    scheduling.publish_prompt(prompt_id=hand_published.pk, now=NOW - SECOND, allowed_from=(Prompt.Status.BACKLOG,))

    assert scheduling.release_programme(programme_id=programme.pk, now=NOW) is None
    hand_published.refresh_from_db()
    assert hand_published.publish_at == NOW - SECOND
    programme.refresh_from_db()
    assert programme.last_prompt_id is None
