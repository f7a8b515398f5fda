import csv
import io
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import services as discussion_services
from tests.factories import make_group, make_member, make_membership, make_prompt, make_thread, make_topic, make_user
from topics import insight
from topics.models import Membership, Prompt
from topics.polls import cast_vote, save_poll
from topics.scheduling import close_prompt, publish_prompt

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
LONG_AGO = NOW - timedelta(days=90)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def start_thread(topic, author, *, at=LONG_AGO):
    return discussion_services.start_thread(topic=topic, author=author, title="A thread", body="Opening.", now=at)


def reply(thread, author, *, at):
    return discussion_services.publish_post(thread=thread, author=author, body="A reply.", now=at)


def open_prompt(topic, author, *, at=None, with_poll=False):
    prompt = make_prompt(topic, author=author)
    if with_poll:
        save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    publish_prompt(prompt_id=prompt.pk, now=at or days_ago(10), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt


def vote(prompt, user, *, at=None):
    poll = prompt.poll
    return cast_vote(poll=poll, user=user, option_id=poll.options.first().pk, reason="", now=at or days_ago(5))


def activity_of(topic):
    return next(t for t in insight.topic_activity(topic.group, NOW) if t.pk == topic.pk)


def row_of(group, user):
    return next(row for row in insight.member_activity_rows(group, NOW) if row["username"] == user.username)


# Activity by topic


def test_a_post_exactly_seven_days_old_counts_in_both_periods(topic, member):
    thread = start_thread(topic, member)
    reply(thread, member, at=days_ago(7))
    activity = activity_of(topic)
    assert (activity.posts_7, activity.posts_30) == (1, 1)


def test_a_post_one_second_older_than_seven_days_counts_only_in_the_thirty_days(topic, member):
    thread = start_thread(topic, member)
    reply(thread, member, at=days_ago(7) - SECOND)
    activity = activity_of(topic)
    assert (activity.posts_7, activity.posts_30) == (0, 1)


def test_a_post_exactly_thirty_days_old_counts_in_the_thirty_days(topic, member):
    thread = start_thread(topic, member)
    reply(thread, member, at=days_ago(30))
    assert activity_of(topic).posts_30 == 1


def test_a_post_one_second_older_than_thirty_days_is_not_counted(topic, member):
    thread = start_thread(topic, member)
    reply(thread, member, at=days_ago(30) - SECOND)
    activity = activity_of(topic)
    assert (activity.posts_7, activity.posts_30, activity.participants_30) == (0, 0, 0)


def test_a_post_after_now_is_not_counted(topic, member):
    thread = start_thread(topic, member)
    reply(thread, member, at=NOW + SECOND)
    assert activity_of(topic).posts_7 == 0


def test_a_deleted_post_is_not_counted_in_topic_activity(topic, member, moderator):
    thread = start_thread(topic, member)
    post = reply(thread, member, at=days_ago(1))
    discussion_services.delete_post(post=post, deleted_by=moderator, now=NOW)
    activity = activity_of(topic)
    assert (activity.posts_7, activity.participants_7) == (0, 0)


def test_participants_count_each_author_once(topic, member, moderator):
    thread = start_thread(topic, member)
    for author in (member, member, moderator):
        reply(thread, author, at=days_ago(2))
    activity = activity_of(topic)
    assert (activity.posts_7, activity.participants_7) == (3, 2)


def test_threads_count_the_threads_started_in_the_period(topic, member):
    old = start_thread(topic, member, at=days_ago(40))
    reply(old, member, at=days_ago(1))
    start_thread(topic, member, at=days_ago(7))
    start_thread(topic, member, at=days_ago(8))
    activity = activity_of(topic)
    assert (activity.threads_7, activity.threads_30) == (1, 2)


def test_topic_activity_counts_the_opening_post_of_a_new_thread(topic, member):
    start_thread(topic, member, at=days_ago(3))
    activity = activity_of(topic)
    assert (activity.threads_7, activity.posts_7, activity.participants_7) == (1, 1, 1)


def test_topic_activity_lists_every_topic_of_the_group_and_no_other(group, topic, member):
    quiet_topic = make_topic(group=group)
    make_topic()
    assert [t.pk for t in insight.topic_activity(group, NOW)] == [topic.pk, quiet_topic.pk]
    assert activity_of(quiet_topic).posts_30 == 0


# Prompt response rates


def test_the_prompts_opening_post_is_not_an_answer(topic, moderator, member):
    prompt = open_prompt(topic, moderator)
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.pk, rates.answered_count, rates.response_rate) == (prompt.pk, 0, 0)


