"""The digest's logic as plain functions: who is due at a given moment, and what goes in a member's digest.

Due times are tested at daylight-saving boundaries (London on the last Sundays of March and October 2030,
New York, Shanghai) exactly at the send time, a second before and at the first tick after.
"""

import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import digest, emails, reactions
from discussions import services as discussion_services
from discussions.models import DigestDelivery, Notification, Post, ThreadRead
from discussions.reactions import Reaction
from groupsite.models import DigestFrequency, EmailChoice, NotificationKind
from tests import factories
from topics import polls, scheduling
from topics.models import Membership, Outcome, Prompt

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)
TICK = timedelta(minutes=15)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(at=time(8, 0), weekday=0, zone=LONDON, now=None):
    return digest.current_slot(frequency=DigestFrequency.WEEKLY, weekday=weekday, at=at, zone=zone, now=now)


def daily(at=time(8, 0), zone=LONDON, now=None):
    return digest.current_slot(frequency=DigestFrequency.DAILY, weekday=0, at=at, zone=zone, now=now)


def due(slot, last_period=None, last_covers_until=None) -> bool:
    return digest.is_due(slot, last_period=last_period, last_covers_until=last_covers_until)


# Who is due --------------------------------------------------------------------------------------------------


def test_a_weekly_digest_is_due_exactly_at_the_local_send_time_and_not_a_second_before():
    send_at = utc(2030, 3, 25, 8, 0)  # Monday 08:00 in London (GMT, before the clocks change)
    last_week = date(2030, 3, 18)

    assert not due(weekly(now=send_at - SECOND), last_period=last_week, last_covers_until=send_at - timedelta(days=7))
    assert weekly(now=send_at) == digest.Slot(period=date(2030, 3, 25), send_at=send_at)
    assert due(weekly(now=send_at), last_period=last_week, last_covers_until=send_at - timedelta(days=7))


def test_a_digest_due_at_a_tick_stays_due_at_the_next_tick_until_it_is_sent():
    first_tick = utc(2030, 3, 25, 8, 15)  # beat ran at 08:00 just before the member's 08:05
    slot = weekly(at=time(8, 5), now=first_tick)

    assert slot.period == date(2030, 3, 25)
    assert due(slot)
    assert due(weekly(at=time(8, 5), now=first_tick + TICK))
    assert not due(weekly(at=time(8, 5), now=first_tick + TICK), last_period=slot.period, last_covers_until=first_tick)


def test_once_sent_a_weekly_digest_is_not_due_again_until_the_next_week():
    sent_at = utc(2030, 3, 25, 8, 0)
    sent = {"last_period": date(2030, 3, 25), "last_covers_until": sent_at}

    for hours in (1, 24, 6 * 24, 7 * 24 - 2):  # next Monday at 08:00 BST is 07:00 UTC
        assert not due(weekly(now=sent_at + timedelta(hours=hours)), **sent)
    assert due(weekly(now=utc(2030, 4, 1, 7, 0)), **sent)


def test_a_daily_digest_is_due_every_day_at_its_time():
    for day in range(20, 27):
        send_at = utc(2030, 3, day, 8, 0)
        yesterday = {"last_period": date(2030, 3, day - 1), "last_covers_until": send_at - timedelta(days=1)}
        assert not due(daily(now=send_at - SECOND), **yesterday)
        assert due(daily(now=send_at), **yesterday)


def test_a_member_who_chose_never_is_never_due():
    slot = digest.current_slot(
        frequency=DigestFrequency.NEVER, weekday=0, at=time(8, 0), zone=LONDON, now=utc(2030, 3, 25, 9, 0)
    )
    assert slot is None
    assert not due(slot)


def test_london_keeps_08_00_local_across_the_spring_change_on_the_last_sunday_of_march():
    # Saturday 30 March 2030 is GMT; on Sunday 31 March the clocks go forward at 01:00 UTC.
    assert daily(now=utc(2030, 3, 30, 8, 0)).send_at == utc(2030, 3, 30, 8, 0)
    sunday = daily(now=utc(2030, 3, 31, 7, 0))
    assert sunday == digest.Slot(period=date(2030, 3, 31), send_at=utc(2030, 3, 31, 7, 0))  # 08:00 BST
    assert daily(now=utc(2030, 3, 31, 7, 0) - SECOND).period == date(2030, 3, 30)


