"""Look-alike names: display names and usernames cannot hide characters or pass for a group's staff."""

from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from groupsite.models import User
from groupsite.names import looks_like
from tests import factories
from topics.models import Membership

PASSWORD = "a longer secret for the new account"


@pytest.fixture
def lin_wei(group):
    """The moderator of the member's group, known by a name with a title."""
    return factories.make_moderator(group=group, username="linwei", display_name="Dr. Lin Wei")


def save_profile(client, user, **fields):
    client.force_login(user)
    data = {"display_name": user.display_name, "affiliation": user.affiliation, "bio": user.bio}
    return client.post(reverse("edit_profile"), data | fields)


def sign_up(client, username: str):
    email = f"{abs(hash(username))}@example.org"
    data = {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("account_signup"), data)


# Display names: cleaned, and never empty once cleaned


def test_a_display_name_is_stored_without_bidirectional_overrides_or_zero_width_spaces(client, member):
    save_profile(client, member, display_name="Ad\u202emin\u200b\u200bX")

    member.refresh_from_db()
    assert member.display_name == "AdminX"


def test_a_display_name_of_only_zero_width_spaces_is_refused(client, member):
    response = save_profile(client, member, display_name="\u200b\u200b")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["display_name"]
    member.refresh_from_db()
    assert member.display_name == "Mei"


def test_a_display_name_without_a_letter_or_digit_is_refused(client, member):
    response = save_profile(client, member, display_name="\u2800 . \u3164")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["display_name"]


def test_an_affiliation_is_stored_without_control_characters(client, member):
    save_profile(client, member, affiliation="clinician,\x1b Shanghai\u2067")

    member.refresh_from_db()
    assert member.affiliation == "clinician, Shanghai"


# Display names that read like a moderator's


@pytest.mark.parametrize(
    "lookalike",
    [
        "Dr. Lin Wei",
        "Dr. Lin W\u0435i",  # Cyrillic е
        "DR LIN WEI",
        "Dr Lín Wéi",
        "Dr.LinWei",
        "Ｄｒ. Ｌｉｎ Ｗｅｉ",  # fullwidth
        "Dr. Lin Wei (demo moderator)",
        "Dr. Lin\u200b Wei",
    ],
)
def test_a_member_cannot_take_a_name_that_reads_like_their_moderators(client, member, lin_wei, lookalike):
    response = save_profile(client, member, display_name=lookalike)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Dr. Lin Wei" in response.context["form"].errors["display_name"][0]
    member.refresh_from_db()
    assert member.display_name == "Mei"


def test_a_member_cannot_take_a_look_alike_of_a_moderators_username(client, member, moderator):
    response = save_profile(client, member, display_name="M\u03bfderat0r")  # Greek omicron, digit zero

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["display_name"]


def test_a_member_cannot_take_the_name_of_their_groups_owner(client, group, member):
    owner = factories.make_user(display_name="Zhang Hui")
    factories.make_membership(group=group, user=owner, role=Membership.Role.OWNER)

    response = save_profile(client, member, display_name="zhang hui")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_moderator_keeps_their_own_name(client, lin_wei):
    response = save_profile(client, lin_wei, display_name="Dr. Lin Wei", bio="Haematologist.")

    assert response.status_code == HTTPStatus.FOUND
    lin_wei.refresh_from_db()
    assert lin_wei.bio == "Haematologist."


def test_the_name_of_a_moderator_of_another_group_is_free(client, member):
    factories.make_moderator(display_name="Dr. Lin Wei")  # moderates a group the member is not in

    response = save_profile(client, member, display_name="Dr. Lin Wei")

    assert response.status_code == HTTPStatus.FOUND


def test_a_name_that_merely_contains_a_short_moderator_name_is_free(client, group, member):
    factories.make_moderator(group=group, display_name="Al")

    response = save_profile(client, member, display_name="Alice Walker")

    assert response.status_code == HTTPStatus.FOUND


def test_different_names_do_not_look_alike():
    assert not looks_like("Lin Weixin", "Dr. Lin Wei")
    assert not looks_like("Mei", "Dr Moderator")


# Usernames at sign-up


@pytest.mark.parametrize(
    "username", ["m\u03bfderator", "..", ".", ".mei", "mei.", "mei\u200b", "mei li", "mé", "___", "a/b"]
)
def test_sign_up_refuses_a_username_that_is_not_plain(client, db, username):
    response = sign_up(client, username)

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert response.context["form"].errors["username"]
    assert not User.objects.filter(username=username).exists()


def test_sign_up_refuses_a_look_alike_of_a_moderators_username(client, moderator):
    response = sign_up(client, "moderat0r")

    assert response.context["form"].errors["username"]
    assert not User.objects.filter(username="moderat0r").exists()


def test_sign_up_refuses_a_look_alike_of_a_moderators_display_name(client, lin_wei):
    response = sign_up(client, "Dr.Lin-Wei")

    assert response.context["form"].errors["username"]


@pytest.mark.parametrize("username", ["ada", "ada.lovelace", "a..b", "a-b_c", "Ada2", "_x_", "..", ".", "..."])
def test_every_accepted_username_has_a_profile_that_opens(client, db, username):
    sign_up(client, username)
    user = User.objects.filter(username=username).first()
    if user is None:
        return  # refused at sign-up: nothing to reach
    # A browser resolves "." and ".." path segments before it asks (RFC 3986), so ask what it would.
    url = urljoin("http://testserver/", reverse("profile", args=[user.username]))

    response = client.get(urlsplit(url).path)

    assert response.status_code == HTTPStatus.OK
    assert response.context["person"] == user


# Joining a group whose staff the name reads like


def test_joining_a_public_group_is_refused_to_a_look_alike_of_its_moderator(client, group, lin_wei):
    impostor = factories.make_user(display_name="Dr. Lin W\u0435i")  # named while in no group with Dr. Lin Wei
    client.force_login(impostor)

    response = client.post(reverse("topics:join", args=[group.slug]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("edit_profile")
    assert not Membership.objects.filter(group=group, user=impostor).exists()


def test_asking_to_join_a_private_group_is_refused_to_a_look_alike_of_its_moderator(client, private_group):
    factories.make_moderator(group=private_group, display_name="Dr. Lin Wei")
    impostor = factories.make_user(display_name="DR LIN WEI")
    client.force_login(impostor)

    answers = {"answer_0": "Payer.", "answer_1": "To learn."}

    response = client.post(reverse("topics:join", args=[private_group.slug]), answers)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Dr. Lin Wei" in response.context["form"].non_field_errors()[0]
    assert not private_group.join_requests.exists()


def test_an_invitation_is_refused_to_a_look_alike_of_the_groups_moderator(client, group, lin_wei):
    invitation = factories.make_invitation(group)
    impostor = factories.make_user(display_name="Dr Lin Wei")
    client.force_login(impostor)

    response = client.post(reverse("topics:invitation", args=[invitation.token]))

    assert response.url == reverse("edit_profile")
    assert not Membership.objects.filter(group=group, user=impostor).exists()


def test_joining_is_open_to_a_name_unlike_any_of_the_groups_staff(client, group, lin_wei):
    newcomer = factories.make_user(display_name="Lin Weixin")
    client.force_login(newcomer)

    client.post(reverse("topics:join", args=[group.slug]))

    assert Membership.objects.filter(group=group, user=newcomer).exists()