def test_a_reply_in_the_prompts_thread_is_an_answer(topic, moderator, member):
    prompt = open_prompt(topic, moderator)
    reply(prompt.thread, member, at=days_ago(1))
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.replied_count, rates.voted_count, rates.answered_count) == (1, 0, 1)


def test_a_vote_in_the_prompts_poll_is_a_response(topic, moderator, member):
    prompt = open_prompt(topic, moderator, with_poll=True)
    vote(prompt, member)
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.replied_count, rates.voted_count, rates.answered_count) == (0, 1, 1)


def test_a_member_who_replies_and_votes_responds_once(topic, moderator, member):
    prompt = open_prompt(topic, moderator, with_poll=True)
    reply(prompt.thread, member, at=days_ago(1))
    reply(prompt.thread, member, at=days_ago(1))
    vote(prompt, member)
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.replied_count, rates.voted_count, rates.answered_count) == (1, 1, 1)


def test_a_deleted_reply_is_not_an_answer(topic, moderator, member):
    prompt = open_prompt(topic, moderator)
    post = reply(prompt.thread, member, at=days_ago(1))
    discussion_services.delete_post(post=post, deleted_by=moderator)
    [rates] = insight.prompt_response_rates(topic.group)
    assert rates.answered_count == 0


def test_the_response_rate_is_out_of_the_groups_members(topic, moderator, member):
    make_member(group=topic.group)
    make_member(group=topic.group)
    prompt = open_prompt(topic, moderator)
    reply(prompt.thread, member, at=days_ago(1))
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.answered_count, rates.member_count, rates.response_rate) == (1, 4, 25)


def test_answers_from_people_who_left_the_group_do_not_count(topic, moderator, member):
    prompt = open_prompt(topic, moderator)
    reply(prompt.thread, member, at=days_ago(1))
    Membership.objects.filter(group=topic.group, user=member).delete()
    [rates] = insight.prompt_response_rates(topic.group)
    assert (rates.answered_count, rates.member_count) == (0, 1)


def test_only_published_prompts_have_response_rates(topic, moderator):
    make_prompt(topic, author=moderator)
    make_prompt(topic, author=moderator, status=Prompt.Status.SCHEDULED, publish_at=NOW + timedelta(days=3))
    closed = open_prompt(topic, moderator)
    close_prompt(prompt_id=closed.pk, now=NOW)
    opened = open_prompt(topic, moderator, at=days_ago(2))
    assert [p.pk for p in insight.prompt_response_rates(topic.group)] == [opened.pk, closed.pk]


def test_prompts_without_answers_lists_only_prompts_nobody_answered_or_voted_on(topic, moderator, member):
    silent = open_prompt(topic, moderator, at=days_ago(3))
    answered = open_prompt(topic, moderator, at=days_ago(4))
    reply(answered.thread, member, at=days_ago(1))
    voted = open_prompt(topic, moderator, at=days_ago(5), with_poll=True)
    vote(voted, member)
    only_deleted = open_prompt(topic, moderator, at=days_ago(6))
    post = reply(only_deleted.thread, member, at=days_ago(1))
    discussion_services.delete_post(post=post, deleted_by=moderator)
    open_prompt(make_topic(), None)  # another group's silent prompt
    assert [p.pk for p in insight.prompts_without_answers(topic.group)] == [silent.pk, only_deleted.pk]


# Quiet members


def test_a_member_who_posted_exactly_thirty_days_ago_is_not_quiet(topic, member):
    start_thread(topic, member, at=days_ago(30))
    assert member.pk not in [m.user_id for m in insight.quiet_members(topic.group, NOW)]


def test_a_member_whose_last_post_is_a_second_older_than_thirty_days_is_quiet(topic, member):
    start_thread(topic, member, at=days_ago(30) - SECOND)
    [quiet] = [m for m in insight.quiet_members(topic.group, NOW) if m.user_id == member.pk]
    assert quiet.last_post_at == days_ago(30) - SECOND


def test_a_member_who_never_posted_is_quiet_with_no_last_post_and_listed_first(topic, member, moderator):
    start_thread(topic, moderator, at=days_ago(45))
    quiet = insight.quiet_members(topic.group, NOW)
    assert [(m.user_id, m.last_post_at) for m in quiet] == [(member.pk, None), (moderator.pk, days_ago(45))]


def test_a_deleted_post_does_not_keep_a_member_from_being_quiet(topic, member, moderator):
    thread = start_thread(topic, moderator, at=days_ago(1))
    post = reply(thread, member, at=days_ago(1))
    discussion_services.delete_post(post=post, deleted_by=moderator)
    assert [m.user_id for m in insight.quiet_members(topic.group, NOW)] == [member.pk]