def test_london_keeps_08_00_local_across_the_autumn_change_on_the_last_sunday_of_october():
    # Sunday 27 October 2030: the clocks go back at 01:00 UTC, so 08:00 is 08:00 UTC again.
    assert daily(now=utc(2030, 10, 26, 7, 0)).send_at == utc(2030, 10, 26, 7, 0)  # Saturday, BST
    assert daily(now=utc(2030, 10, 27, 8, 0) - SECOND).period == date(2030, 10, 26)
    assert daily(now=utc(2030, 10, 27, 8, 0)) == digest.Slot(period=date(2030, 10, 27), send_at=utc(2030, 10, 27, 8, 0))


def test_a_send_time_skipped_by_the_spring_change_goes_out_that_same_day_just_after_the_change():
    # 01:30 does not exist in London on 31 March 2030 (01:00 jumps to 02:00): it resolves to 02:30 BST.
    before = daily(at=time(1, 30), now=utc(2030, 3, 31, 1, 30) - SECOND)
    at = daily(at=time(1, 30), now=utc(2030, 3, 31, 1, 30))

    assert before.period == date(2030, 3, 30)
    assert at == digest.Slot(period=date(2030, 3, 31), send_at=utc(2030, 3, 31, 1, 30))
    assert at.send_at.astimezone(LONDON).strftime("%H:%M %Z") == "02:30 BST"
    assert due(at, last_period=before.period, last_covers_until=before.send_at)


def test_a_send_time_repeated_by_the_autumn_change_goes_out_once_at_the_first_of_the_two():
    # 01:30 happens twice in London on 27 October 2030: 00:30 UTC (BST) and 01:30 UTC (GMT).
    first = daily(at=time(1, 30), now=utc(2030, 10, 27, 0, 30))
    assert first == digest.Slot(period=date(2030, 10, 27), send_at=utc(2030, 10, 27, 0, 30))

    second_time_round = daily(at=time(1, 30), now=utc(2030, 10, 27, 1, 30))
    assert not due(second_time_round, last_period=first.period, last_covers_until=utc(2030, 10, 27, 0, 31))


def test_new_york_keeps_its_local_time_across_its_own_daylight_saving_change():
    # Sunday 10 March 2030: EST (UTC-5) becomes EDT (UTC-4).
    assert daily(zone=NEW_YORK, now=utc(2030, 3, 9, 13, 0)).send_at == utc(2030, 3, 9, 13, 0)
    assert daily(zone=NEW_YORK, now=utc(2030, 3, 10, 12, 0)) == digest.Slot(
        period=date(2030, 3, 10), send_at=utc(2030, 3, 10, 12, 0)
    )
    assert daily(zone=NEW_YORK, now=utc(2030, 3, 10, 12, 0) - SECOND).period == date(2030, 3, 9)


def test_a_new_york_member_gets_monday_s_digest_on_monday_morning_new_york_time():
    monday_8am = utc(2030, 3, 25, 12, 0)  # EDT

    assert weekly(zone=NEW_YORK, now=monday_8am - SECOND).period == date(2030, 3, 18)
    assert weekly(zone=NEW_YORK, now=monday_8am).period == date(2030, 3, 25)


def test_a_shanghai_member_s_monday_starts_on_sunday_evening_utc():
    # 07:00 on Monday in Shanghai (UTC+8, no daylight saving) is 23:00 on Sunday in UTC.
    sunday_evening_utc = utc(2030, 3, 24, 23, 0)

    assert weekly(at=time(7, 0), zone=SHANGHAI, now=sunday_evening_utc - SECOND).period == date(2030, 3, 18)
    assert weekly(at=time(7, 0), zone=SHANGHAI, now=sunday_evening_utc) == digest.Slot(
        period=date(2030, 3, 25), send_at=sunday_evening_utc
    )


def test_a_member_back_after_weeks_away_gets_one_digest_not_a_backlog():
    now = utc(2030, 4, 17, 10, 0)  # a Wednesday, three weeks after the last digest
    slot = weekly(now=now)

    assert slot.period == date(2030, 4, 15)  # only the latest Monday counts
    assert due(slot, last_period=date(2030, 3, 25), last_covers_until=utc(2030, 3, 25, 8, 0))
    assert not due(weekly(now=now + TICK), last_period=slot.period, last_covers_until=now)


def test_switching_from_daily_to_weekly_does_not_send_a_second_digest_for_the_same_week():
    # A daily digest went out on Wednesday; on Thursday the member picks weekly on Mondays.
    after_daily = {"last_period": date(2030, 3, 27), "last_covers_until": utc(2030, 3, 27, 8, 0)}

    assert not due(weekly(now=utc(2030, 3, 28, 9, 0)), **after_daily)
    assert due(weekly(now=utc(2030, 4, 1, 7, 0)), **after_daily)


