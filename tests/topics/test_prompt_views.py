"""Moderators manage prompts from the site; members read the agenda and see what waits for their answer."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from discussions import services as discussion_services
from tests import factories
from topics import polls, scheduling
from topics.forms import PromptForm
from topics.prompts import save_prompt
from topics.models import Membership, Milestone, Poll, Prompt, PromptProgramme


def local(moment: datetime, group) -> str:
    """A time as a datetime-local input sends it: the group's wall clock, no zone."""
    return moment.astimezone(group.tzinfo).strftime("%Y-%m-%dT%H:%M")


def in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)


def prompt_data(topic, **fields) -> dict:
    data = {
        "topic": topic.pk,
        "title": "Will provincial pricing converge by 2027?",
        "context": "Consider the **2024** tenders.",
        "when": "draft",
        "publish_at": "",
        "closes_at": "",
        "milestone": "",
        "milestone_offset_days": "",
        "poll_kind": "",
        "poll_statement": "",
        "poll_options": "",
        "poll_results_visibility": Poll.Results.AFTER_VOTING,
        "poll_quorum": "",
    }
    return data | fields


def new_url(group) -> str:
    return reverse("topics:prompt_new", args=[group.slug])


def edit_url(prompt) -> str:
    return reverse("topics:prompt_edit", args=[prompt.topic.group.slug, prompt.pk])


def action_url(name, prompt) -> str:
    return reverse(f"topics:prompt_{name}", args=[prompt.topic.group.slug, prompt.pk])


def agenda_url(group) -> str:
    return reverse("topics:agenda", args=[group.slug])


def messages_in(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


def open_prompt(topic, **fields) -> Prompt:
    return factories.make_open_prompt(topic, **fields)


def closed_prompt(topic, **fields) -> Prompt:
    prompt = factories.make_open_prompt(topic, **fields)
    scheduling.close_prompt(prompt_id=prompt.pk, now=timezone.now())
    prompt.refresh_from_db()
    return prompt


def make_owner(group):
    owner = factories.make_user()
    factories.make_membership(group=group, user=owner, role=Membership.Role.OWNER)
    return owner


# Who may manage prompts

PAGES = ["prompt_new", "programme", "milestones"]
PROMPT_PAGES = ["prompt_edit"]
PROMPT_ACTIONS = ["prompt_publish", "prompt_close", "prompt_reopen", "prompt_duplicate", "prompt_delete"]


def urls_for(group, prompt, milestone) -> list[tuple[str, str]]:
    """(method, url) for every moderators-only page and action."""
    urls = [("get", reverse(f"topics:{name}", args=[group.slug])) for name in PAGES]
    urls += [("post", reverse(f"topics:{name}", args=[group.slug])) for name in PAGES]
    urls += [("get", reverse("topics:prompt_edit", args=[group.slug, prompt.pk]))]
    urls += [("post", reverse(f"topics:{name}", args=[group.slug, prompt.pk])) for name in PROMPT_ACTIONS]
    urls += [("post", reverse("topics:milestone_move", args=[group.slug, milestone.pk]))]
    return urls


@pytest.fixture
def milestone(group):
    return Milestone.objects.create(group=group, title="NRDL readout", happens_at=in_days(20))


@pytest.fixture
def draft(topic):
    return factories.make_prompt(topic, title="A draft nobody may see")


def test_members_are_refused_every_prompt_management_page(client, group, member, draft, milestone):
    client.force_login(member)
    for method, url in urls_for(group, draft, milestone):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, (method, url)
    assert Prompt.objects.get(pk=draft.pk).status == Prompt.Status.DRAFT


def test_outsiders_of_a_private_group_get_not_found(client, private_group, outsider):
    topic = factories.make_topic(group=private_group)
    prompt = factories.make_prompt(topic)
    milestone = Milestone.objects.create(group=private_group, title="Readout", happens_at=in_days(5))
    client.force_login(outsider)
    for method, url in urls_for(private_group, prompt, milestone):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)


def test_outsiders_of_a_public_group_are_refused(client, group, outsider, draft, milestone):
    client.force_login(outsider)
    for method, url in urls_for(group, draft, milestone):
        assert getattr(client, method)(url).status_code == HTTPStatus.FORBIDDEN, (method, url)


