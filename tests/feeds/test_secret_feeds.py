"""A private group's feeds: only through a member's secret address, which can be reset and ends with the membership."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions.models import FeedToken
from tests import factories
from tests.feeds.atom import fetch
from topics import sanctions, services
from topics.models import Membership


@pytest.fixture
def scene(private_group):
    owner = factories.make_user(username="owner")
    Membership.objects.create(group=private_group, user=owner, role=Membership.Role.OWNER)
    reader = factories.make_member(group=private_group, username="reader")
    topic = factories.make_topic(group=private_group, slug="pricing")
    thread = factories.make_thread(topic, author=owner, title="Confidential pricing")
    return {"group": private_group, "owner": owner, "reader": reader, "topic": topic, "thread": thread}


def make_address(client, scene) -> str:
    """The reader asks for their address on the group's follow page, as a member would."""
    client.force_login(scene["reader"])
    response = client.post(reverse("feeds:reset", args=[scene["group"].slug]))
    assert response.status_code == HTTPStatus.FOUND
    return FeedToken.objects.get(membership__user=scene["reader"], membership__group=scene["group"]).token


def secret_urls(scene, token: str) -> list[str]:
    slug = scene["group"].slug
    return [
        reverse("feeds:secret_group", args=[slug, token]),
        reverse("feeds:secret_prompts", args=[slug, token]),
        reverse("feeds:secret_topic", args=[slug, token, scene["topic"].slug]),
        reverse("feeds:secret_thread", args=[slug, token, scene["thread"].pk]),
    ]


def assert_not_found(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert "Confidential pricing" not in response.content.decode()


def test_a_members_secret_address_serves_every_feed_of_the_private_group_to_a_reader_with_no_session(client, scene):
    token = make_address(client, scene)
    client.logout()

    for url in secret_urls(scene, token):
        response, parsed, _ = fetch(client, url)
        assert response["X-Robots-Tag"] == "noindex"
        assert "no-store" in response["Cache-Control"]
    _, parsed, _ = fetch(client, secret_urls(scene, token)[0])
    assert [entry.title for entry in parsed.entries] == ["Confidential pricing"]
    assert token in parsed.feed.links[1].href  # the feed's own address is the secret one


def test_the_follow_page_shows_the_member_their_secret_addresses(client, scene):
    token = make_address(client, scene)

    page = client.get(reverse("feeds:follow", args=[scene["group"].slug])).content.decode()

    for url in secret_urls(scene, token)[:3]:
        assert url in page
    assert "Reset the link" in page


def test_a_wrong_token_or_another_groups_slug_is_not_found(client, scene):
    token = make_address(client, scene)
    client.logout()
    other = factories.make_group(slug="other-private", visibility="private")

    assert_not_found(client, secret_urls(scene, "x" * len(token)))
    assert_not_found(client, secret_urls(scene, token[:-1]))
    assert_not_found(client, [reverse("feeds:secret_group", args=[other.slug, token])])
    assert_not_found(client, [reverse("feeds:group", args=[scene["group"].slug])])  # no public feed at all


def test_resetting_the_link_makes_the_old_address_stop_working(client, scene):
    old = make_address(client, scene)

    response = client.post(reverse("feeds:reset", args=[scene["group"].slug]), follow=True)
    new = FeedToken.objects.get(membership__user=scene["reader"]).token

    assert "the old one no longer works" in response.content.decode()
    assert new != old
    client.logout()
    assert_not_found(client, secret_urls(scene, old))
    for url in secret_urls(scene, new):
        fetch(client, url)


def test_resetting_takes_a_post(client, scene):
    make_address(client, scene)

    response = client.get(reverse("feeds:reset", args=[scene["group"].slug]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_address_stops_working_when_the_member_leaves(client, scene):
    token = make_address(client, scene)

    services.leave_group(group=scene["group"], user=scene["reader"])

    assert_not_found(client, secret_urls(scene, token))


def test_the_address_stops_working_when_the_member_is_removed(client, scene):
    token = make_address(client, scene)
    owner = Membership.objects.get(user=scene["owner"])

    services.remove_member(membership=Membership.objects.get(user=scene["reader"]), removed_by=owner)

    assert_not_found(client, secret_urls(scene, token))


def test_the_address_stops_working_when_the_member_is_banned(client, scene):
    token = make_address(client, scene)
    owner = Membership.objects.get(user=scene["owner"])
    target = Membership.objects.get(user=scene["reader"])

    sanctions.ban_member(membership=target, actor=owner, reason="Leaked a report.", now=timezone.now())

    assert_not_found(client, secret_urls(scene, token))


def test_the_address_stops_working_when_the_account_is_deactivated(client, scene):
    token = make_address(client, scene)

    scene["reader"].__class__.objects.filter(pk=scene["reader"].pk).update(is_active=False)

    assert_not_found(client, secret_urls(scene, token))


def test_a_suspended_member_still_reads_through_their_address(client, scene):
    token = make_address(client, scene)
    owner = Membership.objects.get(user=scene["owner"])
    target = Membership.objects.get(user=scene["reader"])
    now = timezone.now()

    sanctions.suspend_member(membership=target, actor=owner, ends_at=now + timedelta(days=3), reason="Heat.", now=now)

    fetch(client, secret_urls(scene, token)[0])


def test_a_membership_deleted_in_bulk_takes_the_address_with_it(client, scene):
    """A membership deleted in bulk (the admin, a script) takes the token with it too."""
    token = make_address(client, scene)

    Membership.objects.filter(user=scene["reader"]).delete()

    assert_not_found(client, secret_urls(scene, token))
    assert not FeedToken.objects.filter(token=token).exists()


def test_a_public_group_needs_no_secret_address(client, group, member):
    client.force_login(member)

    client.post(reverse("feeds:reset", args=[group.slug]))
    page = client.get(reverse("feeds:follow", args=[group.slug])).content.decode()

    assert not FeedToken.objects.exists()
    assert reverse("feeds:group", args=[group.slug]) in page


def test_tokens_are_long_random_and_unique(scene):
    reader = Membership.objects.get(user=scene["reader"])
    owner = Membership.objects.get(user=scene["owner"])

    tokens = {FeedToken.objects.create(membership=reader).token, FeedToken.objects.create(membership=owner).token}

    assert len(tokens) == 2
    assert all(len(token) >= 40 for token in tokens)