def test_switching_from_weekly_to_daily_sends_the_next_day():
    after_weekly = {"last_period": date(2030, 3, 25), "last_covers_until": utc(2030, 3, 25, 8, 0)}

    assert not due(daily(now=utc(2030, 3, 25, 20, 0)), **after_weekly)
    assert due(daily(now=utc(2030, 3, 26, 8, 0)), **after_weekly)


def test_moving_east_does_not_send_the_same_morning_s_digest_twice():
    # Sent at 08:00 in New York (12:00 UTC); the member moves to Shanghai, where that moment was already Monday 20:00.
    sent = {"last_period": date(2030, 3, 25), "last_covers_until": utc(2030, 3, 25, 12, 0)}

    assert not due(daily(zone=SHANGHAI, now=utc(2030, 3, 25, 13, 0)), **sent)
    assert due(daily(zone=SHANGHAI, now=utc(2030, 3, 26, 0, 0)), **sent)  # Tuesday 08:00 in Shanghai


def test_the_next_send_time_is_the_first_one_after_now():
    assert digest.next_send_time(
        frequency=DigestFrequency.WEEKLY, weekday=0, at=time(8, 0), zone=LONDON, now=utc(2030, 3, 25, 8, 0)
    ) == utc(2030, 4, 1, 7, 0)
    assert digest.next_send_time(
        frequency=DigestFrequency.DAILY, weekday=0, at=time(8, 0), zone=SHANGHAI, now=utc(2030, 3, 25, 8, 0)
    ) == utc(2030, 3, 26, 0, 0)


ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "Asia/Kathmandu",
         "Pacific/Auckland", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


def test_the_database_finds_exactly_the_members_due_whatever_their_zone_settings_and_history(db):
    """The coarse SQL filter must never leave out a member the exact check would send to."""
    rng = random.Random(5)
    group = factories.make_group()
    base = utc(2030, 3, 29, 0, 0)
    members = []
    for _ in range(80):
        frequency = rng.choice(
            [DigestFrequency.DAILY, DigestFrequency.WEEKLY, DigestFrequency.WEEKLY, DigestFrequency.NEVER]
        )
        user = factories.make_member(
            group=group,
            timezone=rng.choice(ZONES),
            digest_frequency=frequency,
            digest_weekday=rng.randrange(7),
            digest_time=time(rng.randrange(24), rng.choice([0, 15, 30, 45])),
        )
        if rng.random() < 0.7:
            covers_until = base - timedelta(hours=rng.randrange(0, 24 * 20))
            period = covers_until.astimezone(zoneinfo.ZoneInfo(user.timezone)).date()
            DigestDelivery.objects.create(
                user=user, period=period, frequency=frequency, covers_from=covers_until - timedelta(days=7),
                covers_until=covers_until, status=DigestDelivery.Status.SENT,
            )
        members.append(user)
    latest = digest.latest_deliveries(user.pk for user in members)

    for hours in range(0, 24 * 8, 7):
        now = base + timedelta(hours=hours, minutes=rng.choice([0, 15, 30, 45]))
        expected = [
            user.pk
            for user in members
            if due(digest.slot_for(user, now=now), *latest.get(user.pk, (None, None)))
        ]
        assert digest.due_member_ids(now=now) == sorted(expected), now


def test_members_in_no_group_or_without_an_address_are_never_due(db):
    loner = factories.make_user(digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0))
    no_address = factories.make_member(digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0), email="")
    inactive = factories.make_member(digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0), is_active=False)
    member = factories.make_member(digest_frequency=DigestFrequency.DAILY, digest_time=time(0, 0))

    due_ids = digest.due_member_ids(now=utc(2030, 3, 25, 12, 0))

    assert member.pk in due_ids
    assert not {loner.pk, no_address.pk, inactive.pk} & set(due_ids)


# What goes in ------------------------------------------------------------------------------------------------


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def settled(group, topic, member, moderator, now):
    """Everyone in the group joined a month ago, so joining is not news."""
    Membership.objects.update(joined_at=now - timedelta(days=30))
    return group


def start_thread(topic, author, now, title="A thread", body="Opening post."):
    return discussion_services.start_thread(topic=topic, author=author, title=title, body=body, now=now)


def reply(thread, author, now, body="A reply.", quoted_post=None):
    return discussion_services.publish_post(thread=thread, author=author, body=body, now=now, quoted_post=quoted_post)


def open_prompt(topic, author, published_at, **fields) -> Prompt:
    prompt = factories.make_prompt(topic, author=author, **fields)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=published_at, allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt


def notify(user, kind, post, **fields) -> Notification:
    """The notification discussions.notifications would create about `post`."""
    return Notification.objects.create(
        user=user, kind=kind, actor=post.author, group=post.thread.topic.group, thread=post.thread, post=post,
        created_at=post.created_at, **fields,
    )


