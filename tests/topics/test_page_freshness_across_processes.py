"""A change made in one process shows at once on pages another web process serves from the shared cache."""

import subprocess
import urllib.request
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from groupsite import dev
from tests import factories
from tests.conftest import REQUIRE_SERVICES
from tests.test_dev import free_port, server_environment, session_key_for, wait_for
from topics import services


def get(url: str, cookie: str = "") -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as page:
        assert page.status == HTTPStatus.OK
        return page.read().decode()


@pytest.fixture
def shared_redis_cache():
    location = settings.CACHES["default"].get("LOCATION", "")
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        message = "the cache is not Redis, so no other process could share it (set REDIS_URL)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(f"CROSS-PROCESS CACHE TEST SKIPPED: {message}; it runs in CI's PostgreSQL + Redis pass")
    return location


def test_a_briefing_edited_here_shows_at_once_on_pages_another_web_process_cached(
    transactional_db, tmp_path, shared_redis_cache
):
    group = factories.make_group(name="China CAR-T market", slug="china-car-t")
    topic = factories.make_topic(group=group, title="Cost", slug="cost", briefing="The old briefing.")
    member = factories.make_member(group=group)
    factories.make_thread(topic, author=member, title="Where prices go")
    port = free_port()
    env = dev.serve_environment(server_environment(tmp_path), "127.0.0.1", port) | {"REDIS_URL": shared_redis_cache}
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(
        [str(part) for part in dev.web_command("127.0.0.1", port)] + ["--noreload"],
        cwd=dev.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base)
        url = base + reverse("topics:topic", args=[group.slug, topic.slug])
        members_cookie = f"{settings.SESSION_COOKIE_NAME}={session_key_for(member)}"
        for cookie in ("", members_cookie, "", members_cookie):  # the second round is served from the cache
            assert "The old briefing." in get(url, cookie)

        services.update_topic(topic=topic, title="Cost", slug="cost", briefing="The new briefing.")

        for cookie in ("", members_cookie):
            page = get(url, cookie)
            assert "The new briefing." in page and "The old briefing." not in page
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
