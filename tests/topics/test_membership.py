from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from topics import services
from topics.models import JoinRequest, Membership

ANSWERS = {"answer_0": "Partner at a life-science fund.", "answer_1": "To hear from clinicians."}


def ask_to_join(client, group, data=ANSWERS):
    return client.post(reverse("topics:join", args=[group.slug]), data)


def make_join_request(group, user=None) -> JoinRequest:
    return services.request_to_join(
        group=group, user=user or factories.make_user(), answers=[("What is your role?", "Analyst.")]
    )


def decide(client, join_request, decision):
    url = reverse("topics:decide_join_request", args=[join_request.group.slug, join_request.pk])
    return client.post(url, {"decision": decision})


# Joining a public group


def test_the_join_page_of_a_public_group_asks_for_confirmation(client, group, outsider):
    client.force_login(outsider)
    response = client.get(reverse("topics:join", args=[group.slug]))
    assertContains(response, "Join group")
    assert not Membership.objects.filter(group=group, user=outsider).exists()


def test_joining_a_public_group_makes_you_a_member_at_once(client, group, outsider):
    client.force_login(outsider)
    response = client.post(reverse("topics:join", args=[group.slug]))
    assertRedirects(response, group.get_absolute_url())
    assert Membership.objects.get(group=group, user=outsider).role == Membership.Role.MEMBER


def test_joining_a_group_asks_visitors_to_log_in(client, group):
    url = reverse("topics:join", args=[group.slug])
    response = client.post(url)
    assertRedirects(response, f"{reverse('account_login')}?next={url}", fetch_redirect_response=False)


def test_joining_a_group_you_are_in_keeps_your_role(client, group, moderator):
    client.force_login(moderator)
    client.post(reverse("topics:join", args=[group.slug]))
    assert Membership.objects.get(group=group, user=moderator).role == Membership.Role.MODERATOR


def test_a_public_group_cannot_be_joined_through_the_private_route(private_group, outsider):
    with pytest.raises(ValidationError):
        services.join_public_group(group=private_group, user=outsider)


# Asking to join a private group


def test_asking_to_join_a_private_group_shows_its_questions_as_required_fields(client, private_group, outsider):
    client.force_login(outsider)
    response = client.get(reverse("topics:join", args=[private_group.slug]))
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert [field.label for field in form.fields.values()] == ["What is your role?", "Why do you want to join?"]
    assert all(field.required for field in form.fields.values())
    assertContains(response, "Why do you want to join?")


def test_a_join_request_without_answers_is_refused_and_nothing_is_stored(client, private_group, outsider):
    client.force_login(outsider)
    response = ask_to_join(client, private_group, {"answer_0": "Analyst."})
    assertContains(response, "Please answer this question.", status_code=HTTPStatus.BAD_REQUEST)
    assert not JoinRequest.objects.exists()


def test_a_complete_join_request_waits_for_a_moderator_with_its_answers(client, private_group, outsider):
    client.force_login(outsider)
    response = ask_to_join(client, private_group)
    assertRedirects(response, reverse("topics:join", args=[private_group.slug]))
    join_request = JoinRequest.objects.get(group=private_group, user=outsider)
    assert join_request.status == JoinRequest.Status.PENDING
    assert join_request.answers == [
        ["What is your role?", "Partner at a life-science fund."],
        ["Why do you want to join?", "To hear from clinicians."],
    ]
    assert not Membership.objects.filter(group=private_group, user=outsider).exists()


def test_asking_again_while_a_request_waits_shows_it_and_stores_nothing(client, private_group, outsider):
    client.force_login(outsider)
    ask_to_join(client, private_group)
    response = ask_to_join(client, private_group)
    assertContains(response, "Withdraw my request")
    assert JoinRequest.objects.filter(user=outsider).count() == 1


def test_a_second_pending_request_is_refused_by_the_service(private_group, outsider):
    make_join_request(private_group, outsider)
    with pytest.raises(ValidationError, match="already asked to join"):
        services.request_to_join(group=private_group, user=outsider, answers=[])


def test_someone_whose_request_was_withdrawn_can_ask_again(private_group, outsider):
    make_join_request(private_group, outsider)
    services.withdraw_join_request(group=private_group, user=outsider)
    make_join_request(private_group, outsider)
    assert JoinRequest.objects.filter(user=outsider, status=JoinRequest.Status.PENDING).count() == 1


def test_a_member_cannot_ask_to_join_again(private_group):
    with pytest.raises(ValidationError):
        make_join_request(private_group, factories.make_member(group=private_group))


def test_joining_by_other_means_settles_a_waiting_request(private_group, outsider):
    join_request = make_join_request(private_group, outsider)
    services.add_member(group=private_group, user=outsider)
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED


# Moderators answering requests


@pytest.fixture
def private_moderator(private_group):
    return factories.make_moderator(group=private_group, display_name="Private Moderator")


def test_a_moderator_sees_waiting_requests_with_their_answers(client, private_group, private_moderator, outsider):
    make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    response = client.get(reverse("topics:join_requests", args=[private_group.slug]))
    assertContains(response, outsider.public_name)
    assertContains(response, "Analyst.")


def test_an_owner_moderates_too(client, private_group):
    owner = factories.make_user()
    factories.make_membership(group=private_group, user=owner, role=Membership.Role.OWNER)
    client.force_login(owner)
    response = client.get(reverse("topics:join_requests", args=[private_group.slug]))
    assert response.status_code == HTTPStatus.OK


