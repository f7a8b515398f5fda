"""Reading the site writes nothing: a visitor gets no session, no cookie and no CSRF token on a read-only page, and
the database sees only SELECTs. A member's thread page writes their read marker, once, and nothing on a reload."""

import re
from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import notifications, view_counts
from tests import factories

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
VIEW_COUNT_UPDATE = ["UPDATE", '"discussions_thread"', "SET", '"view_count"']
BUFFERED = view_counts.redis_client() is not None
NEEDS_REDIS = pytest.mark.skipif(
    not BUFFERED, reason="views are buffered only when the cache is Redis (REDIS_URL): CI's PostgreSQL+Redis pass"
)


def writes_of(queries) -> list[str]:
    return [query["sql"] for query in queries if query["sql"].lstrip().upper().startswith(WRITES)]


@pytest.fixture
def site(group, topic, member, moderator):
    """A public group with a thread of two pages, an open prompt with a poll, and a member with posts."""
    thread = factories.make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")
    for _ in range(3):
        factories.make_post(thread=thread, author=member)
    prompt = factories.make_open_prompt(topic, author=moderator, title="Which price holds?")
    return {"group": group, "topic": topic, "thread": thread, "prompt": prompt, "member": member}


def visitor_pages(site) -> dict[str, str]:
    group, topic, thread, prompt = site["group"], site["topic"], site["thread"], site["prompt"]
    first_post = thread.posts.order_by("number").first()
    return {
        "home": reverse("topics:home"),
        "group": group.get_absolute_url(),
        "members": reverse("topics:members", args=[group.slug]),
        "topic": topic.get_absolute_url(),
        "topic, page 2": topic.get_absolute_url() + "?page=2",
        "topic, the other language": topic.get_absolute_url() + "?lang=zh-hans",
        "agenda": reverse("topics:agenda", args=[group.slug]),
        "outcome history": reverse("topics:prompt_outcome_revisions", args=[group.slug, prompt.pk]),
        "summary history": reverse("topics:topic_summary_revisions", args=[group.slug, topic.slug]),
        "profile": reverse("profile", args=[site["member"].username]),
        "search": reverse("discussions:search") + "?q=CAR-T",
        "follow": reverse("feeds:follow", args=[group.slug]),
        "group feed": reverse("feeds:group", args=[group.slug]),
        "prompts feed": reverse("feeds:prompts", args=[group.slug]),
        "topic feed": reverse("feeds:topic", args=[group.slug, topic.slug]),
        "thread feed": reverse("feeds:thread", args=[thread.pk]),
        "permalink": first_post.get_absolute_url(),
        "short thread address": reverse("discussions:thread_short", args=[thread.pk]),
        "who reacted": reverse("discussions:who_reacted", args=[first_post.pk]),
        "reaction page (asks to log in)": reverse("discussions:react", args=[first_post.pk]),
        "invitation": factories.make_invitation(group).get_absolute_url(),
        "join (asks to log in)": reverse("topics:join", args=[group.slug]),
        "missing page": "/no/such/page/",
        "javascript catalog": reverse("javascript-catalog"),
    }


def tables_written(queries) -> list[str]:
    return [re.search(r'(?:INTO|UPDATE) "(\w+)"', sql).group(1) for sql in writes_of(queries)]


def read_as_visitor(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_USER_AGENT="Visitor/1.0")
    return response, queries


def assert_leaves_no_trace(response, queries):
    assert writes_of(queries) == []
    assert not response.cookies  # each becomes a Set-Cookie header
    assert b"csrfmiddlewaretoken" not in response.content
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "page",
    [
        "home", "group", "members", "topic", "topic, page 2", "topic, the other language", "agenda",
        "outcome history", "summary history", "profile", "search", "follow", "group feed", "prompts feed",
        "topic feed", "thread feed", "permalink", "short thread address", "who reacted",
        "reaction page (asks to log in)", "invitation",
        "join (asks to log in)", "missing page", "javascript catalog",
    ],
)
def test_a_visitor_reading_a_page_writes_nothing_and_gets_no_cookie(client, site, page):
    url = visitor_pages(site)[page]
    response, queries = read_as_visitor(client, url)

    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.NOT_FOUND}, (page, response)
    assert_leaves_no_trace(response, queries)


