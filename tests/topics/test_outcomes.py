from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import services as discussion_services
from tests.factories import (
    make_group,
    make_member,
    make_moderator,
    make_open_prompt,
    make_post,
    make_prompt,
    make_thread,
    make_topic,
)
from topics import outcomes
from topics.models import Outcome, OutcomeRevision

NOW = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=5)


@pytest.fixture
def prompt(topic, moderator):
    return make_open_prompt(topic, author=moderator, title="Will the NRDL cover CAR-T by 2027?")


@pytest.fixture
def thread(topic, member):
    return make_thread(topic=topic, author=member, title="Who pays for CAR-T?")


@pytest.fixture
def private_setup(private_group):
    """A private group's topic, published prompt and a post in its thread."""
    topic = make_topic(group=private_group, title="Deal flow", slug="deals")
    prompt = make_open_prompt(topic, author=make_moderator(group=private_group))
    post = make_post(prompt.thread, author=make_member(group=private_group))
    return topic, prompt, post


def write(prompt=None, *, topic=None, author, takeaways="Payers want outcomes-based deals.", now=NOW, **fields):
    fields = {"open_questions": "", "dissent": "", "review_on": None} | fields
    return outcomes.save_outcome(
        prompt=prompt, topic=topic or prompt.topic, author=author, takeaways=takeaways, now=now, **fields
    )


def outcome_url(prompt):
    return reverse("topics:prompt_outcome", args=[prompt.topic.group.slug, prompt.pk])


def summary_url(topic):
    return reverse("topics:topic_summary", args=[topic.group.slug, topic.slug])


def topic_url(topic):
    return reverse("topics:topic", args=[topic.group.slug, topic.slug])


def key_insight_url(post):
    return reverse("topics:key_insight", args=[post.pk])


# Saving outcomes and summaries


def test_saving_an_outcome_for_the_first_time_stores_it_with_no_revisions(prompt, moderator):
    outcome = write(prompt, author=moderator, dissent="One clinician expects **no** coverage.")
    assert outcome.prompt == prompt and outcome.author == moderator and outcome.updated_at == NOW
    assert "<strong>no</strong>" in outcome.dissent_html
    assert not outcome.revisions.exists()


def test_editing_an_outcome_keeps_the_previous_text_as_a_revision(prompt, moderator, group):
    first = write(prompt, author=moderator, takeaways="First reading.", review_on=date(2025, 9, 1))
    editor = make_moderator(group=group, display_name="Second Moderator")
    outcome = write(prompt, author=editor, takeaways="Second reading.", now=LATER)
    assert outcome.pk == first.pk
    assert (outcome.takeaways, outcome.author, outcome.updated_at) == ("Second reading.", editor, LATER)
    assert outcome.review_on is None
    revision = outcome.revisions.get()
    assert (revision.takeaways, revision.author, revision.written_at) == ("First reading.", moderator, NOW)
    assert revision.review_on == date(2025, 9, 1)


def test_saving_the_same_text_again_records_no_revision(prompt, moderator):
    write(prompt, author=moderator)
    write(prompt, author=moderator, now=LATER)
    assert OutcomeRevision.objects.count() == 0
    assert Outcome.objects.get().updated_at == NOW


def test_a_topic_has_one_summary_besides_its_prompts_outcomes(prompt, topic, moderator):
    write(prompt, author=moderator)
    summary = write(topic=topic, author=moderator, takeaways="Across prompts: access is the bottleneck.")
    again = write(topic=topic, author=moderator, takeaways="Access and price.", now=LATER)
    assert summary.is_summary and again.pk == summary.pk
    assert Outcome.objects.filter(topic=topic).count() == 2


def test_the_service_refuses_empty_takeaways(prompt, moderator):
    with pytest.raises(outcomes.ValidationError):
        write(prompt, author=moderator, takeaways="   ")
    assert not Outcome.objects.exists()