def read_up_to(user, thread, number):
    ThreadRead.objects.update_or_create(user=user, thread=thread, defaults={"last_read_number": number})


def section_of(context, group):
    [section] = [section for section in context["sections"] if section["name"] == group.name]
    return section


def test_a_member_s_digest_lists_the_week_s_prompts_with_whether_they_answered_and_voted(
    settled, topic, member, moderator, now
):
    answered = open_prompt(topic, moderator, now - timedelta(days=2), title="Who pays for CAR-T in 2030?")
    poll = polls.save_poll(prompt=answered, kind="choice", options=["Insurers", "Patients"])
    reply(answered.thread, member, now - timedelta(days=1), body="Insurers, mostly.")
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=now - timedelta(days=1))
    reply(answered.thread, moderator, now - timedelta(hours=1), body="Thanks all.")
    unanswered = open_prompt(topic, moderator, now - timedelta(days=1), title="Will prices fall?")

    section = section_of(digest.digest_context(member, now=now), settled)

    by_title = {item["title"]: item for item in section["prompts"]}
    assert by_title["Who pays for CAR-T in 2030?"]["answered"] and by_title["Who pays for CAR-T in 2030?"]["voted"]
    assert by_title["Will prices fall?"]["answered"] is False
    assert by_title["Will prices fall?"]["is_new"] and by_title["Will prices fall?"]["has_poll"] is False
    assert unanswered.thread.get_absolute_url() in by_title["Will prices fall?"]["url"]


def test_prompts_closing_within_two_days_that_the_member_has_not_answered_come_first(
    settled, topic, member, moderator, now
):
    three_days_ago, tomorrow = now - timedelta(days=3), now + timedelta(hours=30)
    closing = open_prompt(topic, moderator, three_days_ago, title="Closing soon?", closes_at=tomorrow)
    answered = open_prompt(topic, moderator, three_days_ago, title="Answered already?", closes_at=tomorrow)
    reply(answered.thread, member, now - timedelta(hours=2))
    later = open_prompt(topic, moderator, three_days_ago, title="Closing next week?", closes_at=now + timedelta(days=6))

    section = section_of(digest.digest_context(member, now=now), settled)

    assert [item["title"] for item in section["closing_soon"]] == [closing.title]
    assert {answered.title, later.title} <= {item["title"] for item in section["prompts"]}
    assert closing.title not in {item["title"] for item in section["prompts"]}


def test_a_vote_alone_answers_a_prompt_closing_soon_as_everywhere_else(settled, topic, member, moderator, now):
    three_days_ago, tomorrow = now - timedelta(days=3), now + timedelta(hours=30)
    voted = open_prompt(topic, moderator, three_days_ago, title="Voted already?", closes_at=tomorrow)
    poll = polls.save_poll(prompt=voted, kind="choice", options=["Yes", "No"])
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=now - timedelta(hours=2))

    section = section_of(digest.digest_context(member, now=now), settled)

    assert voted.title not in [item["title"] for item in section["closing_soon"]]
    assert Prompt.objects.filter(pk=voted.pk).unanswered_by(member).exists() is False


def test_the_best_answers_so_far_are_key_insights_first_then_the_most_quoted_never_removed_ones(
    settled, topic, member, moderator, now
):
    prompt = open_prompt(topic, moderator, now - timedelta(days=10), title="What limits access?")
    others = [factories.make_member(group=settled) for _ in range(4)]
    Membership.objects.update(joined_at=now - timedelta(days=30))
    plain = reply(prompt.thread, others[0], now - timedelta(days=9), body="Plain answer nobody quoted.")
    quoted_once = reply(prompt.thread, others[1], now - timedelta(days=9), body="Quoted once.")
    quoted_twice = reply(prompt.thread, others[2], now - timedelta(days=9), body="Quoted twice.")
    insight = reply(prompt.thread, others[3], now - timedelta(days=9), body="The key insight.")
    removed = reply(prompt.thread, others[0], now - timedelta(days=9), body="Quoted thrice but removed.")
    for quoted in (quoted_once, quoted_twice, quoted_twice, removed, removed, removed):
        reply(prompt.thread, moderator, now - timedelta(days=2), body="Quoting.", quoted_post=quoted)
    Post.objects.filter(pk=insight.pk).update(is_key_insight=True)
    discussion_services.delete_post(post=removed, deleted_by=moderator, now=now - timedelta(days=1))

    section = section_of(digest.digest_context(member, now=now), settled)

    urls = [answer["url"] for answer in section["best_answers"]]
    assert urls == [digest.post_url(post.pk) for post in (insight, quoted_twice, quoted_once)]
    assert section["best_answers"][0]["is_key_insight"]
    assert section["best_answers"][1]["quotes"] == 2
    assert digest.post_url(plain.pk) not in urls


