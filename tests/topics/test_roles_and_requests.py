from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from topics import services
from topics.models import Invitation, JoinRequest, Membership

ANSWERS = {"answer_0": "Partner at a life-science fund.", "answer_1": "To hear from clinicians."}


def membership_of(user, group) -> Membership:
    return Membership.objects.get(group=group, user=user)


def make_owner(group, **fields):
    owner = factories.make_user(**fields)
    factories.make_membership(group=group, user=owner, role=Membership.Role.OWNER)
    return owner


def change_role(client, membership, role):
    url = reverse("topics:change_role", args=[membership.group.slug, membership.pk])
    return client.post(url, {"role": role})


def remove(client, membership, **kwargs):
    return client.post(reverse("topics:remove_member", args=[membership.group.slug, membership.pk]), **kwargs)


def members_url(group) -> str:
    return reverse("topics:members", args=[group.slug])


def messages_in(response) -> list[str]:
    return [message.message for message in response.context["messages"]]


@pytest.fixture
def owner(group):
    return make_owner(group, username="owner", display_name="Olga Owner")


# Changing roles


def test_an_owner_can_make_a_member_a_moderator(client, group, owner, member):
    client.force_login(owner)
    response = change_role(client, membership_of(member, group), "moderator")
    assertRedirects(response, members_url(group))
    assert membership_of(member, group).role == Membership.Role.MODERATOR


def test_making_someone_a_moderator_says_so(client, group, owner, member):
    client.force_login(owner)
    response = change_role(client, membership_of(member, group), "moderator")
    assert messages_in(client.get(response.url)) == ["Mei is now moderator."]


def test_a_role_that_does_not_exist_changes_nothing_and_says_why(client, group, owner, member):
    client.force_login(owner)
    response = change_role(client, membership_of(member, group), "emperor")
    assertRedirects(response, members_url(group), fetch_redirect_response=False)
    assert messages_in(client.get(response.url)) == ["'emperor' is not a role."]
    assert membership_of(member, group).role == Membership.Role.MEMBER


def test_a_moderator_cannot_change_roles(client, group, moderator, member):
    client.force_login(moderator)
    response = change_role(client, membership_of(member, group), "moderator")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(member, group).role == Membership.Role.MEMBER


def test_a_moderator_cannot_make_themselves_an_owner(client, group, moderator):
    client.force_login(moderator)
    response = change_role(client, membership_of(moderator, group), "owner")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(moderator, group).role == Membership.Role.MODERATOR


def test_a_plain_member_cannot_change_roles(client, group, member, moderator):
    client.force_login(member)
    response = change_role(client, membership_of(moderator, group), "member")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(moderator, group).role == Membership.Role.MODERATOR


def test_an_outsider_cannot_change_roles_in_a_public_group(client, group, member, outsider):
    client.force_login(outsider)
    response = change_role(client, membership_of(member, group), "owner")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(member, group).role == Membership.Role.MEMBER


def test_an_outsider_cannot_find_roles_to_change_in_a_private_group(client, private_group, outsider):
    insider = factories.make_member(group=private_group)
    client.force_login(outsider)
    response = change_role(client, membership_of(insider, private_group), "owner")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert membership_of(insider, private_group).role == Membership.Role.MEMBER


def test_an_owner_of_another_group_cannot_change_roles_here(client, group, member):
    client.force_login(make_owner(factories.make_group()))
    response = change_role(client, membership_of(member, group), "moderator")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(member, group).role == Membership.Role.MEMBER


def test_changing_a_role_takes_a_post(client, group, owner, member):
    client.force_login(owner)
    url = reverse("topics:change_role", args=[group.slug, membership_of(member, group).pk])
    response = client.get(url, {"role": "moderator"})
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert membership_of(member, group).role == Membership.Role.MEMBER