def test_the_history_lists_versions_newest_first_with_who_and_what_changed(prompt, moderator, group):
    write(prompt, author=moderator, takeaways="*First* reading.")
    editor = make_moderator(group=group)
    outcome = write(prompt, author=editor, takeaways="*First* reading.", dissent="Some disagree.", now=LATER)
    current, older = outcomes.outcome_history(outcome)
    assert (current.is_current, current.author, current.written_at) == (True, editor, LATER)
    assert current.changed == ["Dissent"]
    assert (older.author, older.written_at, older.changed) == (moderator, NOW, [])
    assert older.sections == [("Key takeaways", "<p><em>First</em> reading.</p>")]


# Who may write and read (the export: tests/topics/test_export.py)


@pytest.mark.parametrize("url_of", [outcome_url, lambda prompt: summary_url(prompt.topic)])
def test_a_member_may_not_write_outcomes_or_summaries(client, prompt, member, url_of):
    client.force_login(member)
    assert client.get(url_of(prompt)).status_code == HTTPStatus.FORBIDDEN
    assert client.post(url_of(prompt), {"takeaways": "Mine."}).status_code == HTTPStatus.FORBIDDEN
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("url_of", [outcome_url, lambda prompt: summary_url(prompt.topic)])
def test_anonymous_visitors_are_sent_to_log_in(client, prompt, url_of):
    response = client.get(url_of(prompt))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "url_of",
    [
        lambda topic, prompt: outcome_url(prompt),
        lambda topic, prompt: summary_url(topic),
        lambda topic, prompt: reverse("topics:prompt_outcome_revisions", args=[topic.group.slug, prompt.pk]),
        lambda topic, prompt: reverse("topics:topic_summary_revisions", args=[topic.group.slug, topic.slug]),
        lambda topic, prompt: reverse("topics:topic_export", args=[topic.group.slug, topic.slug]),
    ],
)
def test_outsiders_of_a_private_group_get_not_found(client, outsider, private_setup, url_of):
    topic, prompt, _ = private_setup
    write(prompt, author=None)
    write(topic=topic, author=None)
    client.force_login(outsider)
    assert client.get(url_of(topic, prompt)).status_code == HTTPStatus.NOT_FOUND


