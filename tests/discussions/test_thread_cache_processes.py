"""The thread page's cache is shared: a change made through one web process shows at once on another."""

import urllib.request

import pytest
from django.conf import settings

from discussions import services
from tests import factories, subprocesses
from tests.subprocesses import session_key_for


@pytest.fixture
def other_web_process(transactional_db, tmp_path):
    """A second web server (the dev server) on this test's database and this test's Redis cache."""
    cache = settings.CACHES["default"]
    if "redis" not in cache["BACKEND"].lower():
        pytest.skip(
            "SHARED CACHE NOT TESTED: the cache is not Redis (set REDIS_URL); CI's PostgreSQL + Redis pass runs this"
        )
    with subprocesses.dev_web_server(tmp_path, REDIS_URL=cache["LOCATION"]) as base:
        yield base


def read(url: str, cookie: str = "") -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as page:
        return page.read().decode()


def test_a_reply_and_an_edit_made_here_show_at_once_on_another_web_process(other_web_process):
    group = factories.make_group()
    topic = factories.make_topic(group=group)
    thread = factories.make_thread(topic=topic, body="Opening words.")
    reply = services.publish_post(thread=thread, author=factories.make_member(group=group), body="First version.")
    member = f"{settings.SESSION_COOKIE_NAME}={session_key_for(factories.make_member(group=group))}"
    url = other_web_process + thread.get_absolute_url()
    for _ in range(2):  # warm the cache there, as a visitor and as a member
        assert "First version." in read(url)
        assert "First version." in read(url, member)

    services.edit_post(post=reply, editor=reply.author, body="Second version.")
    services.publish_post(thread=thread, author=reply.author, body="A reply made on this process.")

    for html in (read(url), read(url, member)):
        assert "Second version." in html
        assert "First version." not in html
        assert "A reply made on this process." in html
