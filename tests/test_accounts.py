import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from groupsite.models import User
from tests import factories

NEW_PASSWORD = "a longer secret for the new account"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts attempts in the cache, and every test client comes from the same address.
    cache.clear()


def link_in(message) -> str:
    """The path of the first link to this site in an email."""
    match = re.search(r"https?://testserver(/\S*)", message.body)
    assert match, message.body
    return match.group(1)


def is_logged_in(client) -> bool:
    return SESSION_KEY in client.session


def sign_up(client, **fields):
    data = {"email": "ada@example.org", "username": "ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(reverse("account_signup"), data | fields)


# Signing up and verifying the address


def test_the_sign_up_page_asks_for_email_username_and_password(client, db):
    response = client.get(reverse("account_signup"))
    assert list(response.context["form"].fields) == ["email", "username", "password1", "password2"]


def test_signing_up_sends_a_verification_email(client, db, mailoutbox):
    response = sign_up(client)
    assertRedirects(response, reverse("account_email_verification_sent"))
    [message] = mailoutbox
    assert message.to == ["ada@example.org"]
    assert message.subject.startswith("[Roundtable] ")


def test_signing_up_does_not_log_you_in_before_you_verify(client, db, mailoutbox):
    sign_up(client)
    assert not is_logged_in(client)
    assert not EmailAddress.objects.get(email="ada@example.org").verified


def test_signing_up_with_a_taken_email_is_refused(client, db, mailoutbox):
    factories.make_user(email="ada@example.org")
    sign_up(client)
    assert not User.objects.filter(username="ada").exists()


def test_opening_the_verification_link_asks_for_confirmation(client, db, mailoutbox):
    sign_up(client)
    response = client.get(link_in(mailoutbox[0]))
    assert response.status_code == HTTPStatus.OK
    assertContains(response, "<form")
    assert not EmailAddress.objects.get(email="ada@example.org").verified


def test_confirming_the_verification_link_verifies_the_address(client, db, mailoutbox):
    sign_up(client)
    client.post(link_in(mailoutbox[0]))
    assert EmailAddress.objects.get(email="ada@example.org").verified


def test_confirming_the_verification_link_logs_you_in(client, db, mailoutbox):
    sign_up(client)
    client.post(link_in(mailoutbox[0]))
    assert client.session[SESSION_KEY] == str(User.objects.get(username="ada").pk)


def test_signing_up_from_an_invitation_returns_you_to_it_once_verified(client, group, mailoutbox):
    invitation = factories.make_invitation(group=group)
    client.post(
        f"{reverse('account_signup')}?next={invitation.get_absolute_url()}",
        {"email": "ada@example.org", "username": "ada", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    response = client.post(link_in(mailoutbox[0]))
    assertRedirects(response, invitation.get_absolute_url())


def test_an_unverified_person_cannot_log_in(client, db, mailoutbox):
    person = factories.make_user(verified=False)
    response = client.post(reverse("account_login"), {"login": person.username, "password": factories.PASSWORD})
    assertRedirects(response, reverse("account_email_verification_sent"))
    assert not is_logged_in(client)


# Logging in and out


def test_a_verified_person_can_log_in_with_their_username(client, db):
    person = factories.make_user()
    response = client.post(reverse("account_login"), {"login": person.username, "password": factories.PASSWORD})
    assertRedirects(response, "/")
    assert client.session[SESSION_KEY] == str(person.pk)


def test_a_verified_person_can_log_in_with_their_email(client, db):
    person = factories.make_user()
    client.post(reverse("account_login"), {"login": person.email, "password": factories.PASSWORD})
    assert client.session[SESSION_KEY] == str(person.pk)


def test_a_wrong_password_does_not_log_in(client, db):
    person = factories.make_user()
    response = client.post(reverse("account_login"), {"login": person.username, "password": "wrong"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not is_logged_in(client)


def test_logging_in_returns_you_to_the_page_you_came_from(client, group):
    person = factories.make_user()
    response = client.post(
        f"{reverse('account_login')}?next={group.get_absolute_url()}",
        {"login": person.username, "password": factories.PASSWORD},
    )
    assertRedirects(response, group.get_absolute_url())


def test_logging_out_ends_the_session(client, member):
    client.force_login(member)
    response = client.post(reverse("account_logout"))
    assertRedirects(response, "/")
    assert not is_logged_in(client)


def test_the_log_out_link_asks_for_confirmation(client, member):
    client.force_login(member)
    response = client.get(reverse("account_logout"))
    assert response.status_code == HTTPStatus.OK
    assert is_logged_in(client)


# Passwords


def test_asking_for_a_password_reset_emails_a_link(client, db, mailoutbox):
    person = factories.make_user()
    response = client.post(reverse("account_reset_password"), {"email": person.email})
    assertRedirects(response, reverse("account_reset_password_done"))
    [message] = mailoutbox
    assert message.to == [person.email]
    assert "/accounts/password/reset/key/" in link_in(message)


def test_the_password_reset_link_sets_a_new_password(client, db, mailoutbox):
    person = factories.make_user()
    client.post(reverse("account_reset_password"), {"email": person.email})
    form_page = client.get(link_in(mailoutbox[0]), follow=True)
    assert form_page.status_code == HTTPStatus.OK
    response = client.post(form_page.request["PATH_INFO"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assertRedirects(response, reverse("account_reset_password_from_key_done"))
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)


def test_a_tampered_password_reset_link_does_not_work(client, db, mailoutbox):
    person = factories.make_user()
    client.post(reverse("account_reset_password"), {"email": person.email})
    response = client.get(link_in(mailoutbox[0]).rstrip("/") + "x/", follow=True)
    assert response.context["token_fail"]
    person.refresh_from_db()
    assert person.check_password(factories.PASSWORD)


def test_the_change_password_page_opens_for_a_logged_in_person(client, member):
    client.force_login(member)
    response = client.get(reverse("account_change_password"))
    assert response.status_code == HTTPStatus.OK


def test_changing_your_password_needs_the_old_one(client, member):
    client.force_login(member)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    member.refresh_from_db()
    assert member.check_password(factories.PASSWORD)


def test_changing_your_password_sets_the_new_one(client, member):
    client.force_login(member)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": factories.PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


# Email addresses


def test_the_email_page_shows_your_address(client, member):
    client.force_login(member)
    response = client.get(reverse("account_email"))
    assertContains(response, member.email)


def test_adding_an_email_address_sends_a_verification_email(client, member, mailoutbox):
    client.force_login(member)
    client.post(reverse("account_email"), {"action_add": "", "email": "mei.new@example.org"})
    assert not EmailAddress.objects.get(email="mei.new@example.org").verified
    [message] = mailoutbox
    assert message.to == ["mei.new@example.org"]


def test_verifying_a_new_email_address_makes_it_yours(client, member, mailoutbox):
    client.force_login(member)
    client.post(reverse("account_email"), {"action_add": "", "email": "mei.new@example.org"})
    client.post(link_in(mailoutbox[0]))
    member.refresh_from_db()
    assert member.email == "mei.new@example.org"


def test_the_account_pages_ask_visitors_to_log_in(client, db):
    response = client.get(reverse("account_email"))
    assertRedirects(response, f"{reverse('account_login')}?next={reverse('account_email')}")


# Profiles


def test_the_profile_form_opens_for_a_logged_in_person(client, member):
    client.force_login(member)
    response = client.get(reverse("edit_profile"))
    assertContains(response, "Mei")


def test_the_profile_form_asks_visitors_to_log_in(client, db):
    response = client.get(reverse("edit_profile"))
    assertRedirects(response, f"{reverse('account_login')}?next={reverse('edit_profile')}")


def test_saving_the_profile_form_updates_your_profile(client, member):
    client.force_login(member)
    data = {"display_name": "Dr Mei Lin", "affiliation": "oncologist, Shanghai", "bio": "Twenty years in haematology."}
    response = client.post(reverse("edit_profile"), data)
    assertRedirects(response, reverse("profile", args=[member.username]))
    member.refresh_from_db()
    assert (member.display_name, member.affiliation, member.bio) == tuple(data.values())


def test_a_bio_over_a_thousand_characters_is_refused(client, member):
    client.force_login(member)
    response = client.post(reverse("edit_profile"), {"display_name": "Mei", "affiliation": "", "bio": "x" * 1001})
    assertContains(response, "at most 1000 characters", status_code=HTTPStatus.BAD_REQUEST)
    member.refresh_from_db()
    assert member.bio == ""


def test_a_profile_shows_display_name_and_affiliation(client, db):
    person = factories.make_user(display_name="Dr Mei Lin", affiliation="oncologist, Shanghai")
    response = client.get(reverse("profile", args=[person.username]))
    assertContains(response, "Dr Mei Lin")
    assertContains(response, "oncologist, Shanghai")


def test_a_profile_shows_recent_posts(client, topic, member):
    thread = factories.make_thread(topic=topic, author=member, title="Pricing in tier-two cities")
    response = client.get(reverse("profile", args=[member.username]))
    assertContains(response, thread.title)


def test_a_profile_hides_posts_in_a_private_group_from_outsiders(client, private_group, outsider):
    person = factories.make_member(group=private_group)
    topic = factories.make_topic(group=private_group)
    factories.make_thread(topic=topic, author=person, title="Fund strategy for next year")
    client.force_login(outsider)
    response = client.get(reverse("profile", args=[person.username]))
    assertNotContains(response, "Fund strategy for next year")
    assertNotContains(response, private_group.name)


def test_a_profile_shows_posts_in_a_private_group_to_its_members(client, private_group):
    person, colleague = factories.make_member(group=private_group), factories.make_member(group=private_group)
    topic = factories.make_topic(group=private_group)
    factories.make_thread(topic=topic, author=person, title="Fund strategy for next year")
    client.force_login(colleague)
    response = client.get(reverse("profile", args=[person.username]))
    assertContains(response, "Fund strategy for next year")


def test_a_profile_hides_deleted_posts(client, topic, member):
    thread = factories.make_thread(topic=topic, author=member, title="Withdrawn thought")
    thread.posts.update(deleted_at=thread.created_at)
    response = client.get(reverse("profile", args=[member.username]))
    assertNotContains(response, "Withdrawn thought")


def test_an_unknown_profile_is_not_found(client, db):
    response = client.get(reverse("profile", args=["nobody"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_deactivated_persons_profile_is_not_found(client, db):
    person = factories.make_user(is_active=False)
    response = client.get(reverse("profile", args=[person.username]))
    assert response.status_code == HTTPStatus.NOT_FOUND


# What the confirmation pages say (issue 9, items 6 and 11)


def test_a_verification_link_opened_again_says_the_address_is_already_confirmed(client, db, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    client.post(link)  # confirmed, and logged in

    again = client.post(link)  # the Confirm button clicked twice
    assertContains(again, "ada@example.org is already confirmed")
    assertContains(again, 'href="/"')  # and on they go

    elsewhere = Client().get(link)  # the link opened later, logged out
    assertContains(elsewhere, "ada@example.org is already confirmed")
    assertContains(elsewhere, f'href="{reverse("account_login")}"')
    assertNotContains(elsewhere, "expired")


def test_a_tampered_verification_link_still_says_it_is_not_valid(client, db, mailoutbox):
    sign_up(client)
    response = client.get(link_in(mailoutbox[0]).rstrip("/") + "x/")
    assertContains(response, "expired or is not valid")


def test_logging_in_before_confirming_says_why_and_offers_to_send_the_link_again(client, db, mailoutbox):
    person = factories.make_user(email="ada@example.org", verified=False)
    page = client.post(
        reverse("account_login"), {"login": person.username, "password": factories.PASSWORD}, follow=True
    )
    assertContains(page, "You cannot log in yet: ada@example.org is not confirmed")
    assertContains(page, f'action="{reverse("account_resend_verification")}"')
    assert len(mailoutbox) == 1  # the login attempt sent a fresh link

    soon_after = client.post(reverse("account_resend_verification"), follow=True)
    assertContains(soon_after, "sent a few minutes ago")  # allauth's confirm_email rate limit
    assert len(mailoutbox) == 1

    cache.clear()  # three minutes later
    later = client.post(reverse("account_resend_verification"), follow=True)
    assertContains(later, "Confirmation email sent to ada@example.org")
    assert [message.to for message in mailoutbox] == [["ada@example.org"], ["ada@example.org"]]
    client.post(link_in(mailoutbox[1]))
    assert EmailAddress.objects.get(email="ada@example.org").verified
    assertNotContains(client.get(reverse("account_email_verification_sent")), "You cannot log in yet")


def test_the_resend_button_only_sends_to_the_address_this_browser_logged_in_with(client, db, mailoutbox):
    factories.make_user(email="ada@example.org", verified=False)
    response = client.post(reverse("account_resend_verification"), {"email": "ada@example.org"})
    assertRedirects(response, reverse("account_login"))
    assert mailoutbox == []


def test_the_account_pages_say_log_in_as_the_site_does(client, db):
    login_page = client.get(reverse("account_login"))
    assertContains(login_page, "<h1>Log in</h1>", html=True)
    assertContains(login_page, '<label for="id_remember">Remember me</label>', html=True)
    signup_page = client.get(reverse("account_signup"))
    assertContains(signup_page, f'<a href="{reverse("account_login")}">Log in</a>', html=True)
    for page in (login_page, signup_page):
        assertNotContains(page, "Sign In")
        assertNotContains(page, "sign in")
        assertNotContains(page, "Remember Me")


def test_the_verification_email_greets_from_the_sites_name(client, db, mailoutbox):
    sign_up(client)
    [message] = mailoutbox
    assert message.body.startswith("Hello from Roundtable!")
    assert "Thank you for using Roundtable!" in message.body