def test_the_only_owner_cannot_step_down(client, group, owner):
    client.force_login(owner)
    response = change_role(client, membership_of(owner, group), "member")
    assert messages_in(client.get(response.url)) == ["A group needs an owner: make someone else an owner first."]
    assert membership_of(owner, group).role == Membership.Role.OWNER


def test_an_owner_can_step_down_when_another_owner_stays(client, group, owner):
    make_owner(group)
    client.force_login(owner)
    change_role(client, membership_of(owner, group), "member")
    assert membership_of(owner, group).role == Membership.Role.MEMBER


# Removing members


def test_a_moderator_can_remove_a_plain_member(client, group, moderator, member):
    client.force_login(moderator)
    response = remove(client, membership_of(member, group))
    assertRedirects(response, members_url(group))
    assert not Membership.objects.filter(group=group, user=member).exists()


def test_removing_a_member_says_so(client, group, moderator, member):
    client.force_login(moderator)
    response = remove(client, membership_of(member, group), follow=True)
    assert messages_in(response) == ["Mei was removed from the group."]


def test_a_moderator_cannot_remove_another_moderator(client, group, moderator):
    other = factories.make_moderator(group=group)
    client.force_login(moderator)
    response = remove(client, membership_of(other, group))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Membership.objects.filter(group=group, user=other).exists()


def test_a_moderator_cannot_remove_an_owner(client, group, moderator, owner):
    client.force_login(moderator)
    response = remove(client, membership_of(owner, group))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Membership.objects.filter(group=group, user=owner).exists()


def test_an_owner_can_remove_a_moderator(client, group, owner, moderator):
    client.force_login(owner)
    response = remove(client, membership_of(moderator, group))
    assertRedirects(response, members_url(group))
    assert not Membership.objects.filter(group=group, user=moderator).exists()


def test_the_only_owner_cannot_be_removed(client, group, owner):
    client.force_login(owner)
    response = remove(client, membership_of(owner, group), follow=True)
    assert messages_in(response) == ["A group needs an owner: make someone else an owner first."]
    assert Membership.objects.filter(group=group, user=owner).exists()


def test_a_plain_member_cannot_remove_anyone(client, group, member):
    other = factories.make_member(group=group)
    client.force_login(member)
    response = remove(client, membership_of(other, group))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Membership.objects.filter(group=group, user=other).exists()