def test_insightful_reactions_count_with_quotes_in_ranking_the_best_answers(settled, topic, member, moderator, now):
    prompt = open_prompt(topic, moderator, now - timedelta(days=10), title="What limits access?")
    others = [factories.make_member(group=settled) for _ in range(4)]
    Membership.objects.update(joined_at=now - timedelta(days=30))
    quoted_once = reply(prompt.thread, others[0], now - timedelta(days=9), body="Quoted once.")
    insightful = reply(prompt.thread, others[1], now - timedelta(days=9), body="Found insightful by three.")
    agreed = reply(prompt.thread, others[2], now - timedelta(days=9), body="Agreed with, not insightful.")
    reply(prompt.thread, moderator, now - timedelta(days=2), body="Quoting.", quoted_post=quoted_once)
    for reader in (others[0], others[3], moderator):
        reactions.set_reaction(post=insightful, user=reader, kind=Reaction.Kind.INSIGHTFUL, on=True)
        reactions.set_reaction(post=agreed, user=reader, kind=Reaction.Kind.AGREE, on=True)

    section = section_of(digest.digest_context(member, now=now), settled)

    urls = [answer["url"] for answer in section["best_answers"]]
    assert urls == [digest.post_url(post.pk) for post in (insightful, quoted_once)]
    assert section["best_answers"][0]["insightful"] == 3
    text = digest.build_digest_message(member, digest.digest_context(member, now=now)).body
    assert "3 members found it insightful" in text


def test_the_best_answers_cost_the_same_queries_with_or_without_reactions(
    settled, topic, member, moderator, now
):
    prompt = open_prompt(topic, moderator, now - timedelta(days=10), title="What limits access?")
    answers = [reply(prompt.thread, factories.make_member(group=settled), now - timedelta(days=9)) for _ in range(3)]
    for answer in answers:  # best answers already, by their quotes: the reactions add no section of their own
        reply(prompt.thread, moderator, now - timedelta(days=2), body="Quoting.", quoted_post=answer)
    Membership.objects.update(joined_at=now - timedelta(days=30))
    digest.digest_context(member, now=now)

    with CaptureQueriesContext(connection) as before:
        digest.digest_context(member, now=now)
    for answer in answers:
        reactions.set_reaction(post=answer, user=moderator, kind=Reaction.Kind.INSIGHTFUL, on=True)
    with CaptureQueriesContext(connection) as after:
        digest.digest_context(member, now=now)

    assert len(after) == len(before)


def test_new_outcomes_and_key_insights_are_listed(settled, topic, member, moderator, now):
    prompt = open_prompt(topic, moderator, now - timedelta(days=20), title="Old prompt")
    Outcome.objects.create(
        topic=topic, prompt=prompt, takeaways="Prices will **fall** by 2031.", author=moderator,
        created_at=now - timedelta(days=1),
    )
    Outcome.objects.create(
        topic=topic, takeaways="Too old to be news.", author=moderator, created_at=now - timedelta(days=9)
    )
    thread = start_thread(topic, moderator, now - timedelta(days=2), title="Manufacturing notes")
    insight = reply(thread, moderator, now - timedelta(days=2), body="Vein-to-vein time is the bottleneck.")
    Post.objects.filter(pk=insight.pk).update(is_key_insight=True)

    section = section_of(digest.digest_context(member, now=now), settled)

    outcomes = [(item["title"], item["excerpt"]) for item in section["outcomes"]]
    assert outcomes == [("Old prompt", "Prices will fall by 2031.")]
    assert [item["excerpt"] for item in section["key_insights"]] == ["Vein-to-vein time is the bottleneck."]
    assert section["key_insights"][0]["author"] == "Dr Moderator"
    assert section["key_insights"][0]["url"] == digest.post_url(insight.pk)


def test_active_threads_are_ranked_by_distinct_participants_then_replies_not_by_recency(
    settled, topic, member, moderator, now
):
    people = [factories.make_member(group=settled) for _ in range(4)]
    Membership.objects.update(joined_at=now - timedelta(days=30))
    crowded = start_thread(topic, people[0], now - timedelta(days=5), title="Crowded")
    for person in people[1:]:
        reply(crowded, person, now - timedelta(days=5))
    chatty = start_thread(topic, people[0], now - timedelta(days=3), title="Chatty")
    for _ in range(6):
        reply(chatty, people[1], now - timedelta(days=3))
    duet = start_thread(topic, people[0], now - timedelta(days=4), title="Duet")
    reply(duet, people[1], now - timedelta(days=4))
    start_thread(topic, people[2], now - timedelta(hours=1), title="Latest")

    section = section_of(digest.digest_context(member, now=now), settled)

    assert [thread["title"] for thread in section["active_threads"]] == ["Crowded", "Chatty", "Duet", "Latest"]
    assert section["active_threads"][0]["participants"] == 4
    assert section["active_threads"][1]["unread"] == 7


