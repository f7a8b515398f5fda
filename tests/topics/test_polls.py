"""Stance polls on prompts: voting once, changing a vote while open, and who sees which results when."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from topics import polls, scheduling
from topics.models import Membership, Poll, Prompt, Vote

NOT_CONCLUSIVE = "Closed below the quorum of {}: the result is not conclusive."


def open_poll(topic, *, chatham_house=False, kind=Poll.Kind.CHOICE, options=("Yes", "No", "Not yet"), **poll_settings):
    """An open prompt in `topic` carrying a poll; the prompt's author is a moderator of the group."""
    prompt = factories.make_open_prompt(topic, title="Will the NRDL list a CAR-T by 2026?", chatham_house=chatham_house)
    statement = poll_settings.pop("statement", "Hospitals will pay for CAR-T out of their own budgets.")
    return polls.save_poll(prompt=prompt, kind=kind, options=list(options), statement=statement, **poll_settings)


def option(poll, label):
    return poll.options.get(label=label)


def vote(poll, user, label, reason="", now=None):
    return polls.cast_vote(
        poll=poll, user=user, option_id=option(poll, label).pk, reason=reason, now=now or timezone.now()
    )


def close(poll):
    scheduling.close_prompt(prompt_id=poll.prompt_id, now=timezone.now())
    poll.prompt.refresh_from_db()


def vote_url(poll):
    return reverse("topics:vote", args=[poll.prompt.topic.group.slug, poll.prompt_id])


def thread_url(poll):
    return Prompt.objects.get(pk=poll.prompt_id).thread.get_absolute_url()


def members_of(group) -> int:
    return Membership.objects.filter(group=group).count()


# Setting up a poll


def test_a_scale_poll_has_the_five_agreement_points(topic):
    poll = open_poll(topic, kind=Poll.Kind.SCALE, options=[])
    assert [o.label for o in poll.options.all()] == list(Poll.SCALE_LABELS)


def test_a_poll_with_an_empty_option_is_refused(topic):
    prompt = factories.make_prompt(topic)
    with pytest.raises(ValidationError, match="Option 2 is empty"):
        polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "  ", "No"])
    assert not Poll.objects.filter(prompt=prompt).exists()


