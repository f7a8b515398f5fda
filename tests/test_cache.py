import socket

import pytest
from django.core.cache import caches

from discussions import moderation, submissions


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "groupsite.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return caches["default"]


def test_an_unreachable_redis_cache_answers_as_an_empty_cache(unreachable_cache):
    assert unreachable_cache.get("key", "default") == "default"
    assert unreachable_cache.add("key", 1) is True
    assert unreachable_cache.incr("key") == 1
    assert unreachable_cache.get_many(["key"]) == {}
    unreachable_cache.set("key", 1)
    unreachable_cache.delete("key")


def test_with_the_cache_unreachable_rate_limits_let_posts_through_and_forms_still_store(unreachable_cache, member):
    assert moderation.count_in_window(key="posts:1", window=60) == 1
    assert submissions.claim(member, "0" * 32) is None


def test_the_redis_cache_keeps_one_client_for_its_connection_pool(unreachable_cache):
    # Django would make a new redis.Redis (copying the library's table of reply handlers) for every call.
    client = unreachable_cache._cache.get_client(write=True)

    assert unreachable_cache._cache.get_client(write=False) is client
    assert client.connection_pool is unreachable_cache._cache._get_connection_pool(True)