def test_approving_a_request_makes_the_person_a_member(
    client, private_group, private_moderator, outsider, django_capture_on_commit_callbacks
):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, join_request, "approve")
    assertRedirects(response, reverse("topics:join_requests", args=[private_group.slug]))
    assert Membership.objects.get(group=private_group, user=outsider).role == Membership.Role.MEMBER
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by) == (JoinRequest.Status.APPROVED, private_moderator)


def test_approving_a_request_emails_the_person(
    client, private_group, private_moderator, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, join_request, "approve")
    [message] = mailoutbox
    assert message.to == [outsider.email]
    assert "approved" in message.subject
    assert private_group.get_absolute_url() in message.body


def test_declining_a_request_does_not_make_a_member(
    client, private_group, private_moderator, outsider, django_capture_on_commit_callbacks
):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, join_request, "decline")
    assert not Membership.objects.filter(group=private_group, user=outsider).exists()
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.DECLINED


def test_declining_a_request_emails_the_person(
    client, private_group, private_moderator, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, join_request, "decline")
    [message] = mailoutbox
    assert message.to == [outsider.email]
    assert "declined" in message.subject


def test_a_plain_member_cannot_see_join_requests(client, private_group):
    client.force_login(factories.make_member(group=private_group))
    response = client.get(reverse("topics:join_requests", args=[private_group.slug]))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_plain_member_cannot_answer_a_join_request(client, private_group, outsider):
    join_request = make_join_request(private_group, outsider)
    client.force_login(factories.make_member(group=private_group))
    response = decide(client, join_request, "approve")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Membership.objects.filter(group=private_group, user=outsider).exists()


def test_a_moderator_of_another_group_cannot_answer_a_join_request(client, private_group, moderator, outsider):
    join_request = make_join_request(private_group, outsider)
    client.force_login(moderator)
    response = client.post(
        reverse("topics:decide_join_request", args=["china-car-t", join_request.pk]), {"decision": "approve"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Membership.objects.filter(group=private_group, user=outsider).exists()


def test_a_decision_other_than_approve_or_decline_is_a_bad_request(client, private_group, private_moderator, outsider):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    response = decide(client, join_request, "maybe")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.PENDING


def test_answering_a_request_twice_says_it_was_already_answered(
    client, private_group, private_moderator, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    join_request = make_join_request(private_group, outsider)
    client.force_login(private_moderator)
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, join_request, "approve")
        response = decide(client, join_request, "decline")
    assertContains(client.get(response.url), "already been answered")
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert Membership.objects.filter(group=private_group, user=outsider).exists()
    assert len(mailoutbox) == 1


def test_deciding_a_request_records_when(private_group, private_moderator, outsider):
    join_request = make_join_request(private_group, outsider)
    now = timezone.now() - timedelta(hours=1)
    services.decide_join_request(join_request=join_request, moderator=private_moderator, approve=False, now=now)
    join_request.refresh_from_db()
    assert join_request.decided_at == now


def test_deciding_an_already_decided_request_returns_false(private_group, private_moderator, outsider):
    join_request = make_join_request(private_group, outsider)
    now = timezone.now()
    services.decide_join_request(join_request=join_request, moderator=private_moderator, approve=False, now=now)
    assert not services.decide_join_request(
        join_request=join_request, moderator=private_moderator, approve=True, now=now
    )


# Leaving and roles


def test_leaving_a_group_ends_the_membership(client, group, member):
    client.force_login(member)
    response = client.post(reverse("topics:leave", args=[group.slug]))
    assertRedirects(response, reverse("topics:home"))
    assert not Membership.objects.filter(group=group, user=member).exists()


def test_leaving_asks_for_confirmation_first(client, group, member):
    client.force_login(member)

    response = client.get(reverse("topics:leave", args=[group.slug]))

    assertContains(response, "Leave China CAR-T market?")
    assertContains(response, '<button type="submit" class="button button--danger">Leave the group</button>')
    assert Membership.objects.filter(group=group, user=member).exists()


def test_the_group_page_leads_to_the_confirmation_not_straight_out(client, group, member):
    client.force_login(member)

    response = client.get(group.get_absolute_url())

    assertContains(response, f'<a class="button button--quiet" href="{reverse("topics:leave", args=[group.slug])}">')
    assertNotContains(response, f'action="{reverse("topics:leave", args=[group.slug])}"')


def test_the_only_owner_cannot_leave(client, group):
    owner = factories.make_user()
    factories.make_membership(group=group, user=owner, role=Membership.Role.OWNER)
    client.force_login(owner)
    response = client.post(reverse("topics:leave", args=[group.slug]), follow=True)
    assertContains(response, "only owner")
    assert Membership.objects.filter(group=group, user=owner).exists()


def test_an_owner_can_leave_when_another_owner_stays(group):
    owner, other_owner = factories.make_user(), factories.make_user()
    factories.make_membership(group=group, user=owner, role=Membership.Role.OWNER)
    factories.make_membership(group=group, user=other_owner, role=Membership.Role.OWNER)
    services.leave_group(group=group, user=owner)
    assert list(group.memberships.values_list("user", flat=True)) == [other_owner.pk]


@pytest.mark.parametrize(
    ("role", "moderates"),
    [(Membership.Role.OWNER, True), (Membership.Role.MODERATOR, True), (Membership.Role.MEMBER, False)],
)
def test_owners_and_moderators_moderate_and_members_do_not(db, role, moderates):
    assert factories.make_membership(role=role).is_moderator is moderates
