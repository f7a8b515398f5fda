"""Every URL pattern, filled with real objects, answers hostile requests with a 4xx (or a page), never a 500.

The patterns come from the URLconf itself, so a new page is covered the day it is added. Each is asked with
HEAD and OPTIONS, with garbage `?page=` values, with an id beyond PostgreSQL's bigint, an over-long slug,
an empty POST, and by an owner (who may see every page) as well as anonymously. Run on both databases.
"""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from discussions.emails import DIGEST_SCOPE, unsubscribe_token
from discussions.models import Notification
from discussions.models import FeedToken
from topics.models import JoinRequest, Membership, Milestone
from topics.polls import save_poll
from tests.factories import (
    PASSWORD,
    make_group,
    make_invitation,
    make_member,
    make_moderator,
    make_open_prompt,
    make_post,
    make_thread,
    make_topic,
    make_user,
)

BEYOND_BIGINT = 99_999_999_999_999_999_999
# One of each kind a page number can go wrong in: below 1, beyond the database's integers, not an integer, not text.
GARBAGE_PAGES = ["-1", str(BEYOND_BIGINT), "1e9", "abc", "%EF%BF%BD"]
GARBAGE_PARAMETERS = [
    ("next", "//evil.example"),
    ("quote", "²"),
    ("quote", str(BEYOND_BIGINT)),
    ("role", "²"),
    ("topic", "a" * 500),
    ("q", "x" * 5_000),
]


