"""The thread page's cache is shared: a change made through one web process shows at once on another."""

import subprocess
import urllib.request

import pytest
from django.conf import settings

from discussions import services
from groupsite import dev
from tests import factories
from tests.test_dev import free_port, server_environment, session_key_for, wait_for


@pytest.fixture
def other_web_process(transactional_db, tmp_path):
    """A second web server (the dev server) on this test's database and this test's Redis cache."""
    cache = settings.CACHES["default"]
    if "redis" not in cache["BACKEND"].lower():
        pytest.skip(
            "SHARED CACHE NOT TESTED: the cache is not Redis (set REDIS_URL); CI's PostgreSQL + Redis pass runs this"
        )
    port = free_port()
    env = dev.serve_environment(server_environment(tmp_path) | {"REDIS_URL": cache["LOCATION"]}, "127.0.0.1", port)
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(
        [str(part) for part in dev.web_command("127.0.0.1", port)] + ["--noreload"],
        cwd=dev.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


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