@NEEDS_REDIS
def test_a_visitor_reading_a_thread_writes_nothing_and_gets_no_cookie(client, site):
    thread, prompt_thread = site["thread"], site["prompt"].thread
    urls = [thread.get_absolute_url(), f"{thread.get_absolute_url()}?role=evidence", prompt_thread.get_absolute_url()]
    for url in urls:
        response, queries = read_as_visitor(client, url)

        assert response.status_code == HTTPStatus.OK
        assert_leaves_no_trace(response, queries)
    assert view_counts.pending_views() == {thread.pk: 1, prompt_thread.pk: 1}


@pytest.mark.skipif(BUFFERED, reason="the cache is Redis: the view is buffered, as the test above proves")
def test_without_redis_a_visitors_first_view_is_one_update_and_no_session(client, site):
    for thread in (site["thread"], site["prompt"].thread):
        response, queries = read_as_visitor(client, thread.get_absolute_url())

        assert response.status_code == HTTPStatus.OK
        assert [sql.split()[:4] for sql in writes_of(queries)] == [VIEW_COUNT_UPDATE]
        assert not response.cookies
        assert b"csrfmiddlewaretoken" not in response.content
        assert not Session.objects.exists()
        response, queries = read_as_visitor(client, thread.get_absolute_url())  # counted today already
        assert_leaves_no_trace(response, queries)


def test_a_visitors_page_offers_the_language_switch_without_a_csrf_token(client, site):
    response = client.get(site["group"].get_absolute_url())

    assert f'action="{reverse("set_language")}"'.encode() in response.content
    assert b"csrfmiddlewaretoken" not in response.content


def test_the_login_and_sign_up_pages_carry_their_csrf_token_and_write_nothing(client, site):
    for url in (reverse("account_login"), reverse("account_signup")):
        response, queries = read_as_visitor(client, url)

        assert response.status_code == HTTPStatus.OK
        assert b"csrfmiddlewaretoken" in response.content
        assert writes_of(queries) == []
        assert not Session.objects.exists()


def test_a_members_first_look_at_a_thread_writes_one_row(client, site, group):
    reader = factories.make_member(group=group)
    client.force_login(reader)
    thread = site["thread"]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    view_count = [] if BUFFERED else ["discussions_thread"]  # without Redis the view is an UPDATE of the thread
    assert tables_written(queries) == view_count + ["discussions_threadread"]


def test_a_member_reloading_a_thread_writes_nothing(client, site, group):
    reader = factories.make_member(group=group)
    client.force_login(reader)
    thread = site["thread"]
    client.get(thread.get_absolute_url())

    with CaptureQueriesContext(connection) as queries:
        response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert writes_of(queries) == []


def test_a_member_coming_back_to_new_posts_writes_one_row(client, site, group):
    reader = factories.make_member(group=group)
    client.force_login(reader)
    thread = site["thread"]
    client.get(thread.get_absolute_url())
    factories.make_post(thread=thread)

    with CaptureQueriesContext(connection) as queries:
        client.get(thread.get_absolute_url())

    assert tables_written(queries) == ["discussions_threadread"]
    assert notifications.with_reader_state(type(thread).objects, reader).get(pk=thread.pk).read_number == 5


def test_a_member_s_first_look_also_marks_read_what_notified_them_of_the_thread(
    client, site, group, django_capture_on_commit_callbacks
):
    reader = factories.make_member(group=group)
    thread = site["thread"]
    notifications.watch(user=reader, target=thread, now=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_post(thread=thread)  # notifies the watcher
    assert notifications.unread_count(reader) == 1
    client.force_login(reader)

    with CaptureQueriesContext(connection) as queries:
        client.get(thread.get_absolute_url())

    # The read marker, and the notification: a change the member sees (the badge), made once.
    assert tables_written(queries)[-2:] == ["discussions_threadread", "discussions_notification"]
    assert notifications.unread_count(reader) == 0
    with CaptureQueriesContext(connection) as queries:
        client.get(thread.get_absolute_url())
    assert writes_of(queries) == []