def test_removing_a_member_takes_a_post(client, group, moderator, member):
    client.force_login(moderator)
    response = client.get(reverse("topics:remove_member", args=[group.slug, membership_of(member, group).pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Membership.objects.filter(group=group, user=member).exists()


# The member list


def test_an_owner_sees_a_role_select_for_the_others(client, group, owner, member):
    client.force_login(owner)
    response = client.get(members_url(group))
    assertContains(response, "Set role")
    assertContains(response, reverse("topics:change_role", args=[group.slug, membership_of(member, group).pk]))
    assertNotContains(response, reverse("topics:change_role", args=[group.slug, membership_of(owner, group).pk]))


def test_a_moderator_sees_remove_for_plain_members_only(client, group, moderator, member):
    other_moderator = factories.make_moderator(group=group)
    client.force_login(moderator)
    response = client.get(members_url(group))
    assertContains(response, reverse("topics:remove_member", args=[group.slug, membership_of(member, group).pk]))
    assertNotContains(
        response, reverse("topics:remove_member", args=[group.slug, membership_of(other_moderator, group).pk])
    )


def test_a_moderator_sees_no_role_select(client, group, moderator, member):
    client.force_login(moderator)
    response = client.get(members_url(group))
    assertNotContains(response, "Set role")


def test_a_plain_member_sees_neither_role_select_nor_remove(client, group, member, moderator):
    factories.make_member(group=group)
    client.force_login(member)
    response = client.get(members_url(group))
    assertNotContains(response, "Set role")
    assertNotContains(response, "Remove")


# A waiting join request


def join_url(group) -> str:
    return reverse("topics:join", args=[group.slug])


def test_the_join_page_shows_a_waiting_request_with_its_answers(client, private_group, outsider):
    client.force_login(outsider)
    client.post(join_url(private_group), ANSWERS)
    response = client.get(join_url(private_group))
    assertContains(response, "Partner at a life-science fund.")
    assertContains(response, "To hear from clinicians.")
    assertContains(response, "Withdraw my request")


def test_withdrawing_a_request_marks_it_withdrawn(client, private_group, outsider):
    client.force_login(outsider)
    client.post(join_url(private_group), ANSWERS)
    response = client.post(reverse("topics:withdraw_join_request", args=[private_group.slug]))
    assertRedirects(response, reverse("topics:home"))
    assert JoinRequest.objects.get(group=private_group, user=outsider).status == JoinRequest.Status.WITHDRAWN


def test_after_withdrawing_the_join_page_asks_the_questions_again(client, private_group, outsider):
    client.force_login(outsider)
    client.post(join_url(private_group), ANSWERS)
    client.post(reverse("topics:withdraw_join_request", args=[private_group.slug]))
    response = client.get(join_url(private_group))
    assertContains(response, "Why do you want to join?")
    assertNotContains(response, "Withdraw my request")
    assert "form" in response.context


def test_withdrawing_takes_a_post(client, private_group, outsider):
    client.force_login(outsider)
    client.post(join_url(private_group), ANSWERS)
    response = client.get(reverse("topics:withdraw_join_request", args=[private_group.slug]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert JoinRequest.objects.get(group=private_group, user=outsider).status == JoinRequest.Status.PENDING


# Invitations meeting members


def test_a_member_opening_an_email_invitation_is_told_they_are_in(client, group, member):
    invitation = factories.make_invitation(group=group, email="newcomer@example.org")
    client.force_login(member)
    response = client.get(invitation.get_absolute_url())
    assertContains(response, "You are already a member")


def test_a_member_accepting_an_email_invitation_leaves_it_unused(client, group, member):
    invitation = factories.make_invitation(group=group, email="newcomer@example.org")
    client.force_login(member)
    response = client.post(invitation.get_absolute_url())
    assertRedirects(response, group.get_absolute_url())
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.use_count) == (None, 0)


def test_the_service_keeps_an_invitation_unused_when_a_member_accepts_it(group, member):
    invitation = factories.make_invitation(group=group, email="newcomer@example.org")
    membership = services.accept_invitation(invitation=invitation, user=member, now=timezone.now())
    invitation.refresh_from_db()
    assert membership == membership_of(member, group)
    assert (invitation.accepted_at, invitation.use_count) == (None, 0)


def test_a_member_accepting_an_invitation_is_told_they_are_already_in(client, group, member):
    invitation = factories.make_invitation(group=group, email="newcomer@example.org")
    client.force_login(member)
    response = client.post(invitation.get_absolute_url(), follow=True)
    assert messages_in(response) == ["You are already a member of China CAR-T market."]


def test_the_real_recipient_can_use_an_invitation_a_member_opened(client, group, member):
    invitation = factories.make_invitation(group=group, email="newcomer@example.org")
    client.force_login(member)
    client.post(invitation.get_absolute_url())
    recipient = factories.make_user(email="newcomer@example.org")
    client.force_login(recipient)
    response = client.post(invitation.get_absolute_url())
    assertRedirects(response, group.get_absolute_url())
    assert Membership.objects.filter(group=group, user=recipient).exists()


def test_revoking_a_revoked_invitation_says_so(client, group, moderator):
    revoked_at = timezone.now() - timedelta(hours=1)
    invitation = factories.make_invitation(group=group, revoked_at=revoked_at)
    client.force_login(moderator)
    response = client.post(reverse("topics:revoke_invitation", args=[group.slug, invitation.pk]), follow=True)
    assert messages_in(response) == ["That invitation had already been revoked."]
    assert Invitation.objects.get(pk=invitation.pk).revoked_at == revoked_at
