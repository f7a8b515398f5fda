from datetime import timedelta
from http import HTTPStatus

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from tests import factories
from topics import services
from topics.models import Invitation, Membership


def invitations_url(group) -> str:
    return reverse("topics:invitations", args=[group.slug])


def is_member(user, group) -> bool:
    return Membership.objects.filter(group=group, user=user).exists()


# Moderators inviting


def test_a_moderator_can_invite_someone_by_email(client, group, moderator, django_capture_on_commit_callbacks):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invitations_url(group), {"email": "newcomer@example.org"})
    assertRedirects(response, invitations_url(group))
    invitation = Invitation.objects.get(group=group)
    assert (invitation.email, invitation.created_by) == ("newcomer@example.org", moderator)


def test_an_email_invitation_sends_its_link(client, group, moderator, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(invitations_url(group), {"email": "newcomer@example.org"})
    [message] = mailoutbox
    invitation = Invitation.objects.get(group=group)
    assert message.to == ["newcomer@example.org"]
    assert group.name in message.subject
    assert settings.SITE_URL + invitation.get_absolute_url() in message.body


def test_inviting_an_invalid_email_address_is_a_bad_request(client, group, moderator, mailoutbox):
    client.force_login(moderator)
    response = client.post(invitations_url(group), {"email": "not an address"})
    assertContains(response, "Enter a valid email address.", status_code=HTTPStatus.BAD_REQUEST)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_moderator_can_create_a_shareable_link(client, group, moderator, mailoutbox):
    client.force_login(moderator)
    response = client.post(invitations_url(group), {"kind": "link"})
    assertRedirects(response, invitations_url(group))
    invitation = Invitation.objects.get(group=group)
    assert invitation.is_link
    assert mailoutbox == []


def test_a_new_invitation_lasts_the_configured_number_of_days(group, moderator):
    now = timezone.now()
    invitation = services.create_invitation_link(group=group, created_by=moderator, now=now)
    assert invitation.expires_at == now + timedelta(days=settings.INVITATION_LIFETIME_DAYS)


def test_the_invitations_page_shows_each_invitations_link_and_status(client, group, moderator):
    invitation = factories.make_invitation(group=group, email="guest@example.org")
    client.force_login(moderator)
    response = client.get(invitations_url(group))
    assertContains(response, "guest@example.org")
    assertContains(response, "http://testserver" + invitation.get_absolute_url())
    assertContains(response, "Active")


def test_a_member_cannot_see_the_invitations_page(client, group, member):
    client.force_login(member)
    response = client.get(invitations_url(group))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_member_cannot_invite(client, group, member, mailoutbox):
    client.force_login(member)
    response = client.post(invitations_url(group), {"email": "friend@example.org"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Invitation.objects.exists()


# Using an invitation


def test_the_invitation_page_shows_the_group(client, group):
    invitation = factories.make_invitation(group=group)
    response = client.get(invitation.get_absolute_url())
    assertContains(response, group.name)


def test_an_unknown_invitation_is_not_found(client, db):
    response = client.get(reverse("topics:invitation", args=["no-such-token"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_accepting_an_invitation_joins_the_group(client, group, outsider):
    invitation = factories.make_invitation(group=group, email=outsider.email)
    client.force_login(outsider)
    response = client.post(invitation.get_absolute_url())
    assertRedirects(response, group.get_absolute_url())
    assert is_member(outsider, group)


def test_an_invitation_lets_you_into_a_private_group(client, private_group, outsider):
    invitation = factories.make_invitation(group=private_group)
    client.force_login(outsider)
    response = client.post(invitation.get_absolute_url())
    assertRedirects(response, private_group.get_absolute_url())
    assert is_member(outsider, private_group)


def test_an_invitation_page_of_a_private_group_shows_the_group_to_an_outsider(client, private_group, outsider):
    invitation = factories.make_invitation(group=private_group)
    client.force_login(outsider)
    response = client.get(invitation.get_absolute_url())
    assertContains(response, private_group.name)


def test_an_email_invitation_works_only_once(client, group, outsider):
    invitation = factories.make_invitation(group=group, email=outsider.email)
    client.force_login(outsider)
    client.post(invitation.get_absolute_url())
    second = factories.make_user()
    client.force_login(second)
    response = client.post(invitation.get_absolute_url())
    assertContains(response, "expired or was revoked", status_code=HTTPStatus.GONE)
    assert not is_member(second, group)


def test_an_accepted_email_invitation_records_when(group, outsider):
    invitation = factories.make_invitation(group=group, email=outsider.email)
    now = timezone.now()
    services.accept_invitation(invitation=invitation, user=outsider, now=now)
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.use_count) == (now, 1)


def test_a_link_lets_several_people_in(client, group):
    invitation = factories.make_invitation(group=group)
    people = [factories.make_user(), factories.make_user()]
    for person in people:
        client.force_login(person)
        client.post(invitation.get_absolute_url())
    assert all(is_member(person, group) for person in people)
    invitation.refresh_from_db()
    assert invitation.use_count == 2


def test_an_expired_invitation_is_gone(client, group, outsider):
    invitation = factories.make_invitation(group=group, expires_in=timedelta(minutes=-1))
    client.force_login(outsider)
    response = client.get(invitation.get_absolute_url())
    assertContains(response, "expired or was revoked", status_code=HTTPStatus.GONE)


def test_an_expired_invitation_does_not_let_you_in(client, group, outsider):
    invitation = factories.make_invitation(group=group, expires_in=timedelta(minutes=-1))
    client.force_login(outsider)
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == HTTPStatus.GONE
    assert not is_member(outsider, group)


def test_a_revoked_invitation_does_not_let_you_in(client, group, outsider):
    invitation = factories.make_invitation(group=group, revoked_at=timezone.now())
    client.force_login(outsider)
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == HTTPStatus.GONE
    assert not is_member(outsider, group)


def test_accepting_an_invitation_asks_visitors_to_log_in(client, group):
    invitation = factories.make_invitation(group=group)
    response = client.post(invitation.get_absolute_url())
    expected = f"{reverse('account_login')}?next={invitation.get_absolute_url()}"
    assertRedirects(response, expected, fetch_redirect_response=False)
    assert not group.memberships.exists()


def test_a_member_opening_a_spent_invitation_is_told_they_are_in(client, group, member):
    invitation = factories.make_invitation(group=group, email=member.email, accepted_at=timezone.now())
    client.force_login(member)
    response = client.get(invitation.get_absolute_url())
    assertContains(response, "You are already a member")


# Revoking


def revoke_url(invitation) -> str:
    return reverse("topics:revoke_invitation", args=[invitation.group.slug, invitation.pk])


def test_a_moderator_can_revoke_an_invitation(client, group, moderator):
    invitation = factories.make_invitation(group=group)
    client.force_login(moderator)
    response = client.post(revoke_url(invitation))
    assertRedirects(response, invitations_url(group))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_revoking_takes_a_post(client, group, moderator):
    invitation = factories.make_invitation(group=group)
    client.force_login(moderator)
    response = client.get(revoke_url(invitation))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_member_cannot_revoke_an_invitation(client, group, member):
    invitation = factories.make_invitation(group=group)
    client.force_login(member)
    response = client.post(revoke_url(invitation))
    assert response.status_code == HTTPStatus.FORBIDDEN
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_revoking_twice_keeps_the_first_time(group):
    invitation = factories.make_invitation(group=group)
    first = timezone.now()
    services.revoke_invitation(invitation=invitation, now=first)
    assert not services.revoke_invitation(invitation=invitation, now=first + timedelta(hours=1))
    invitation.refresh_from_db()
    assert invitation.revoked_at == first