def test_an_active_thread_links_to_the_first_post_the_member_has_not_read(settled, topic, member, moderator, now):
    thread = start_thread(topic, moderator, now - timedelta(days=3), title="Half read")
    second = reply(thread, moderator, now - timedelta(days=3))
    third = reply(thread, moderator, now - timedelta(days=2))
    read_up_to(member, thread, second.number)

    [item] = section_of(digest.digest_context(member, now=now), settled)["active_threads"]

    assert item["url"] == f"{emails.absolute('')}/p/{third.pk}/"
    assert item["url"].startswith("http")
    assert item["unread"] == 1


def test_what_the_member_has_already_read_on_the_site_is_left_out(settled, topic, member, moderator, now):
    thread = start_thread(topic, moderator, now - timedelta(days=3), title="Read it all")
    reply(thread, moderator, now - timedelta(days=2))
    insight = reply(thread, moderator, now - timedelta(days=2), body="Insight already seen.")
    Post.objects.filter(pk=insight.pk).update(is_key_insight=True)
    prompt = open_prompt(topic, moderator, now - timedelta(days=2), title="Read prompt")
    read_up_to(member, thread, 3)
    read_up_to(member, prompt.thread, 1)

    assert digest.digest_context(member, now=now) is None


def test_nothing_new_means_no_digest(settled, member, now):
    assert digest.digest_context(member, now=now) is None


def test_the_member_s_own_posts_are_not_news_to_them(settled, topic, member, now):
    thread = start_thread(topic, member, now - timedelta(days=1), title="My own thread")
    reply(thread, member, now - timedelta(hours=5))

    assert digest.digest_context(member, now=now) is None


def test_a_digest_covers_only_what_happened_since_the_previous_one(settled, topic, member, moderator, now):
    before = start_thread(topic, moderator, now - timedelta(days=3), title="Before the last digest")
    after = start_thread(topic, moderator, now - timedelta(hours=3), title="After the last digest")
    DigestDelivery.objects.create(
        user=member, period=(now - timedelta(days=1)).date(), frequency="weekly",
        covers_from=now - timedelta(days=8), covers_until=now - timedelta(days=1), status=DigestDelivery.Status.SENT,
    )

    section = section_of(digest.digest_context(member, now=now), settled)

    assert [thread["title"] for thread in section["active_threads"]] == [after.title]
    assert before.title not in str(section)


def test_replies_and_mentions_addressed_to_the_member_are_listed_unless_read_or_emailed_at_once(
    settled, topic, member, moderator, now
):
    thread = start_thread(topic, member, now - timedelta(days=2), title="My question")
    answer = reply(thread, moderator, now - timedelta(days=1), body="Here is an answer for you.")
    mention = reply(thread, moderator, now - timedelta(hours=20), body="@mei what do you think?")
    emailed = reply(thread, moderator, now - timedelta(hours=10), body="Already emailed at once.")
    seen = reply(thread, moderator, now - timedelta(hours=5), body="Marked read.")
    pending = reply(thread, moderator, now - timedelta(minutes=2), body="Its email goes out in a few minutes.")
    notify(member, NotificationKind.REPLY, answer)
    notify(member, NotificationKind.MENTION, mention)
    nine_hours_ago = now - timedelta(hours=9)
    notify(member, NotificationKind.QUOTE, emailed, email_due_at=nine_hours_ago, emailed_at=nine_hours_ago)
    notify(member, NotificationKind.REPLY, seen, read_at=now - timedelta(hours=4))
    notify(member, NotificationKind.MENTION, pending, email_due_at=now + timedelta(minutes=3))
    elsewhere = start_thread(topic, member, now - timedelta(days=2), title="Read before it was notified")
    read_first = reply(elsewhere, moderator, now - timedelta(hours=3), body="Read on the site, not marked read.")
    read_up_to(member, elsewhere, read_first.number)
    notify(member, NotificationKind.QUOTE, read_first)

    section = section_of(digest.digest_context(member, now=now), settled)

    assert [(note["text"], note["url"]) for note in section["addressed"]] == [
        ("Dr Moderator mentioned you in", digest.post_url(mention.pk)),
        ("Dr Moderator replied in", digest.post_url(answer.pk)),
    ]
    assert section["addressed"][1]["excerpt"] == "Here is an answer for you."