def test_anonymous_visitors_are_sent_to_log_in(client, group, draft, milestone):
    for method, url in urls_for(group, draft, milestone):
        if method == "get":
            response = client.get(url)
            assert response.status_code == HTTPStatus.FOUND, url
            assert response.url.startswith(reverse("account_login")), url


def test_anonymous_posts_to_actions_are_sent_to_log_in(client, group, draft):
    response = client.post(action_url("publish", draft))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert Prompt.objects.get(pk=draft.pk).status == Prompt.Status.DRAFT


@pytest.mark.parametrize("role", [Membership.Role.MODERATOR, Membership.Role.OWNER])
def test_moderators_and_owners_reach_the_management_pages(client, group, draft, milestone, role):
    user = factories.make_user()
    factories.make_membership(group=group, user=user, role=role)
    client.force_login(user)
    for name in PAGES:
        assert client.get(reverse(f"topics:{name}", args=[group.slug])).status_code == HTTPStatus.OK, name
    assert client.get(edit_url(draft)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("name", PROMPT_ACTIONS)
def test_actions_refuse_get(client, moderator, draft, name):
    client.force_login(moderator)
    response = client.get(reverse(f"topics:{name}", args=[draft.topic.group.slug, draft.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Prompt.objects.filter(pk=draft.pk, status=Prompt.Status.DRAFT).exists()


def test_moving_a_milestone_refuses_get(client, group, moderator, milestone):
    client.force_login(moderator)
    response = client.get(reverse("topics:milestone_move", args=[group.slug, milestone.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_moderator_cannot_manage_another_groups_prompt_through_their_own_group(client, group, moderator):
    foreign = factories.make_prompt(factories.make_topic())
    client.force_login(moderator)
    response = client.get(reverse("topics:prompt_edit", args=[group.slug, foreign.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    response = client.post(reverse("topics:prompt_delete", args=[group.slug, foreign.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Prompt.objects.filter(pk=foreign.pk).exists()


# Creating prompts


def test_a_moderator_can_save_a_draft(client, group, topic, moderator):
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(topic, when="draft"))
    prompt = Prompt.objects.get()
    assertRedirects(response, edit_url(prompt))
    assert prompt.status == Prompt.Status.DRAFT
    assert prompt.author == moderator
    assert prompt.topic == topic
    assert prompt.thread is None
    assert "<strong>2024</strong>" in prompt.context_html


def test_scheduled_times_are_read_in_the_group_time_zone(client, group, topic, moderator):
    group.timezone = "Asia/Shanghai"
    group.save()
    year = timezone.now().year + 1
    client.force_login(moderator)
    data = prompt_data(topic, when="schedule", publish_at=f"{year}-06-02T09:00", closes_at=f"{year}-06-09T18:30")
    response = client.post(new_url(group), data)
    prompt = Prompt.objects.get()
    assertRedirects(response, edit_url(prompt))
    assert prompt.status == Prompt.Status.SCHEDULED
    assert prompt.publish_at == datetime(year, 6, 2, 1, 0, tzinfo=UTC)
    assert prompt.closes_at == datetime(year, 6, 9, 10, 30, tzinfo=UTC)


def test_the_edit_page_shows_times_in_the_group_time_zone(client, group, topic, moderator):
    group.timezone = "Asia/Shanghai"
    group.save()
    year = timezone.now().year + 1
    prompt = factories.make_prompt(
        topic, status=Prompt.Status.SCHEDULED, publish_at=datetime(year, 6, 2, 1, 0, tzinfo=UTC)
    )
    client.force_login(moderator)
    response = client.get(edit_url(prompt))
    assertContains(response, f'value="{year}-06-02T09:00"')


def test_a_prompt_added_to_the_backlog_gets_the_next_backlog_position(client, group, topic, moderator):
    factories.make_prompt(topic, status=Prompt.Status.BACKLOG, backlog_position=4)
    client.force_login(moderator)
    client.post(new_url(group), prompt_data(topic, when="backlog", title="Next in line?"))
    prompt = Prompt.objects.get(title="Next in line?")
    assert prompt.status == Prompt.Status.BACKLOG
    assert prompt.backlog_position == 5
    assert prompt.publish_at is None


def test_publishing_at_once_redirects_to_the_new_pinned_thread(client, group, topic, moderator, member):
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(topic, when="now"))
    prompt = Prompt.objects.get()
    assert prompt.status == Prompt.Status.OPEN
    assertRedirects(response, prompt.thread.get_absolute_url(), fetch_redirect_response=False)
    assert prompt.thread.is_pinned
    assert prompt.announcements.filter(user=member).exists()


def test_the_new_prompt_page_can_preselect_a_topic(client, group, topic, moderator):
    client.force_login(moderator)
    response = client.get(new_url(group), {"topic": topic.slug})
    assert response.context["form"].initial["topic"] == topic


def test_the_topic_must_belong_to_the_group(client, group, moderator):
    foreign_topic = factories.make_topic()
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(foreign_topic))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Prompt.objects.exists()


def bad_schedules(group) -> dict[str, tuple[dict, str, str]]:
    """name: (form data, field with the error, words of the error)."""
    return {
        "scheduled without a time": ({"when": "schedule"}, "publish_at", "Choose when to publish"),
        "publishing in the past": (
            {"when": "schedule", "publish_at": local(in_days(-1), group)},
            "publish_at",
            "in the past",
        ),
        "closing before publishing": (
            {"when": "schedule", "publish_at": local(in_days(3), group), "closes_at": local(in_days(2), group)},
            "closes_at",
            "must close after it is published",
        ),
        "closing in the past": ({"when": "now", "closes_at": local(in_days(-1), group)}, "closes_at", "in the past"),
        "an empty poll option": (
            {"poll_kind": "choice", "poll_options": "Yes\n\nNo"},
            "poll_options",
            "Option 2 is empty",
        ),
        "a choice poll with one option": (
            {"poll_kind": "choice", "poll_options": "Only this"},
            "poll_options",
            "at least two options",
        ),
        "two identical options": ({"poll_kind": "choice", "poll_options": "Yes\nyes"}, "poll_options", "the same"),
        "a scale poll without statement": ({"poll_kind": "scale"}, "poll_statement", "Write the statement"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "scheduled without a time",
        "publishing in the past",
        "closing before publishing",
        "closing in the past",
        "an empty poll option",
        "a choice poll with one option",
        "two identical options",
        "a scale poll without statement",
    ],
)
def test_bad_prompt_input_is_a_form_error_and_stores_nothing(client, group, topic, moderator, case):
    fields, field, words = bad_schedules(group)[case]
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(topic, **fields))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert any(words in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert not Prompt.objects.exists()
    assert not Poll.objects.exists()


def test_a_milestone_without_an_offset_is_a_form_error(client, group, topic, moderator, milestone):
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(topic, when="schedule", milestone=milestone.pk))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "milestone_offset_days" in response.context["form"].errors
    assert not Prompt.objects.exists()


def test_a_draft_closing_before_its_publishing_time_is_a_form_error(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(topic, when="draft", publish_at=local(in_days(3), group), closes_at=local(in_days(2), group))
    response = client.post(new_url(group), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "closes_at" in response.context["form"].errors
    assert not Prompt.objects.exists()


def test_publishing_now_ignores_a_later_publishing_time_in_the_form(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(topic, when="now", publish_at=local(in_days(3), group), closes_at=local(in_days(2), group))
    client.post(new_url(group), data)
    prompt = Prompt.objects.get()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.publish_at <= timezone.now()
    assert prompt.closes_at == in_days(2)


def test_a_prompt_can_follow_a_milestone(client, group, topic, moderator, milestone):
    client.force_login(moderator)
    data = prompt_data(topic, when="schedule", milestone=milestone.pk, milestone_offset_days="2")
    client.post(new_url(group), data)
    prompt = Prompt.objects.get()
    assert prompt.status == Prompt.Status.SCHEDULED
    assert prompt.milestone == milestone
    assert prompt.milestone_offset_days == 2
    assert prompt.publish_at == milestone.happens_at + timedelta(days=2)


def test_a_prompt_with_a_choice_poll_stores_the_poll_and_its_options(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(
        topic,
        poll_kind="choice",
        poll_options="Before 2027\nAfter 2027\nNever",
        poll_reason_required="on",
        poll_results_visibility=Poll.Results.AFTER_CLOSING,
        poll_quorum="5",
    )
    client.post(new_url(group), data)
    poll = Prompt.objects.get().poll
    assert poll.kind == Poll.Kind.CHOICE
    assert list(poll.options.values_list("label", flat=True)) == ["Before 2027", "After 2027", "Never"]
    assert poll.reason_required
    assert poll.results_visibility == Poll.Results.AFTER_CLOSING
    assert poll.quorum == 5


def test_a_prompt_with_a_scale_poll_stores_the_statement_and_the_five_points(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(topic, poll_kind="scale", poll_statement="Hospital access is the main barrier.")
    client.post(new_url(group), data)
    poll = Prompt.objects.get().poll
    assert poll.kind == Poll.Kind.SCALE
    assert poll.statement == "Hospital access is the main barrier."
    assert list(poll.options.values_list("label", flat=True)) == list(Poll.SCALE_LABELS)


def test_options_typed_with_windows_line_endings_are_read_one_per_line(client, group, topic, moderator):
    client.force_login(moderator)
    client.post(new_url(group), prompt_data(topic, poll_kind="choice", poll_options="Yes\r\nNo\r\n"))
    assert list(Prompt.objects.get().poll.options.values_list("label", flat=True)) == ["Yes", "No"]


# Editing


def test_a_moderator_can_edit_an_unpublished_prompt(client, group, topic, moderator, draft):
    client.force_login(moderator)
    data = prompt_data(topic, title="A sharper question?", when="schedule", publish_at=local(in_days(2), group))
    response = client.post(edit_url(draft), data)
    assertRedirects(response, edit_url(draft))
    draft.refresh_from_db()
    assert draft.title == "A sharper question?"
    assert draft.status == Prompt.Status.SCHEDULED
    assert draft.publish_at == in_days(2)


def test_editing_keeps_the_original_author(client, group, topic, moderator):
    author = factories.make_moderator(group=group)
    prompt = factories.make_prompt(topic, author=author)
    client.force_login(moderator)
    client.post(edit_url(prompt), prompt_data(topic, title="Edited"))
    prompt.refresh_from_db()
    assert prompt.author == author


def test_editing_a_prompt_can_change_its_poll_options(client, group, topic, moderator, draft):
    polls.save_poll(prompt=draft, kind="choice", options=["Yes", "No"])
    client.force_login(moderator)
    client.post(edit_url(draft), prompt_data(topic, poll_kind="choice", poll_options="Yes\nNo\nUnsure"))
    assert list(draft.poll.options.values_list("label", flat=True)) == ["Yes", "No", "Unsure"]


def test_editing_can_remove_a_poll_nobody_voted_in(client, group, topic, moderator, draft):
    polls.save_poll(prompt=draft, kind="choice", options=["Yes", "No"])
    client.force_login(moderator)
    client.post(edit_url(draft), prompt_data(topic, poll_kind=""))
    assert not Poll.objects.filter(prompt=draft).exists()


def test_the_edit_form_shows_the_poll_options_one_per_line(client, group, topic, moderator, draft):
    polls.save_poll(prompt=draft, kind="choice", options=["Yes", "No"])
    client.force_login(moderator)
    response = client.get(edit_url(draft))
    assert response.context["form"].initial["poll_options"] == "Yes\nNo"


def test_a_bad_edit_is_a_form_error_and_changes_nothing(client, group, topic, moderator, draft):
    client.force_login(moderator)
    response = client.post(edit_url(draft), prompt_data(topic, title="Changed", when="schedule"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    draft.refresh_from_db()
    assert draft.title == "A draft nobody may see"
    assert draft.status == Prompt.Status.DRAFT


def test_poll_options_cannot_change_once_members_have_voted(topic, member):
    prompt = factories.make_prompt(topic)
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    scheduling.publish_prompt(prompt_id=prompt.pk, now=timezone.now(), allowed_from=(Prompt.Status.DRAFT,))
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=timezone.now())
    with pytest.raises(ValidationError):
        polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No", "Maybe"])
    assert list(poll.options.values_list("label", flat=True)) == ["Yes", "No"]


def test_an_open_prompt_has_no_edit_form_but_a_close_control(client, topic, moderator, member):
    prompt = open_prompt(topic)
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=timezone.now())
    client.force_login(moderator)
    response = client.get(edit_url(prompt))
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"] is None
    assertContains(response, action_url("close", prompt))
    assertNotContains(response, action_url("reopen", prompt))
    assertNotContains(response, action_url("delete", prompt))


def test_a_closed_prompt_has_a_reopen_control(client, topic, moderator):
    prompt = closed_prompt(topic)
    client.force_login(moderator)
    response = client.get(edit_url(prompt))
    assert response.context["form"] is None
    assertContains(response, action_url("reopen", prompt))
    assertNotContains(response, action_url("close", prompt))


def test_posting_an_edit_to_a_published_prompt_changes_nothing(client, topic, moderator):
    prompt = open_prompt(topic)
    client.force_login(moderator)
    response = client.post(edit_url(prompt), prompt_data(topic, title="Rewritten after publishing", when="draft"))
    assertRedirects(response, edit_url(prompt))
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.title != "Rewritten after publishing"


# Publishing, closing, reopening by hand


def test_publish_now_opens_a_scheduled_prompt_and_redirects_to_its_thread(client, topic, moderator):
    prompt = factories.make_prompt(topic, status=Prompt.Status.SCHEDULED, publish_at=in_days(3))
    client.force_login(moderator)
    response = client.post(action_url("publish", prompt))
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.publish_at <= timezone.now()
    assertRedirects(response, prompt.thread.get_absolute_url(), fetch_redirect_response=False)


def test_publish_now_of_an_open_prompt_does_not_open_a_second_thread(client, topic, moderator):
    prompt = open_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("publish", prompt))
    assertRedirects(response, edit_url(prompt), fetch_redirect_response=False)
    assert topic.threads.count() == 1


def test_a_moderator_can_close_an_open_prompt(client, topic, moderator):
    prompt = open_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("close", prompt))
    assertRedirects(response, edit_url(prompt), fetch_redirect_response=False)
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.CLOSED
    assert prompt.thread.is_locked


def test_a_moderator_can_reopen_a_closed_prompt_until_a_given_time(client, group, topic, moderator):
    prompt = closed_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("reopen", prompt), {"closes_at": local(in_days(4), group)})
    assertRedirects(response, edit_url(prompt), fetch_redirect_response=False)
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN
    assert prompt.closes_at == in_days(4)
    assert not prompt.thread.is_locked


def test_reopening_with_a_past_closing_time_is_a_form_error(client, group, topic, moderator):
    prompt = closed_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("reopen", prompt), {"closes_at": local(in_days(-1), group)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "closes_at" in response.context["reopen_form"].errors
    assertContains(response, "The closing time is in the past.", status_code=HTTPStatus.BAD_REQUEST)
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.CLOSED


def test_reopening_with_a_malformed_time_is_a_form_error(client, topic, moderator):
    prompt = closed_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("reopen", prompt), {"closes_at": "next Tuesday"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Prompt.objects.get(pk=prompt.pk).status == Prompt.Status.CLOSED


# Duplicating and deleting


def test_duplicating_into_another_topic_makes_a_draft_with_the_same_poll(client, group, topic, moderator):
    other_topic = factories.make_topic(group=group)
    prompt = factories.make_prompt(topic, title="Where will prices settle?", chatham_house=True)
    polls.save_poll(prompt=prompt, kind="choice", options=["Higher", "Lower"], reason_required=True)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=timezone.now(), allowed_from=(Prompt.Status.DRAFT,))
    client.force_login(moderator)
    response = client.post(action_url("duplicate", prompt), {"topic": other_topic.pk})
    copy = Prompt.objects.get(topic=other_topic)
    assertRedirects(response, edit_url(copy), fetch_redirect_response=False)
    assert copy.status == Prompt.Status.DRAFT
    assert copy.title == "Where will prices settle?"
    assert copy.chatham_house
    assert copy.author == moderator
    assert copy.thread is None
    assert list(copy.poll.options.values_list("label", flat=True)) == ["Higher", "Lower"]
    assert copy.poll.reason_required


def test_duplicating_into_another_group_the_moderator_runs(client, topic, moderator):
    other_group = factories.make_group()
    factories.make_membership(group=other_group, user=moderator, role=Membership.Role.OWNER)
    other_topic = factories.make_topic(group=other_group)
    prompt = factories.make_prompt(topic)
    polls.save_poll(prompt=prompt, kind="scale", options=[], statement="Prices will fall.")
    client.force_login(moderator)
    response = client.post(action_url("duplicate", prompt), {"topic": other_topic.pk})
    copy = Prompt.objects.get(topic=other_topic)
    assertRedirects(response, reverse("topics:prompt_edit", args=[other_group.slug, copy.pk]), fetch_redirect_response=False)
    assert copy.poll.statement == "Prices will fall."
    assert copy.poll.options.count() == 5


@pytest.mark.parametrize("role", [Membership.Role.MEMBER, None])
def test_duplicating_into_a_group_the_moderator_does_not_run_is_refused(client, topic, moderator, role):
    other_group = factories.make_group()
    if role is not None:
        factories.make_membership(group=other_group, user=moderator, role=role)
    other_topic = factories.make_topic(group=other_group)
    prompt = factories.make_prompt(topic)
    client.force_login(moderator)
    response = client.post(action_url("duplicate", prompt), {"topic": other_topic.pk}, follow=True)
    assert not Prompt.objects.filter(topic=other_topic).exists()
    assert "Choose a topic in a group you moderate." in messages_in(response)


def test_a_moderator_can_delete_an_unpublished_prompt(client, group, moderator, draft):
    client.force_login(moderator)
    response = client.post(action_url("delete", draft))
    assertRedirects(response, agenda_url(group))
    assert not Prompt.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("make", [open_prompt, closed_prompt])
def test_a_published_prompt_cannot_be_deleted(client, topic, moderator, make):
    prompt = make(topic)
    client.force_login(moderator)
    response = client.post(action_url("delete", prompt), follow=True)
    assert Prompt.objects.filter(pk=prompt.pk).exists()
    assert "A published prompt stays on record: close it instead." in messages_in(response)


# The programme and milestones pages


def test_saving_the_programme_schedules_its_next_release(client, group, moderator):
    group.timezone = "Asia/Shanghai"
    group.save()
    client.force_login(moderator)
    data = {"is_active": "on", "weekday": "1", "time_of_day": "09:00", "close_previous": "on", "open_for_days": "6"}
    response = client.post(reverse("topics:programme", args=[group.slug]), data)
    assertRedirects(response, reverse("topics:programme", args=[group.slug]))
    programme = PromptProgramme.objects.get(group=group)
    local_release = programme.next_release_at.astimezone(group.tzinfo)
    assert (local_release.weekday(), local_release.hour, local_release.minute) == (1, 9, 0)
    assert programme.next_release_at > timezone.now()
    assert programme.open_for_days == 6
    assert programme.updated_by == moderator


def test_stopping_the_programme_clears_its_next_release(client, group, moderator):
    PromptProgramme.objects.create(group=group, next_release_at=in_days(2))
    client.force_login(moderator)
    client.post(reverse("topics:programme", args=[group.slug]), {"weekday": "1", "time_of_day": "09:00"})
    assert PromptProgramme.objects.get(group=group).next_release_at is None


def test_a_moderator_can_add_a_milestone_in_the_group_time_zone(client, group, moderator):
    group.timezone = "Asia/Shanghai"
    group.save()
    client.force_login(moderator)
    year = timezone.now().year + 1
    url = reverse("topics:milestones", args=[group.slug])
    client.post(url, {"title": "Congress readout", "happens_at": f"{year}-09-01T08:00"})
    assert Milestone.objects.get().happens_at == datetime(year, 9, 1, 0, 0, tzinfo=UTC)


def test_moving_a_milestone_moves_its_scheduled_prompts(client, group, topic, moderator, milestone):
    prompt = factories.make_prompt(
        topic,
        status=Prompt.Status.SCHEDULED,
        milestone=milestone,
        milestone_offset_days=2,
        publish_at=milestone.happens_at + timedelta(days=2),
    )
    client.force_login(moderator)
    moved_to = milestone.happens_at + timedelta(days=3)
    url = reverse("topics:milestone_move", args=[group.slug, milestone.pk])
    client.post(url, {"title": milestone.title, "happens_at": local(moved_to, group)})
    prompt.refresh_from_db()
    assert prompt.publish_at == moved_to + timedelta(days=2)


# The agenda


@pytest.fixture
def plan(topic, moderator):
    """One prompt in each state, titled by state."""
    return {
        "open": open_prompt(topic, title="Open question?", author=moderator),
        "closed": closed_prompt(topic, title="Closed question?", author=moderator),
        "draft": factories.make_prompt(topic, title="Draft question?"),
        "backlog": factories.make_prompt(topic, title="Backlog question?", status=Prompt.Status.BACKLOG),
        "scheduled": factories.make_prompt(
            topic, title="Scheduled question?", status=Prompt.Status.SCHEDULED, publish_at=in_days(3)
        ),
    }


def test_members_see_open_and_recently_closed_prompts_on_the_agenda(client, group, member, plan):
    client.force_login(member)
    response = client.get(agenda_url(group))
    assertContains(response, "Open question?")
    assertContains(response, "Closed question?")


def test_members_never_see_drafts_backlog_or_scheduled_prompts_on_the_agenda(client, group, member, plan):
    client.force_login(member)
    response = client.get(agenda_url(group))
    for hidden in ["Draft question?", "Backlog question?", "Scheduled question?"]:
        assertNotContains(response, hidden)
    assertNotContains(response, reverse("topics:prompt_new", args=[group.slug]))


def test_moderators_see_every_section_of_the_agenda(client, group, moderator, plan):
    client.force_login(moderator)
    response = client.get(agenda_url(group))
    for title in ["Open question?", "Closed question?", "Draft question?", "Backlog question?", "Scheduled question?"]:
        assertContains(response, title)
    assertContains(response, reverse("topics:prompt_new", args=[group.slug]))


def test_anonymous_visitors_read_a_public_groups_agenda(client, group, plan):
    response = client.get(agenda_url(group))
    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Open question?")
    assertNotContains(response, "Scheduled question?")


def test_a_private_groups_agenda_is_not_found_for_outsiders(client, private_group, outsider):
    client.force_login(outsider)
    assert client.get(agenda_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_a_private_groups_agenda_is_not_found_for_anonymous_visitors(client, private_group):
    assert client.get(agenda_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_a_private_groups_agenda_is_shown_to_its_members(client, private_group):
    member = factories.make_member(group=private_group)
    client.force_login(member)
    assert client.get(agenda_url(private_group)).status_code == HTTPStatus.OK


# The group home: what waits for the member's answer


def group_url(group) -> str:
    return reverse("topics:group", args=[group.slug])


def waiting(client, group) -> list[Prompt]:
    return list(client.get(group_url(group)).context["unanswered_prompts"])


def test_a_member_sees_open_prompts_waiting_for_their_answer(client, group, topic, member, plan):
    client.force_login(member)
    response = client.get(group_url(group))
    assertContains(response, "Waiting for your answer")
    assert list(response.context["unanswered_prompts"]) == [plan["open"]]


def test_an_answered_prompt_no_longer_waits(client, group, topic, member):
    prompt = open_prompt(topic)
    client.force_login(member)
    client.post(reverse("discussions:reply", args=[prompt.thread_id]), {"body": "My answer."})
    assert waiting(client, group) == []
    assertNotContains(client.get(group_url(group)), "Waiting for your answer")


def test_a_vote_alone_answers_the_prompt_so_it_no_longer_waits(client, group, topic, member):
    prompt = open_prompt(topic)
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="", now=timezone.now())
    client.force_login(member)
    assert waiting(client, group) == []


def test_a_deleted_answer_does_not_count(client, group, topic, member):
    prompt = open_prompt(topic)
    post = discussion_services.publish_post(thread=prompt.thread, author=member, body="Second thoughts.")
    discussion_services.delete_post(post=post, deleted_by=member)
    client.force_login(member)
    assert waiting(client, group) == [prompt]


def test_the_prompt_authors_opening_post_is_not_an_answer(client, group, topic, moderator):
    prompt = open_prompt(topic, author=moderator)
    client.force_login(moderator)
    assert waiting(client, group) == [prompt]


def test_someone_elses_answer_does_not_count_for_the_member(client, group, topic, member):
    prompt = open_prompt(topic)
    factories.make_post(prompt.thread)
    client.force_login(member)
    assert waiting(client, group) == [prompt]


def test_an_answer_in_another_thread_does_not_count(client, group, topic, member):
    prompt = open_prompt(topic)
    factories.make_post(factories.make_thread(topic), author=member)
    client.force_login(member)
    assert waiting(client, group) == [prompt]


def test_visitors_who_are_not_members_see_nothing_waiting(client, group, topic, outsider):
    open_prompt(topic)
    client.force_login(outsider)
    response = client.get(group_url(group))
    assert list(response.context["unanswered_prompts"]) == []
    assertNotContains(response, "Waiting for your answer")


# Query counts do not grow with the number of prompts, threads and votes


def add_prompts(group, topic, count: int, voters) -> None:
    milestone = Milestone.objects.create(group=group, title="Readout", happens_at=in_days(30))
    for _ in range(count):
        prompt = factories.make_prompt(topic, closes_at=in_days(7))
        poll = polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
        scheduling.publish_prompt(prompt_id=prompt.pk, now=timezone.now(), allowed_from=(Prompt.Status.DRAFT,))
        prompt.refresh_from_db()
        for voter in voters:
            polls.cast_vote(poll=poll, user=voter, option_id=poll.options.first().pk, reason="Why not.", now=timezone.now())
            factories.make_post(prompt.thread, author=voter)
        factories.make_thread(factories.make_topic(group=group))
        closed_prompt(topic)
        factories.make_prompt(topic, status=Prompt.Status.BACKLOG)
        factories.make_prompt(
            topic,
            status=Prompt.Status.SCHEDULED,
            milestone=milestone,
            milestone_offset_days=2,
            publish_at=milestone.happens_at + timedelta(days=2),
        )
        factories.make_prompt(topic)


def count_queries(client, url) -> int:
    cache.clear()  # every piece of the page made afresh: the cost of rendering it, not of reading stored pieces
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_the_group_agenda_and_topic_pages_cost_the_same_queries_with_one_or_ten_prompts(group, topic, member, moderator):
    """Each page as each persona, counted on one world that then grows (one test: growing it is the cost)."""
    voters = [member, factories.make_member(group=group)]
    clients = {"member": Client(), "moderator": Client(), "anonymous": Client()}
    clients["member"].force_login(member)
    clients["moderator"].force_login(moderator)
    urls = {
        "topics:group": reverse("topics:group", args=[group.slug]),
        "topics:agenda": reverse("topics:agenda", args=[group.slug]),
        "topics:topic": reverse("topics:topic", args=[group.slug, topic.slug]),
    }
    add_prompts(group, topic, 1, voters)
    for client in clients.values():
        for url in urls.values():
            client.get(url)  # the session and any first-request work

    def counts() -> dict[tuple[str, str], int]:
        return {(persona, page): count_queries(clients[persona], url) for persona in clients for page, url in urls.items()}

    with_one = counts()
    add_prompts(group, topic, 9, voters)
    with_ten = counts()

    assert with_one == with_ten  # pytest names each (persona, page) whose count differs


def test_saving_a_prompt_that_the_schedule_published_meanwhile_is_refused(client, group, moderator, topic):
    prompt = factories.make_prompt(topic, author=moderator, status=Prompt.Status.SCHEDULED, publish_at=in_days(1))
    client.force_login(moderator)
    form_page = client.get(edit_url(prompt))
    assert form_page.status_code == HTTPStatus.OK
    form = PromptForm(prompt_data(topic, title="Edited"), instance=prompt, group=group, now=timezone.now())
    assert form.is_valid(), form.errors
    scheduling.publish_prompt(prompt_id=prompt.pk, now=timezone.now())
    with pytest.raises(ValidationError, match="published while you were editing"):
        save_prompt(form=form, author=moderator, now=timezone.now())
    prompt.refresh_from_db()
    assert prompt.status == Prompt.Status.OPEN and prompt.thread_id is not None


def test_blank_option_lines_are_ignored_when_there_is_no_choice_poll(client, group, moderator, topic):
    client.force_login(moderator)
    response = client.post(new_url(group), prompt_data(topic, poll_kind="", poll_options="A\n\nB"))
    assert response.status_code == HTTPStatus.FOUND
    assert not Poll.objects.exists()


def test_a_programme_cannot_keep_prompts_open_for_zero_days(client, group, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("topics:programme", args=[group.slug]),
        {"is_active": "on", "weekday": 1, "time_of_day": "09:00", "close_previous": "on", "open_for_days": 0},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not PromptProgramme.objects.exists()


def test_a_milestone_edit_with_a_bad_date_is_a_bad_request_that_changes_nothing(client, group, moderator, milestone):
    client.force_login(moderator)
    response = client.post(
        reverse("topics:milestone_move", args=[group.slug, milestone.pk]), {"title": "", "happens_at": "soon"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    milestone.refresh_from_db()
    assert milestone.title