def test_the_options_can_no_longer_change_once_someone_has_voted(topic, member):
    poll = open_poll(topic)
    vote(poll, member, "Yes")
    with pytest.raises(ValidationError, match="voted already"):
        polls.save_poll(prompt=poll.prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"])
    assert poll.options.count() == 3


def test_the_statement_of_a_scale_can_no_longer_change_once_someone_has_voted(topic, member):
    poll = open_poll(topic, kind=Poll.Kind.SCALE, options=[])
    vote(poll, member, "Agree")
    with pytest.raises(ValidationError, match="voted already"):
        polls.save_poll(prompt=poll.prompt, kind=Poll.Kind.SCALE, options=[], statement="Payers will cover it.")


def test_the_results_setting_can_change_after_votes(topic, member):
    poll = open_poll(topic)
    vote(poll, member, "Yes")
    polls.save_poll(
        prompt=poll.prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No", "Not yet"], results_visibility="always"
    )
    poll.refresh_from_db()
    assert poll.results_visibility == Poll.Results.ALWAYS


# Voting, through the service


def test_the_database_keeps_one_vote_per_member_and_poll(topic, member):
    poll = open_poll(topic)
    Vote.objects.create(poll=poll, user=member, option=option(poll, "Yes"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(poll=poll, user=member, option=option(poll, "No"))


def test_voting_again_changes_the_same_vote(topic, member):
    poll = open_poll(topic)
    first = vote(poll, member, "Yes", reason="Reimbursement is coming.")
    second = vote(poll, member, "No", reason="Budgets are frozen.")
    assert second.pk == first.pk
    stored = Vote.objects.get(poll=poll)
    assert (stored.option.label, stored.reason) == ("No", "Budgets are frozen.")


def test_a_closed_prompt_refuses_new_votes(topic, member):
    poll = open_poll(topic)
    close(poll)
    with pytest.raises(polls.VotingClosed):
        vote(poll, member, "Yes")
    assert not Vote.objects.exists()


def test_a_closed_prompt_refuses_to_change_a_vote(topic, member):
    poll = open_poll(topic)
    vote(poll, member, "Yes")
    close(poll)
    with pytest.raises(polls.VotingClosed):
        vote(poll, member, "No")
    assert Vote.objects.get().option.label == "Yes"


def test_votes_stop_at_the_closing_time_even_before_the_prompt_is_closed(topic, member):
    poll = open_poll(topic)
    closes_at = timezone.now() + timedelta(hours=1)
    Prompt.objects.filter(pk=poll.prompt_id).update(closes_at=closes_at)
    with pytest.raises(polls.VotingClosed):
        vote(poll, member, "Yes", now=closes_at)
    vote(poll, member, "Yes", now=closes_at - timedelta(seconds=1))
    assert Vote.objects.count() == 1


def test_a_required_reason_must_be_written(topic, member):
    poll = open_poll(topic, reason_required=True)
    with pytest.raises(ValidationError) as error:
        vote(poll, member, "Yes", reason="   ")
    assert "reason" in error.value.message_dict
    assert not Vote.objects.exists()


def test_an_optional_reason_can_be_left_out(topic, member):
    poll = open_poll(topic, reason_required=False)
    assert vote(poll, member, "Yes").reason == ""


def test_an_option_of_another_poll_is_refused(topic, member):
    poll, other = open_poll(topic), open_poll(topic)
    with pytest.raises(ValidationError) as error:
        polls.cast_vote(poll=poll, user=member, option_id=option(other, "Yes").pk, reason="", now=timezone.now())
    assert "option" in error.value.message_dict


def test_someone_outside_the_group_cannot_vote(topic, outsider):
    poll = open_poll(topic)
    with pytest.raises(PermissionDenied):
        vote(poll, outsider, "Yes")


# Results, through the service


def test_results_count_each_option_with_its_percentage(topic):
    poll = open_poll(topic)
    for label in ["Yes", "Yes", "No"]:
        vote(poll, factories.make_member(group=topic.group), label)
    results = polls.poll_results(poll)
    assert [(row.option.label, row.votes, row.percent) for row in results.options] == [
        ("Yes", 2, 67),
        ("No", 1, 33),
        ("Not yet", 0, 0),
    ]


def test_percentages_round_half_up(topic):
    poll = open_poll(topic, options=["A", "B"])
    for label in ["A"] + ["B"] * 7:
        vote(poll, factories.make_member(group=topic.group), label)
    assert [row.percent for row in polls.poll_results(poll).options] == [13, 88]


def test_results_count_voters_out_of_the_group_members(topic, member, moderator):
    poll = open_poll(topic)
    vote(poll, member, "Yes")
    results = polls.poll_results(poll)
    assert (results.voters, results.members) == (1, members_of(topic.group))


def test_an_open_prompt_below_its_quorum_is_still_conclusive_so_far(topic, member):
    poll = open_poll(topic, quorum=3)
    vote(poll, member, "Yes")
    results = polls.poll_results(poll)
    assert (results.quorum_met, results.is_conclusive, results.votes_to_quorum) == (False, True, 2)


def test_a_prompt_closed_below_its_quorum_is_not_conclusive(topic, member):
    poll = open_poll(topic, quorum=3)
    vote(poll, member, "Yes")
    close(poll)
    assert not polls.poll_results(poll).is_conclusive


def test_a_prompt_closed_at_its_quorum_is_conclusive(topic, member, moderator):
    poll = open_poll(topic, quorum=2)
    vote(poll, member, "Yes")
    vote(poll, moderator, "No")
    close(poll)
    assert polls.poll_results(poll).is_conclusive


# Voting, through the site


def test_a_member_votes_from_the_thread_page_and_lands_back_on_the_poll(client, topic, member):
    poll = open_poll(topic)
    client.force_login(member)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk, "reason": "Pricing talks went well."})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread_url(poll) + "#poll"
    stored = Vote.objects.get(poll=poll, user=member)
    assert (stored.option.label, stored.reason) == ("Yes", "Pricing talks went well.")


def test_a_member_changes_their_vote_by_voting_again(client, topic, member):
    poll = open_poll(topic)
    client.force_login(member)
    client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    client.post(vote_url(poll), {"option": option(poll, "Not yet").pk, "reason": "Second thoughts."})
    assert Vote.objects.get(poll=poll).option.label == "Not yet"


def test_the_thread_page_offers_to_change_a_vote_already_cast(client, topic, member):
    poll = open_poll(topic)
    vote(poll, member, "No", reason="Budgets are frozen.")
    client.force_login(member)
    response = client.get(thread_url(poll))
    content = response.content.decode()
    assert "Change my vote" in content
    assert f'value="{option(poll, "No").pk}" checked' in content
    assert "Budgets are frozen.</textarea>" in content


def test_the_vote_address_only_takes_posts(client, topic, member):
    poll = open_poll(topic)
    client.force_login(member)
    assert client.get(vote_url(poll)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_visitor_is_sent_to_log_in_before_voting(client, topic):
    poll = open_poll(topic)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert not Vote.objects.exists()


def test_someone_outside_a_public_group_is_refused_a_vote(client, topic, outsider):
    poll = open_poll(topic)
    client.force_login(outsider)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Vote.objects.exists()


def test_a_private_groups_poll_does_not_exist_for_outsiders(client, private_group, outsider):
    poll = open_poll(factories.make_topic(group=private_group))
    client.force_login(outsider)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Vote.objects.exists()


def test_a_draft_prompts_poll_cannot_be_voted_on(client, topic, member):
    prompt = factories.make_prompt(topic)
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"])
    client.force_login(member)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_voting_on_a_closed_prompt_says_voting_has_closed(client, topic, member):
    poll = open_poll(topic)
    close(poll)
    client.force_login(member)
    response = client.post(vote_url(poll), {"option": option(poll, "Yes").pk})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Voting has closed for this prompt" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_without_an_option_is_refused_and_keeps_the_typed_reason(client, topic, member):
    poll = open_poll(topic)
    client.force_login(member)
    response = client.post(vote_url(poll), {"reason": "Costs fall every year."})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert "Choose one of the options." in content
    assert "Costs fall every year.</textarea>" in content
    assert not Vote.objects.exists()


@pytest.mark.parametrize("bad_option", ["999999", "yes", "-1", ""])
def test_a_vote_for_an_option_that_is_not_in_the_poll_is_refused(client, topic, member, bad_option):
    poll = open_poll(topic)
    client.force_login(member)
    response = client.post(vote_url(poll), {"option": bad_option, "reason": "Because."})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose one of the options." in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_without_a_required_reason_is_refused_and_keeps_the_choice(client, topic, member):
    poll = open_poll(topic, reason_required=True)
    client.force_login(member)
    chosen = option(poll, "No")
    response = client.post(vote_url(poll), {"option": chosen.pk, "reason": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert "This poll asks for a reason" in content
    assert f'value="{chosen.pk}" checked' in content
    assert not Vote.objects.exists()


def test_a_failed_vote_does_not_change_the_vote_already_cast(client, topic, member):
    poll = open_poll(topic, reason_required=True)
    vote(poll, member, "Yes", reason="First reason.")
    client.force_login(member)
    client.post(vote_url(poll), {"option": option(poll, "No").pk, "reason": ""})
    stored = Vote.objects.get()
    assert (stored.option.label, stored.reason) == ("Yes", "First reason.")


def test_a_visitor_is_invited_to_log_in_to_vote(client, topic):
    poll = open_poll(topic)
    response = client.get(thread_url(poll))
    assert "to vote." in response.content.decode()
    assert response.context["can_vote"] is False


# Who sees the results when


def sees_results(client, poll, user) -> bool:
    client.force_login(user)
    response = client.get(thread_url(poll))
    assert response.status_code == HTTPStatus.OK
    return response.context["results"] is not None


def test_results_shown_right_away_are_visible_before_voting(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.ALWAYS)
    assert sees_results(client, poll, member)


def test_results_shown_after_voting_are_hidden_before_voting(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.AFTER_VOTING)
    assert not sees_results(client, poll, member)


def test_results_shown_after_voting_are_visible_once_voted(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.AFTER_VOTING)
    vote(poll, member, "Yes")
    assert sees_results(client, poll, member)


def test_results_shown_after_voting_are_visible_to_non_voters_once_closed(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.AFTER_VOTING)
    close(poll)
    assert sees_results(client, poll, member)


def test_results_shown_after_closing_are_hidden_from_a_voter_while_open(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.AFTER_CLOSING)
    vote(poll, member, "Yes")
    assert not sees_results(client, poll, member)
    assert "Results are shown when the prompt closes." in client.get(thread_url(poll)).content.decode()


def test_results_shown_after_closing_are_visible_once_closed(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.AFTER_CLOSING)
    vote(poll, member, "Yes")
    close(poll)
    assert sees_results(client, poll, member)


@pytest.mark.parametrize("visibility", [Poll.Results.AFTER_VOTING, Poll.Results.AFTER_CLOSING])
def test_moderators_always_see_the_results(client, topic, moderator, visibility):
    poll = open_poll(topic, results_visibility=visibility)
    assert sees_results(client, poll, moderator)


def test_the_thread_page_shows_counts_percentages_and_turnout(client, topic, member):
    poll = open_poll(topic, results_visibility=Poll.Results.ALWAYS)
    vote(poll, member, "Yes")
    vote(poll, factories.make_member(group=topic.group), "Yes")
    vote(poll, factories.make_member(group=topic.group), "No")
    client.force_login(member)
    content = client.get(thread_url(poll)).content.decode()
    assert "<strong>67%</strong> · 2 votes" in content
    assert "<strong>33%</strong> · 1 vote<" in content
    assert f"3 of {members_of(topic.group)} members voted." in content


def test_a_prompt_closed_below_its_quorum_says_so(client, topic, member):
    poll = open_poll(topic, quorum=5)
    vote(poll, member, "Yes")
    close(poll)
    client.force_login(member)
    assert NOT_CONCLUSIVE.format(5) in client.get(thread_url(poll)).content.decode()


def test_a_prompt_closed_at_its_quorum_says_it_was_reached(client, topic, member, moderator):
    poll = open_poll(topic, quorum=2)
    vote(poll, member, "Yes")
    vote(poll, moderator, "No")
    close(poll)
    client.force_login(member)
    content = client.get(thread_url(poll)).content.decode()
    assert "Quorum of 2 reached." in content
    assert "not conclusive" not in content


def test_an_open_prompt_below_its_quorum_says_how_many_votes_are_missing(client, topic, member):
    poll = open_poll(topic, quorum=5, results_visibility=Poll.Results.ALWAYS)
    vote(poll, member, "Yes")
    client.force_login(member)
    assert "Quorum of 5: 4 more votes needed" in client.get(thread_url(poll)).content.decode()


# Reasons and the Chatham House rule


@pytest.fixture
def voter(group):
    return factories.make_member(group=group, display_name="Quillfeather")


def test_members_see_each_reason_with_its_voters_name(client, topic, member, voter):
    poll = open_poll(topic, results_visibility=Poll.Results.ALWAYS)
    vote(poll, voter, "No", reason="Provincial budgets are capped.")
    client.force_login(member)
    content = client.get(thread_url(poll)).content.decode()
    assert "Provincial budgets are capped." in content
    assert "Quillfeather" in content


def test_under_the_chatham_house_rule_members_see_reasons_without_names(client, topic, member, voter):
    poll = open_poll(topic, chatham_house=True, results_visibility=Poll.Results.ALWAYS)
    vote(poll, voter, "No", reason="Provincial budgets are capped.")
    client.force_login(member)
    content = client.get(thread_url(poll)).content.decode()
    assert "Provincial budgets are capped." in content
    assert "Quillfeather" not in content


def test_under_the_chatham_house_rule_moderators_still_see_who_gave_each_reason(client, topic, moderator, voter):
    poll = open_poll(topic, chatham_house=True)
    vote(poll, voter, "No", reason="Provincial budgets are capped.")
    client.force_login(moderator)
    content = client.get(thread_url(poll)).content.decode()
    assert "Provincial budgets are capped." in content
    assert "Quillfeather" in content


def test_the_chatham_house_rule_keeps_voters_out_of_the_reasons_themselves(topic, voter):
    poll = open_poll(topic, chatham_house=True)
    vote(poll, voter, "No", reason="Provincial budgets are capped.")
    reasons = polls.poll_reasons(poll, show_authors=False)
    assert [(reason.text, reason.author) for reason in reasons] == [("Provincial budgets are capped.", None)]


# The thread page's cost


def queries_for_thread_page(poll, user) -> int:
    client = Client()
    client.force_login(user)
    client.get(thread_url(poll))  # the first visit counts a view and writes the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(thread_url(poll))
    assert response.context["results"] is not None
    return len(queries)


@pytest.mark.parametrize("viewer", ["member", "moderator"])
def test_the_thread_page_costs_the_same_queries_with_one_vote_or_thirty(topic, member, moderator, viewer):
    viewer = {"member": member, "moderator": moderator}[viewer]
    small, large = open_poll(topic, chatham_house=False), open_poll(topic, chatham_house=False)
    voters = [factories.make_member(group=topic.group) for _ in range(29)]
    for poll in (small, large):
        vote(poll, viewer, "Yes", reason="Mine.")
    for n, user in enumerate(voters):
        vote(large, user, ["Yes", "No", "Not yet"][n % 3], reason=f"Reason {n}.")
    assert Vote.objects.filter(poll=large).count() == 30
    assert queries_for_thread_page(large, viewer) == queries_for_thread_page(small, viewer)