def test_kinds_the_member_never_wants_by_email_stay_out_of_the_digest(settled, topic, member, moderator, now):
    thread = start_thread(topic, member, now - timedelta(days=2), title="Quiet please")
    answer = reply(thread, moderator, now - timedelta(days=1))
    notify(member, NotificationKind.REPLY, answer)
    member.email_choices = {NotificationKind.REPLY: EmailChoice.NEVER}
    member.save()
    read_up_to(member, thread, 1)  # the thread itself is not news: only the notification could be

    section = section_of(digest.digest_context(member, now=now), settled)

    assert section["addressed"] == []


def test_other_notifications_are_listed_only_when_their_kind_goes_to_the_digest(
    settled, topic, member, moderator, now
):
    watched = start_thread(topic, moderator, now - timedelta(days=1), title="A thread in a watched topic")
    notify(member, NotificationKind.NEW_THREAD, watched.posts.get())
    Notification.objects.create(
        user=member, kind=NotificationKind.JOIN_APPROVED, group=settled, created_at=now - timedelta(days=1)
    )
    read_up_to(member, watched, 0)

    section = section_of(digest.digest_context(member, now=now), settled)
    assert [note["kind"] for note in section["addressed"]] == [NotificationKind.NEW_THREAD]  # the default choices

    member.email_choices = {
        NotificationKind.NEW_THREAD: EmailChoice.IMMEDIATELY,
        NotificationKind.JOIN_APPROVED: EmailChoice.DIGEST,
    }
    member.save()
    section = section_of(digest.digest_context(member, now=now), settled)
    assert [note["text"] for note in section["addressed"]] == [f"Your request to join {settled.name} was approved."]


def test_new_members_are_listed_but_not_the_member_themselves(settled, member, now):
    Membership.objects.filter(user=member).update(joined_at=now - timedelta(days=1))
    newcomers = [factories.make_member(group=settled, display_name=f"Newcomer {n}") for n in range(10)]
    Membership.objects.filter(user__in=newcomers).update(joined_at=now - timedelta(hours=2))

    section = section_of(digest.digest_context(member, now=now), settled)

    assert len(section["new_members"]) == digest.activity.NEW_MEMBERS_NAMED
    assert section["more_new_members"] == 2
    assert "Mei" not in section["new_members"]


def test_a_digest_covers_each_of_the_member_s_groups_and_only_those(
    settled, topic, member, moderator, now, private_group
):
    start_thread(topic, moderator, now - timedelta(days=1), title="In the public group")
    private_topic = factories.make_topic(group=private_group)
    insider = factories.make_member(group=private_group)
    start_thread(private_topic, insider, now - timedelta(days=1), title="Secret deal flow")

    context = digest.digest_context(member, now=now)

    assert [section["name"] for section in context["sections"]] == [settled.name]
    assert "Secret deal flow" not in str(context)
    assert context["groups_label"] == settled.name

    factories.make_membership(group=private_group, user=member)
    third = factories.make_group(name="Third group")
    factories.make_membership(group=third, user=member)
    start_thread(factories.make_topic(group=third), moderator, now - timedelta(days=1), title="Elsewhere")
    context = digest.digest_context(member, now=now)
    assert context["groups_label"] == "your 3 groups"
    assert context["member_of"] == f"{settled.name}, {private_group.name} and Third group"


def test_under_the_chatham_house_rule_the_digest_names_nobody(settled, topic, member, moderator, now):
    prompt = open_prompt(topic, moderator, now - timedelta(days=2), title="Off the record?", chatham_house=True)
    speaker = factories.make_member(group=settled, display_name="Secret Speaker")
    Membership.objects.update(joined_at=now - timedelta(days=30))
    answer = reply(prompt.thread, speaker, now - timedelta(days=1), body="Candidly: prices must fall.")
    Post.objects.filter(pk=answer.pk).update(is_key_insight=True)
    mentioning = reply(prompt.thread, speaker, now - timedelta(hours=3), body="@mei agrees, I think.")
    notify(member, NotificationKind.MENTION, mentioning)

    context = digest.digest_context(member, now=now)
    message = digest.build_digest_message(member, context)

    section = section_of(context, settled)
    assert section["best_answers"][0]["author"] == ""
    assert section["addressed"][0]["text"] == "Someone mentioned you in"
    assert "Candidly: prices must fall." in message.body
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert "Secret Speaker" not in part
        assert speaker.username not in part