def test_posts_in_another_group_do_not_count_against_quietness(topic, member):
    elsewhere = make_topic()
    make_membership(group=elsewhere.group, user=member)
    start_thread(elsewhere, member, at=days_ago(1))
    assert member.pk in [m.user_id for m in insight.quiet_members(topic.group, NOW)]


def test_quiet_members_takes_the_number_of_days(topic, member):
    start_thread(topic, member, at=days_ago(8))
    assert member.pk in [m.user_id for m in insight.quiet_members(topic.group, NOW, days=7)]


# Member activity rows


def test_member_activity_counts_posts_in_each_period_and_in_total(topic, member, moderator):
    thread = start_thread(topic, member, at=days_ago(60))
    reply(thread, member, at=days_ago(7))
    reply(thread, member, at=days_ago(30))
    reply(thread, member, at=days_ago(31))
    deleted = reply(thread, member, at=days_ago(1))
    discussion_services.delete_post(post=deleted, deleted_by=moderator)
    row = row_of(topic.group, member)
    assert (row["posts_7"], row["posts_30"], row["posts_total"]) == (1, 2, 4)


def test_member_activity_counts_prompts_answered_by_reply_or_vote_once_each(topic, moderator, member):
    replied = open_prompt(topic, moderator)
    reply(replied.thread, member, at=days_ago(1))
    both = open_prompt(topic, moderator, with_poll=True)
    reply(both.thread, member, at=days_ago(1))
    vote(both, member)
    only_voted = open_prompt(topic, moderator, with_poll=True)
    vote(only_voted, member)
    open_prompt(topic, moderator)
    row = row_of(topic.group, member)
    assert (row["prompts_answered"], row["votes"]) == (3, 2)


def test_the_prompt_author_has_not_answered_a_prompt_by_opening_it(topic, moderator):
    open_prompt(topic, moderator)
    row = row_of(topic.group, moderator)
    assert (row["prompts_answered"], row["posts_total"]) == (0, 1)