def _named_patterns(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's own admin, behind staff login
            inner = f"{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


URL_PATTERNS = dict(_named_patterns(get_resolver().url_patterns))


# Each request runs in a transaction of its own, rolled back after it, within the module's world.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module (it took a third of a second for each of its ~500 cases), inside a transaction
    rolled back after the module's last test."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hasher:
        yield _build_world()
        transaction.set_rollback(True)


def _build_world() -> dict:
    """A public group with one of everything a URL can name, and its owner."""
    group = make_group()
    owner = make_moderator(group=group)
    Membership.objects.filter(group=group, user=owner).update(role=Membership.Role.OWNER)
    member = make_member(group=group)
    topic = make_topic(group=group)
    thread = make_thread(topic=topic, author=owner)
    post = make_post(thread=thread, author=member)
    prompt = make_open_prompt(topic=topic, author=owner)
    save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    invitation = make_invitation(group=group, created_by=owner)
    applicant = make_user()
    join_request = JoinRequest.objects.create(group=group, user=applicant, answers=[])
    milestone = Milestone.objects.create(
        group=group, title="Approval", happens_at=timezone.now() + timedelta(days=30), created_by=owner
    )
    notification = Notification.objects.filter(user=owner).first()
    ids = {
        "topics:change_role": Membership.objects.get(group=group, user=member).pk,
        "topics:remove_member": Membership.objects.get(group=group, user=member).pk,
        "topics:decide_join_request": join_request.pk,
        "topics:revoke_invitation": invitation.pk,
        "topics:topic_move": topic.pk,
        "topics:milestone_move": milestone.pk,
        "discussions:notification_read": notification.pk if notification else 1,
    }
    for name in ("post", "edit_post", "delete_post", "post_revisions"):
        ids[f"discussions:{name}"] = post.pk
    ids["topics:key_insight"] = post.pk
    return {
        "owner": owner,
        "ids": ids,
        "default_pk": thread.pk,
        "prompt_pk": prompt.pk,
        "values": {
            "slug": group.slug,
            "group_slug": group.slug,
            "topic_slug": topic.slug,
            "username": member.username,
            "key": "not-a-key",
            "uidb36": "1",
        },
        "tokens": {
            "topics:invitation": invitation.token,
            "discussions:unsubscribe": unsubscribe_token(member, DIGEST_SCOPE),
            **dict.fromkeys(
                ("feeds:secret_group", "feeds:secret_prompts", "feeds:secret_topic", "feeds:secret_thread"),
                FeedToken.objects.create(membership=Membership.objects.get(group=group, user=member)).token,
            ),
        },
        "thread_slug": thread.slug,
    }


def _kwargs(world, name: str, pattern) -> dict:
    kwargs = {}
    for key in pattern.pattern.regex.groupindex:
        if key == "pk":
            if name in world["ids"]:
                kwargs[key] = world["ids"][name]
            elif name.startswith("topics:prompt") or name == "topics:vote":
                kwargs[key] = world["prompt_pk"]
            else:
                kwargs[key] = world["default_pk"]
        elif key == "token":
            kwargs[key] = world["tokens"][name]
        elif name == "discussions:thread" and key == "slug":
            kwargs[key] = world["thread_slug"]
        else:
            kwargs[key] = world["values"][key]
    return kwargs


def _url(world, name: str, **overrides) -> str:
    kwargs = _kwargs(world, name, URL_PATTERNS[name]) | overrides
    return reverse(name, kwargs=kwargs)


def _requests(client, url: str):
    """The hostile requests every page gets; yields (what was asked, status)."""
    yield "HEAD", client.head(url).status_code
    yield "OPTIONS", client.options(url).status_code
    for page in GARBAGE_PAGES:
        yield f"GET ?page={page}", client.get(f"{url}?page={page}").status_code
    for name, value in GARBAGE_PARAMETERS:
        yield f"GET ?{name}={value}", client.get(url, {name: value}).status_code


# The sweeps of every page run in one pass of the test command, the PostgreSQL one, where bad input used to end in 500s.
@pytest.mark.one_pass
@pytest.mark.parametrize("name", sorted(URL_PATTERNS))
@pytest.mark.parametrize("signed_in", [True, False], ids=["owner", "anonymous"])
def test_no_page_answers_hostile_requests_with_a_server_error(client, world, name, signed_in):
    if signed_in:
        client.force_login(world["owner"])
    url = _url(world, name)

    answers = dict(_requests(client, url))

    assert {asked: status for asked, status in answers.items() if status >= 500} == {}


@pytest.mark.one_pass
@pytest.mark.parametrize("name", sorted(URL_PATTERNS))
def test_no_page_answers_an_empty_post_with_a_server_error(client, world, name):
    client.force_login(world["owner"])

    response = client.post(_url(world, name), {})

    assert response.status_code < 500


NAMES_WITH_IDS = sorted(name for name, pattern in URL_PATTERNS.items() if "pk" in pattern.pattern.regex.groupindex)
NAMES_WITH_SLUGS = sorted(
    name
    for name, pattern in URL_PATTERNS.items()
    if {"slug", "group_slug", "topic_slug"} & set(pattern.pattern.regex.groupindex)
)


@pytest.mark.parametrize("name", NAMES_WITH_IDS)
def test_an_id_beyond_the_database_integer_range_is_not_found(client, world, name):
    client.force_login(world["owner"])

    response = client.get(_url(world, name, pk=BEYOND_BIGINT))

    assert response.status_code in {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}


@pytest.mark.parametrize("name", NAMES_WITH_SLUGS)
def test_an_over_long_slug_is_not_a_server_error(client, world, name):
    client.force_login(world["owner"])
    too_long = "a" * 2_000
    slugs = {key: too_long for key in ("slug", "group_slug", "topic_slug") if key in URL_PATTERNS[name].pattern.regex.groupindex}

    response = client.get(_url(world, name, **slugs))

    assert response.status_code < 500


def test_a_thread_with_an_id_beyond_bigint_is_not_found(client, db):
    response = client.get("/t/99999999999999999999/")

    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("path", ["/people/%00/", "/invite/%00/", "/t/1/a%00b/", "/g/x%00/"])
def test_a_nul_byte_in_the_address_is_a_bad_request(client, db, path):
    response = client.get(path)

    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("query", ["q=%00", "page=%FF", "q=%ED%A0%80", "%C0%AF=1"])
def test_a_query_string_with_a_nul_byte_or_invalid_utf8_is_a_bad_request(client, db, query):
    response = client.get(f"{reverse('topics:home')}?{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_an_ordinary_query_string_in_utf8_is_accepted(client, db):
    response = client.get(f"{reverse('topics:home')}?q=%E8%B0%81%20caf%C3%A9")

    assert response.status_code == HTTPStatus.OK


# Form bodies and the views that read them


@pytest.fixture
def poll_and_voter(db):
    group = make_group()
    prompt = make_open_prompt(topic=make_topic(group=group))
    poll = save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    return poll, make_member(group=group)


def _vote_url(poll) -> str:
    return reverse("topics:vote", args=[poll.prompt.topic.group.slug, poll.prompt_id])


def test_a_vote_whose_reason_holds_a_nul_byte_is_refused_and_stores_nothing(client, poll_and_voter):
    poll, voter = poll_and_voter
    client.force_login(voter)

    response = client.post(_vote_url(poll), {"option": poll.options.first().pk, "reason": "Because\x00"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not poll.votes.exists()


@pytest.mark.parametrize("option", ["²", "١", "-1", "0", str(BEYOND_BIGINT), "1.5", ""])
def test_a_vote_for_an_option_that_is_no_id_gets_a_form_error(client, poll_and_voter, option):
    poll, voter = poll_and_voter
    client.force_login(voter)

    response = client.post(_vote_url(poll), {"option": option, "reason": ""})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose one of the options." in response.content.decode()
    assert not poll.votes.exists()


def test_a_vote_is_still_recorded_through_the_form(client, poll_and_voter):
    poll, voter = poll_and_voter
    client.force_login(voter)
    yes = poll.options.get(label="Yes")

    response = client.post(_vote_url(poll), {"option": str(yes.pk), "reason": "  Evidence is strong.  "})

    assert response.status_code == HTTPStatus.FOUND
    assert poll.votes.get().option == yes
    assert poll.votes.get().reason == "Evidence is strong."


@pytest.mark.parametrize(
    "body",
    [b"body=caf%E9", b"body=%ED%A0%80", b"body=a%00b", b"b%FFody=x"],
    ids=["latin-1", "lone-surrogate", "nul", "invalid-name"],
)
def test_a_urlencoded_form_body_that_is_not_utf8_text_is_refused_and_stores_nothing(client, db, body):
    thread = make_thread()
    client.force_login(thread.author)

    response = client.post(
        reverse("discussions:reply", args=[thread.pk]), body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert thread.posts.count() == 1


def test_a_multipart_form_body_that_is_not_utf8_text_is_refused_and_stores_nothing(client, db):
    thread = make_thread()
    client.force_login(thread.author)
    boundary = "hostile"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n".encode()
        + "café".encode("latin-1")
        + f"\r\n--{boundary}--\r\n".encode()
    )

    response = client.post(
        reverse("discussions:reply", args=[thread.pk]), body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert thread.posts.count() == 1


def test_a_reply_in_utf8_with_a_replacement_character_is_still_stored(client, db):
    thread = make_thread()
    client.force_login(thread.author)

    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "谁来付费？ café \ufffd"})

    assert thread.posts.filter(body="谁来付费？ café \ufffd").exists()


@pytest.mark.parametrize("quote", ["²", "١"])
def test_a_reply_quoting_a_post_by_a_digit_that_is_no_id_is_stored_without_the_quote(client, db, quote):
    thread = make_thread()
    client.force_login(thread.author)

    response = client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Agreed.", "quote": quote})

    assert response.status_code == HTTPStatus.FOUND
    assert thread.posts.get(body="Agreed.").quoted_post is None


# Redirects


def test_an_old_thread_slug_redirects_temporarily_so_a_rename_back_cannot_loop(client, db):
    thread = make_thread(title="Alpha")
    old_url = thread.get_absolute_url()
    thread.title = "Beta"
    thread.save()

    response = client.get(old_url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("discussions:thread", args=[thread.pk, "beta"])


def test_a_thread_redirect_keeps_the_page_asked_for(client, db):
    thread = make_thread(title="Alpha")

    response = client.get(reverse("discussions:thread", args=[thread.pk, "old"]) + "?page=2")

    assert response.url == thread.get_absolute_url() + "?page=2"


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "https:evil.example"]
)
def test_logging_in_never_redirects_off_site(client, db, target):
    person = make_user()

    response = client.post(
        f"{reverse('account_login')}?next={target}", {"login": person.username, "password": PASSWORD, "next": target}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert "evil.example" not in response.url


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example"])
def test_watching_a_thread_never_redirects_off_site(client, db, target):
    thread = make_thread()
    client.force_login(thread.author)

    response = client.post(
        reverse("discussions:thread_subscription", args=[thread.pk]), {"action": "mute", "next": target}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()


# Emails built from what people typed


def test_a_line_break_in_a_group_name_does_not_break_an_invitation_email(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    group = make_group(name="Investors\r\nBcc: everyone@example.org")
    owner = make_moderator(group=group)
    client.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("topics:invitations", args=[group.slug]), {"email": "guest@example.org"})

    assert response.status_code == HTTPStatus.FOUND
    (message,) = mailoutbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.endswith("invites you to Investors Bcc: everyone@example.org on Roundtable")
    assert message.recipients() == ["guest@example.org"]


def test_a_line_break_in_a_group_name_does_not_break_a_join_decision_email(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    group = make_group(name="Investors\nBcc: everyone@example.org", visibility="private")
    moderator = make_moderator(group=group)
    applicant = make_user()
    join_request = JoinRequest.objects.create(group=group, user=applicant, answers=[])
    client.force_login(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("topics:decide_join_request", args=[group.slug, join_request.pk]), {"decision": "approve"}
        )

    assert response.status_code < 500
    subjects = [message.subject for message in mailoutbox]
    assert subjects and all("\n" not in subject for subject in subjects)