def test_a_group_that_keeps_post_text_out_of_email_gets_titles_and_links_only(settled, topic, member, moderator, now):
    settled.emails_titles_only = True
    settled.save()
    prompt = open_prompt(topic, moderator, now - timedelta(days=2), title="Confidential pricing?")
    answer = reply(prompt.thread, moderator, now - timedelta(days=1), body="Our list price is 1.2 million.")
    Post.objects.filter(pk=answer.pk).update(is_key_insight=True)
    Outcome.objects.create(
        topic=topic, prompt=prompt, takeaways="The deal closes in May.", author=moderator,
        created_at=now - timedelta(hours=1),
    )
    notify(member, NotificationKind.REPLY, answer)

    message = digest.build_digest_message(member, digest.digest_context(member, now=now))

    for part in (message.body, message.alternatives[0][0]):
        assert "Confidential pricing?" in part
        assert digest.post_url(answer.pk) in part
        assert "1.2 million" not in part
        assert "closes in May" not in part
        assert "Opening" not in part


def test_the_email_names_the_group_and_says_why_it_was_sent(settled, topic, member, moderator, now):
    start_thread(topic, moderator, now - timedelta(days=1), title="Pricing news")

    message = digest.build_digest_message(member, digest.digest_context(member, now=now))

    assert message.subject == f"Your weekly digest: {settled.name} · 1 active thread"
    assert message.to == [member.email]
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    footer = f"You get this weekly digest because you are a member of {settled.name}; change when and how often in"
    assert footer in message.body
    assert footer in html
    assert "<script" not in html and "<img" not in html
    assert message.extra_headers["List-Id"].startswith(f"<digest.{settled.slug}.")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Pricing news" in message.body and "Pricing news" in html


def test_a_removed_member_s_old_group_is_not_in_their_digest(settled, topic, member, moderator, now):
    start_thread(topic, moderator, now - timedelta(days=1), title="After they left")
    Membership.objects.filter(user=member).delete()

    assert digest.digest_context(member, now=now) is None


def test_excerpts_leave_out_what_a_post_quotes():
    body_html = (
        "<p><strong>Mei</strong> wrote:</p>\n<blockquote>\n<p>old</p>\n<blockquote><p>older</p></blockquote>\n"
        "</blockquote>\n<p>My answer &amp; more</p>"
    )
    assert digest.excerpt(body_html) == "My answer & more"


# Previews ----------------------------------------------------------------------------------------------------


def test_a_member_previews_what_they_would_receive_now(client, settled, topic, member, moderator, now, mailoutbox):
    start_thread(topic, moderator, now - timedelta(days=1), title="Preview me")
    client.force_login(member)

    response = client.get(reverse("discussions:digest_preview"))

    assert response.status_code == HTTPStatus.OK
    assert "Preview me" in response.content.decode()
    assert response.context["subject"].startswith("Your weekly digest")
    assert mailoutbox == []
    assert not DigestDelivery.objects.exists()


def test_the_preview_says_when_nothing_would_be_sent(client, settled, member):
    client.force_login(member)

    response = client.get(reverse("discussions:digest_preview"))

    assert response.status_code == HTTPStatus.OK
    assert "no email would be sent" in response.content.decode()


def test_the_preview_needs_a_login(client, db):
    response = client.get(reverse("discussions:digest_preview"))

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_a_moderator_sees_the_group_s_part_of_what_a_member_would_receive(
    client, settled, topic, member, moderator, now, private_group
):
    start_thread(topic, moderator, now - timedelta(days=1), title="Group news")
    factories.make_membership(group=private_group, user=member)
    other_topic, insider = factories.make_topic(group=private_group), factories.make_member(group=private_group)
    start_thread(other_topic, insider, now - timedelta(days=1), title="Other group secret")
    client.force_login(moderator)

    response = client.get(reverse("discussions:member_digest_preview", args=[settled.slug, member.username]))

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Group news" in page
    assert "Other group secret" not in page
    assert "unsubscribe" not in page.lower()  # the member's own unsubscribe link is theirs alone


def test_a_member_cannot_preview_another_member_s_digest(client, settled, member, moderator):
    client.force_login(member)

    response = client.get(reverse("discussions:member_digest_preview", args=[settled.slug, moderator.username]))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_private_group_s_member_previews_are_not_found_for_outsiders(client, private_group, outsider):
    insider = factories.make_member(group=private_group)
    client.force_login(outsider)

    response = client.get(reverse("discussions:member_digest_preview", args=[private_group.slug, insider.username]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_moderator_cannot_preview_someone_outside_their_group(client, settled, moderator, outsider):
    client.force_login(moderator)

    response = client.get(reverse("discussions:member_digest_preview", args=[settled.slug, outsider.username]))

    assert response.status_code == HTTPStatus.NOT_FOUND