def test_member_activity_describes_the_member(topic):
    user = make_user(username="lin", display_name="Lin Wei", email="lin@example.org")
    membership = make_membership(group=topic.group, user=user, role=Membership.Role.MODERATOR)
    Membership.objects.filter(pk=membership.pk).update(joined_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
    row = row_of(topic.group, user)
    expected = {"display_name": "Lin Wei", "email": "lin@example.org", "role": "Moderator", "joined": "2025-03-04"}
    assert {key: row[key] for key in expected} == expected
    assert row["last_post"] == "never"


def test_member_activity_dates_are_on_the_groups_clock(member):
    group = member.memberships.get().group
    group.timezone = "Asia/Shanghai"
    group.save()
    start_thread(make_topic(group=group), member, at=datetime(2025, 5, 31, 20, 0, tzinfo=UTC))  # 04:00 in Shanghai
    assert row_of(group, member)["last_post"] == "2025-06-01"


# CSV


def csv_text(rows) -> list[list[str]]:
    out = io.StringIO()
    insight.write_member_activity_csv(rows, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(topic, dangerous):
    user = make_member(group=topic.group, display_name=dangerous)
    [_, data] = csv_text([row_of(topic.group, user)])
    assert data[1] == "'" + dangerous


def test_ordinary_cells_are_written_unchanged(topic):
    user = make_member(group=topic.group, username="mei-li", display_name="李梅 (Mei)")
    [header, data] = csv_text([row_of(topic.group, user)])
    assert header[:3] == ["Username", "Display name", "Email"]
    assert data[:2] == ["mei-li", "李梅 (Mei)"]


# Constant queries


def add_activity(group, moderator, *, topics: int, members: int):
    people = [make_member(group=group) for _ in range(members)]
    for _ in range(topics):
        topic = make_topic(group=group)
        thread = start_thread(topic, people[0], at=days_ago(20))
        for person in people:
            reply(thread, person, at=days_ago(3))
        prompt = open_prompt(topic, moderator, with_poll=True)
        for person in people:
            reply(prompt.thread, person, at=days_ago(2))
            vote(prompt, person)
        open_prompt(topic, moderator)


@pytest.mark.parametrize("size", [{"topics": 1, "members": 1}, {"topics": 4, "members": 5}])
def test_each_insight_function_runs_a_fixed_number_of_queries(group, moderator, django_assert_num_queries, size):
    add_activity(group, moderator, **size)
    with django_assert_num_queries(1):
        insight.topic_activity(group, NOW)
    with django_assert_num_queries(1):  # the member count is a subquery of the same query
        insight.prompt_response_rates(group)
    with django_assert_num_queries(1):
        insight.prompts_without_answers(group)
    with django_assert_num_queries(1):
        insight.quiet_members(group, NOW)
    with django_assert_num_queries(1):
        insight.member_activity_rows(group, NOW)


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_the_insight_pages_queries_do_not_grow_with_the_group(
    client, group, moderator, django_assert_num_queries, url_name
):
    client.force_login(moderator)
    url = reverse(url_name, args=[group.slug])
    add_activity(group, moderator, topics=1, members=1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == HTTPStatus.OK
    add_activity(group, moderator, topics=3, members=4)
    with django_assert_num_queries(len(small)):
        assert client.get(url).status_code == HTTPStatus.OK


# Views


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_a_moderator_can_open_the_insight_pages(client, group, moderator, url_name):
    client.force_login(moderator)
    response = client.get(reverse(url_name, args=[group.slug]))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_an_owner_can_open_the_insight_pages(client, group, url_name):
    owner = make_membership(group=group, role=Membership.Role.OWNER).user
    client.force_login(owner)
    assert client.get(reverse(url_name, args=[group.slug])).status_code == HTTPStatus.OK


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_a_member_is_forbidden_the_insight_pages(client, group, member, url_name):
    client.force_login(member)
    assert client.get(reverse(url_name, args=[group.slug])).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_an_outsider_of_a_public_group_is_forbidden_the_insight_pages(client, group, outsider, url_name):
    client.force_login(outsider)
    assert client.get(reverse(url_name, args=[group.slug])).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_an_outsider_cannot_tell_a_private_group_has_insight_pages(client, private_group, outsider, url_name):
    client.force_login(outsider)
    assert client.get(reverse(url_name, args=[private_group.slug])).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("url_name", ["topics:insight", "topics:insight_csv"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, private_group, url_name):
    url = reverse(url_name, args=[private_group.slug])
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_the_insight_tab_is_shown_to_moderators_only(client, group, moderator, member):
    url = reverse("topics:insight", args=[group.slug])
    client.force_login(member)
    assert url not in client.get(reverse("topics:group", args=[group.slug])).content.decode()
    client.force_login(moderator)
    assert url in client.get(reverse("topics:group", args=[group.slug])).content.decode()


def test_the_insight_page_shows_each_section(client, topic, moderator, member):
    silent = open_prompt(topic, moderator)
    client.force_login(moderator)
    response = client.get(reverse("topics:insight", args=[topic.group.slug]))
    page = response.content.decode()
    headings = ("Activity by topic", "Prompt response rates", "Prompts with no answers", "have not posted in 30 days")
    for heading in headings:
        assert heading in page
    assert topic.title in page
    assert silent.title in page
    assert "No answers" in page
    assert reverse("topics:insight_csv", args=[topic.group.slug]) in page
    assert "Download member activity (CSV)" in page


def test_the_insight_page_offers_a_mailto_nudge_for_quiet_members(client, topic, moderator, member):
    client.force_login(moderator)
    response = client.get(reverse("topics:insight", args=[topic.group.slug]))
    assert {m.user for m in response.context["quiet"]} == {moderator, member}
    assert f'href="mailto:{member.email}?subject=' in response.content.decode()


def test_the_csv_is_an_attachment_named_after_the_group_and_the_day(client, group, moderator):
    client.force_login(moderator)
    response = client.get(reverse("topics:insight_csv", args=[group.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{group.slug}-member-activity-20')
    assert response["Content-Disposition"].endswith('.csv"')
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_the_csv_has_a_header_and_a_row_per_member(client, topic, moderator, member):
    thread = make_thread(topic=topic, author=member)
    reply(thread, member, at=thread.created_at)
    client.force_login(moderator)
    response = client.get(reverse("topics:insight_csv", args=[topic.group.slug]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [header for _, header in insight.MEMBER_ACTIVITY_COLUMNS] == list(rows[0].keys())
    by_username = {row["Username"]: row for row in rows}
    assert set(by_username) == {"mei", "moderator"}
    assert by_username["mei"]["Posts (total)"] == "2"
    assert by_username["mei"]["Email"] == member.email
    assert by_username["moderator"]["Last post"] == "never"


def test_the_csv_starts_with_a_byte_order_mark_for_spreadsheets(client, group, moderator):
    client.force_login(moderator)
    response = client.get(reverse("topics:insight_csv", args=[group.slug]))
    assert response.content.startswith("\ufeff".encode())


def test_another_groups_moderator_cannot_download_this_groups_csv(client, group):
    other_moderator = make_membership(group=make_group(), role=Membership.Role.MODERATOR).user
    client.force_login(other_moderator)
    response = client.get(reverse("topics:insight_csv", args=[group.slug]))
    assert response.status_code == HTTPStatus.FORBIDDEN
