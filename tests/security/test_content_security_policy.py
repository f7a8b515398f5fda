"""Every response carries the site's Content-Security-Policy: only its own script and stylesheet may run."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests import factories

# The page layer, not the database: the test command runs these in one pass.
pytestmark = pytest.mark.one_pass

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict[str, str]:
    """The response's policy as {directive: sources}; django-csp writes the directives in no fixed order."""
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, sources in directives}


@pytest.fixture
def site(group, topic, member, moderator):
    """A group with a thread, a reply, an open prompt and an invitation, seen by a moderator."""
    thread = factories.make_thread(topic=topic, author=member)
    post = factories.make_post(thread=thread, author=member)
    prompt = factories.make_open_prompt(topic=topic, author=moderator)
    invitation = factories.make_invitation(group=group, created_by=moderator)
    return {"group": group, "topic": topic, "thread": thread, "post": post, "prompt": prompt, "invitation": invitation}


def moderator_pages(site, member):
    group, topic, thread, post, prompt = site["group"], site["topic"], site["thread"], site["post"], site["prompt"]
    topic_args = [group.slug, topic.slug]
    return [
        reverse("topics:home"),
        reverse("topics:group", args=[group.slug]),
        reverse("topics:members", args=[group.slug]),
        reverse("topics:join_requests", args=[group.slug]),
        reverse("topics:invitations", args=[group.slug]),
        reverse("topics:invitation", args=[site["invitation"].token]),
        reverse("topics:group_settings", args=[group.slug]),
        reverse("topics:topic_new", args=[group.slug]),
        reverse("topics:topic", args=topic_args),
        reverse("topics:topic_edit", args=topic_args),
        reverse("topics:topic_summary", args=topic_args),
        reverse("topics:topic_export", args=topic_args),
        reverse("topics:agenda", args=[group.slug]),
        reverse("topics:programme", args=[group.slug]),
        reverse("topics:milestones", args=[group.slug]),
        reverse("topics:prompt_new", args=[group.slug]),
        reverse("topics:prompt_edit", args=[group.slug, prompt.pk]),
        reverse("topics:prompt_outcome", args=[group.slug, prompt.pk]),
        reverse("topics:insight", args=[group.slug]),
        reverse("topics:insight_csv", args=[group.slug]),
        thread.get_absolute_url(),
        reverse("discussions:new_thread", args=topic_args),
        reverse("discussions:edit_post", args=[post.pk]),
        reverse("discussions:post_revisions", args=[post.pk]),
        reverse("discussions:notifications"),
        reverse("discussions:email_preferences"),
        reverse("discussions:digest_preview"),
        reverse("discussions:member_digest_preview", args=[group.slug, member.username]),
        reverse("discussions:group_members_json", args=[group.slug]) + "?q=me",
        reverse("profile", args=[member.username]),
        reverse("edit_profile"),
        reverse("account_email"),
        reverse("account_change_password"),
    ]


def test_every_page_a_moderator_opens_carries_the_policy(client, site, member, moderator):
    client.force_login(moderator)

    for url in moderator_pages(site, member):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert policy(response) == POLICY, url


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password", "topics:home"])
def test_pages_for_visitors_carry_the_policy(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert policy(response) == POLICY


def test_error_pages_carry_the_policy(client, private_group, member):
    client.force_login(member)

    not_found = client.get(reverse("topics:group", args=["no-such-group"]))
    forbidden = client.get(reverse("topics:group_settings", args=[member.memberships.get().group.slug]))

    assert not_found.status_code == HTTPStatus.NOT_FOUND
    assert forbidden.status_code == HTTPStatus.FORBIDDEN
    assert policy(not_found) == policy(forbidden) == POLICY


def test_redirects_carry_the_policy(client, site):
    response = client.get(reverse("discussions:thread_short", args=[site["thread"].pk]))

    assert response.status_code in {HTTPStatus.MOVED_PERMANENTLY, HTTPStatus.FOUND}
    assert policy(response) == POLICY


def test_the_admin_carries_the_policy(client, db):
    client.force_login(factories.make_user(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:topics_group_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert policy(response) == POLICY


def test_the_policy_is_sent_in_development_too(client, db, settings):
    settings.DEBUG = True

    response = client.get(reverse("account_login"))

    assert policy(response) == POLICY
