"""A change made in one process shows at once on pages another web process serves from the shared cache."""

import urllib.request
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories, subprocesses
from tests.conftest import REQUIRE_SERVICES
from tests.subprocesses import session_key_for
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
    with subprocesses.dev_web_server(tmp_path, REDIS_URL=shared_redis_cache) as base:
        url = base + reverse("topics:topic", args=[group.slug, topic.slug])
        members_cookie = f"{settings.SESSION_COOKIE_NAME}={session_key_for(member)}"
        for cookie in ("", members_cookie, "", members_cookie):  # the second round is served from the cache
            assert "The old briefing." in get(url, cookie)

        services.update_topic(topic=topic, title="Cost", slug="cost", briefing="The new briefing.")

        for cookie in ("", members_cookie):
            page = get(url, cookie)
            assert "The new briefing." in page and "The old briefing." not in page