def test_a_moderator_of_another_group_gets_not_found_for_its_prompt(client, prompt):
    client.force_login(make_moderator(group=make_group()))
    response = client.get(reverse("topics:prompt_outcome", args=["no-such-group", prompt.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_an_unpublished_prompt_has_no_outcome_editor(client, topic, moderator):
    draft = make_prompt(topic, author=moderator)
    client.force_login(moderator)
    assert client.get(outcome_url(draft)).status_code == HTTPStatus.NOT_FOUND


# The editor


def test_a_moderator_writes_an_outcome_shown_at_the_top_of_the_prompt_thread(client, prompt, moderator, member):
    client.force_login(moderator)
    response = client.post(
        outcome_url(prompt),
        {"takeaways": "Coverage by **2027** is unlikely.", "open_questions": "Will Shanghai pilot it?", "dissent": ""},
    )
    assert response.status_code == HTTPStatus.FOUND
    outcome = prompt.outcome
    assert outcome.author == moderator
    assert f'href="{outcome_url(prompt)}"' in client.get(prompt.thread.get_absolute_url()).content.decode()
    client.force_login(member)
    page = client.get(prompt.thread.get_absolute_url()).content.decode()
    assert "Coverage by <strong>2027</strong> is unlikely." in page
    assert "Will Shanghai pilot it?" in page
    assert "Written by Dr Moderator" in page
    assert reverse("topics:prompt_outcome_revisions", args=[prompt.topic.group.slug, prompt.pk]) in page
    assert f'href="{outcome_url(prompt)}"' not in page  # members get no edit link


def test_empty_takeaways_get_a_form_error_and_store_nothing(client, prompt, moderator):
    client.force_login(moderator)
    response = client.post(outcome_url(prompt), {"takeaways": "  ", "dissent": "Some disagree."})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write the key takeaways." in response.content.decode()
    assert not Outcome.objects.exists()


def test_a_review_date_in_the_past_is_refused_for_a_new_outcome(client, prompt, moderator):
    client.force_login(moderator)
    yesterday = timezone.now().date() - timedelta(days=2)
    response = client.post(outcome_url(prompt), {"takeaways": "Fine.", "review_on": yesterday.isoformat()})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose a review date from today on." in response.content.decode()
    assert not Outcome.objects.exists()


def test_preview_shows_the_rendered_sections_and_stores_nothing(client, prompt, moderator):
    client.force_login(moderator)
    response = client.post(outcome_url(prompt), {"takeaways": "A *draft*.", "preview": "1"})
    assert response.status_code == HTTPStatus.OK
    assert "A <em>draft</em>." in response.content.decode()
    assert not Outcome.objects.exists()


def test_an_edit_through_the_form_keeps_a_revision_shown_rendered_in_the_history(client, prompt, moderator, member):
    client.force_login(moderator)
    client.post(outcome_url(prompt), {"takeaways": "The *first* view."})
    form_page = client.get(outcome_url(prompt)).content.decode()
    assert "The *first* view." in form_page  # the editor starts from the current text
    client.post(outcome_url(prompt), {"takeaways": "The second view."})
    assert prompt.outcome.revisions.get().takeaways == "The *first* view."
    client.force_login(member)
    history = client.get(reverse("topics:prompt_outcome_revisions", args=[prompt.topic.group.slug, prompt.pk]))
    page = history.content.decode()
    assert history.status_code == HTTPStatus.OK
    assert "The <em>first</em> view." in page and "The second view." in page
    assert "Dr Moderator" in page and "changed: key takeaways" in page


def test_the_history_of_an_outcome_not_yet_written_is_not_found(client, prompt, member):
    client.force_login(member)
    response = client.get(reverse("topics:prompt_outcome_revisions", args=[prompt.topic.group.slug, prompt.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_editor_lists_the_threads_posts_as_links_to_cite(client, prompt, moderator, member):
    post = make_post(prompt.thread, author=member, body="Hospitals will not front the cost.")
    removed = make_post(prompt.thread, author=member, body="Withdrawn remark.")
    discussion_services.delete_post(post=removed, deleted_by=member)
    client.force_login(moderator)
    page = client.get(outcome_url(prompt)).content.decode()
    assert f"[post {post.number} by Mei]({post.get_absolute_url()})" in page
    assert "Hospitals will not front the cost." in page
    assert removed.get_absolute_url() not in page


def test_under_the_chatham_house_rule_the_cite_links_name_nobody(client, topic, moderator, member):
    prompt = make_open_prompt(topic, author=moderator, chatham_house=True)
    post = make_post(prompt.thread, author=member)
    client.force_login(moderator)
    page = client.get(outcome_url(prompt)).content.decode()
    assert f"[post {post.number}]({post.get_absolute_url()})" in page
    assert "by Mei" not in page


def test_the_summary_editor_offers_the_topics_key_insights_and_prompt_threads(client, prompt, moderator, member):
    post = make_post(prompt.thread, author=member)
    outcomes.mark_key_insight(post=post, by=moderator)
    client.force_login(moderator)
    page = client.get(summary_url(prompt.topic)).content.decode()
    assert post.get_absolute_url() in page
    assert f"[prompt: {prompt.title}]({prompt.get_absolute_url()})" in page


def test_a_moderator_writes_a_summary_shown_at_the_top_of_the_topic_page(client, topic, moderator, member):
    client.force_login(moderator)
    response = client.post(summary_url(topic), {"takeaways": "The market waits for **reimbursement**."})
    assert response.status_code == HTTPStatus.FOUND and response.url == topic_url(topic)
    client.force_login(member)
    page = client.get(topic_url(topic)).content.decode()
    assert "The market waits for <strong>reimbursement</strong>." in page
    assert reverse("topics:topic_summary_revisions", args=[topic.group.slug, topic.slug]) in page


def test_the_topic_page_offers_moderators_the_summary_editor_and_the_export(client, topic, moderator, member):
    client.force_login(moderator)
    page = client.get(topic_url(topic)).content.decode()
    assert summary_url(topic) in page
    assert reverse("topics:topic_export", args=[topic.group.slug, topic.slug]) in page
    client.force_login(member)
    assert summary_url(topic) not in client.get(topic_url(topic)).content.decode()


# Review dates


def test_an_outcome_is_due_for_review_once_its_date_has_come(client, prompt, moderator, member):
    write(prompt, author=moderator, review_on=timezone.now().date() - timedelta(days=1))
    client.force_login(member)
    assert "Review due" in client.get(prompt.thread.get_absolute_url()).content.decode()


def test_an_outcome_with_a_review_date_ahead_is_not_flagged(client, prompt, moderator, member):
    write(prompt, author=moderator, review_on=timezone.now().date() + timedelta(days=30))
    client.force_login(member)
    page = client.get(prompt.thread.get_absolute_url()).content.decode()
    assert "Review due" not in page and "review on" in page


def test_a_summary_past_its_review_date_is_flagged_on_the_topic_page(client, topic, moderator, member):
    write(topic=topic, author=moderator, review_on=date(2020, 1, 1))
    client.force_login(member)
    assert "Review due" in client.get(topic_url(topic)).content.decode()


def test_a_past_review_date_may_stay_when_the_outcome_is_edited(client, prompt, moderator):
    write(prompt, author=moderator, review_on=date(2020, 1, 1))
    client.force_login(moderator)
    response = client.post(outcome_url(prompt), {"takeaways": "Updated.", "review_on": "2020-01-01"})
    assert response.status_code == HTTPStatus.FOUND
    assert Outcome.objects.get().takeaways == "Updated."


# Key insights


def test_a_moderator_marks_a_post_as_a_key_insight_and_everyone_sees_the_badge(client, thread, moderator, member):
    post = make_post(thread, author=member, body="Day-care infusion halves the cost.")
    client.force_login(moderator)
    response = client.post(key_insight_url(post), {"mark": "1"})
    assert response.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.is_key_insight and post.key_insight_by == moderator
    client.logout()
    assert "Key insight" in client.get(thread.get_absolute_url()).content.decode()


def test_a_moderator_unmarks_a_key_insight(client, thread, moderator, member):
    post = make_post(thread, author=member)
    outcomes.mark_key_insight(post=post, by=moderator)
    client.force_login(moderator)
    client.post(key_insight_url(post), {"mark": "0"})
    post.refresh_from_db()
    assert not post.is_key_insight and post.key_insight_by is None


def test_marking_twice_changes_nothing_the_second_time(thread, moderator, member):
    post = make_post(thread, author=member)
    assert outcomes.mark_key_insight(post=post, by=moderator) is True
    assert outcomes.mark_key_insight(post=post, by=moderator) is False


def test_key_insights_are_marked_only_by_post(client, thread, moderator, member):
    post = make_post(thread, author=member)
    client.force_login(moderator)
    assert client.get(key_insight_url(post)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    post.refresh_from_db()
    assert not post.is_key_insight


def test_a_member_may_not_mark_key_insights(client, thread, member):
    post = make_post(thread, author=member)
    client.force_login(member)
    assert client.post(key_insight_url(post), {"mark": "1"}).status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert not post.is_key_insight


def test_an_outsider_of_a_private_group_gets_not_found_for_a_key_insight(client, outsider, private_setup):
    _, _, post = private_setup
    client.force_login(outsider)
    assert client.post(key_insight_url(post), {"mark": "1"}).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_visitors_are_sent_to_log_in_to_mark_a_key_insight(client, thread, member):
    post = make_post(thread, author=member)
    response = client.post(key_insight_url(post), {"mark": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_a_removed_post_cannot_become_a_key_insight(client, thread, moderator, member):
    post = make_post(thread, author=member)
    discussion_services.delete_post(post=post, deleted_by=member)
    client.force_login(moderator)
    assert client.post(key_insight_url(post), {"mark": "1"}).status_code == HTTPStatus.NOT_FOUND
    post.refresh_from_db()
    assert not post.is_key_insight


def test_a_mark_that_is_neither_on_nor_off_is_a_bad_request(client, thread, moderator, member):
    post = make_post(thread, author=member)
    client.force_login(moderator)
    assert client.post(key_insight_url(post), {"mark": "yes"}).status_code == HTTPStatus.BAD_REQUEST


def test_moderators_see_the_key_insight_button_and_members_do_not(client, thread, moderator, member):
    make_post(thread, author=member)
    client.force_login(moderator)
    assert "Mark as key insight" in client.get(thread.get_absolute_url()).content.decode()
    client.force_login(member)
    assert "Mark as key insight" not in client.get(thread.get_absolute_url()).content.decode()


# The topic page gathers conclusions


def test_the_topic_page_lists_key_insights_and_prompt_outcomes_with_links(client, prompt, thread, moderator, member):
    post = make_post(thread, author=member, body="Day-care infusion halves the cost.")
    outcomes.mark_key_insight(post=post, by=moderator)
    write(prompt, author=moderator, takeaways="Coverage is years away.")
    client.force_login(member)
    page = client.get(topic_url(prompt.topic)).content.decode()
    assert "Day-care infusion halves the cost." in page
    assert post.get_absolute_url() in page
    assert "Coverage is years away." in page
    assert prompt.get_absolute_url() in page and prompt.title in page


def test_outcomes_of_unpublished_prompts_are_not_listed(client, topic, moderator, member):
    draft = make_prompt(topic, author=moderator)
    write(draft, author=moderator, takeaways="Written too early.")
    client.force_login(member)
    assert "Written too early." not in client.get(topic_url(topic)).content.decode()


def test_under_the_chatham_house_rule_members_do_not_see_who_wrote_a_key_insight(client, topic, moderator, member):
    prompt = make_open_prompt(topic, author=moderator, chatham_house=True)
    speaker = make_member(group=topic.group, display_name="Xiaoling Zhou")
    post = make_post(prompt.thread, author=speaker, body="Hospitals ration slots.")
    outcomes.mark_key_insight(post=post, by=moderator)
    client.force_login(member)
    page = client.get(topic_url(topic)).content.decode()
    assert "Hospitals ration slots." in page
    assert "Xiaoling Zhou" not in page and "A participant" in page
    client.force_login(moderator)
    assert "Xiaoling Zhou" in client.get(topic_url(topic)).content.decode()


def _add_conclusions(topic, moderator, count):
    for _ in range(count):
        prompt = make_open_prompt(topic, author=moderator)
        write(prompt, author=moderator, review_on=date(2020, 1, 1))
        post = make_post(prompt.thread, author=make_member(group=topic.group))
        outcomes.mark_key_insight(post=post, by=moderator)


def test_the_topic_page_runs_the_same_queries_with_one_or_ten_outcomes_and_insights(
    client, topic, moderator, django_assert_num_queries
):
    write(topic=topic, author=moderator, review_on=date(2020, 1, 1))
    _add_conclusions(topic, moderator, 1)
    client.force_login(moderator)
    client.get(topic_url(topic))  # the session settles on the first request
    cache.clear()  # each count makes every piece of the page afresh (topics/page_parts.py)
    with CaptureQueriesContext(connection) as one:
        page = client.get(topic_url(topic)).content.decode()
    assert page.count("Key insight") >= 1
    _add_conclusions(topic, moderator, 9)
    cache.clear()
    with django_assert_num_queries(len(one)):
        page = client.get(topic_url(topic)).content.decode()
    assert page.count("Review due") == 11  # the summary and ten outcomes, all shown


def test_gathering_a_topics_conclusions_takes_two_queries(topic, moderator, django_assert_num_queries):
    _add_conclusions(topic, moderator, 3)
    with django_assert_num_queries(2):
        conclusions = outcomes.topic_conclusions(topic, show_all_authors=False, today=NOW.date())
    assert len(conclusions["prompt_outcomes"]) == 3 and len(conclusions["key_insights"]) == 3


def test_a_thread_outside_prompts_can_hold_key_insights_too(thread, moderator):
    post = make_thread(topic=thread.topic).posts.get()
    outcomes.mark_key_insight(post=post, by=moderator)
    assert outcomes.key_insights(thread.topic, show_all_authors=True) == [post]
