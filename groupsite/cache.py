"""Django's Redis cache, failing open: while Redis is unreachable the site works as if nothing were cached.

The cache holds nothing that must not be lost (sessions are in PostgreSQL, follow-up work in the outbox): only
rate-limit counts and the one-time claims of submitted forms. When Redis (which also carries the Celery broker)
goes down, a member's reply must still be stored rather than end in a 500, so every cache call answers as an empty
cache would and the limits go unenforced until Redis is back; the first failure each minute is logged.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
LOG_EVERY_SECONDS = 60
_last_logged = 0.0


def _unavailable(error: Exception) -> None:
    global _last_logged
    if time.monotonic() - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = time.monotonic()
        logger.warning("The Redis cache is unreachable; working without it: %s", error)


class FailOpenRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        # Django makes a new redis.Redis for every call, and each copies the library's table of reply handlers (some
        # 170 entries): three times on a visitor's cached page, a tenth of its time. A client is only a handle on
        # its connection pool, safe to share between threads: one per pool.
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        if (client := clients.get(id(pool))) is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def get(self, key, default):
        try:
            return super().get(key, default)
        except UNAVAILABLE as error:
            _unavailable(error)
            return default

    def add(self, key, value, timeout):
        # "Stored": the first count of a rate limit, or the claim of a submitted form, goes ahead.
        try:
            return super().add(key, value, timeout)
        except UNAVAILABLE as error:
            _unavailable(error)
            return True

    def set(self, key, value, timeout):
        try:
            return super().set(key, value, timeout)
        except UNAVAILABLE as error:
            _unavailable(error)

    def touch(self, key, timeout):
        try:
            return super().touch(key, timeout)
        except UNAVAILABLE as error:
            _unavailable(error)
            return False

    def delete(self, key):
        try:
            return super().delete(key)
        except UNAVAILABLE as error:
            _unavailable(error)
            return False

    def get_many(self, keys):
        try:
            return super().get_many(keys)
        except UNAVAILABLE as error:
            _unavailable(error)
            return {}

    def has_key(self, key):
        try:
            return super().has_key(key)
        except UNAVAILABLE as error:
            _unavailable(error)
            return False

    def incr(self, key, delta):
        # As if the count had just been added: one action in its window.
        try:
            return super().incr(key, delta)
        except UNAVAILABLE as error:
            _unavailable(error)
            return delta

    def set_many(self, data, timeout):
        try:
            return super().set_many(data, timeout)
        except UNAVAILABLE as error:
            _unavailable(error)

    def delete_many(self, keys):
        try:
            return super().delete_many(keys)
        except UNAVAILABLE as error:
            _unavailable(error)

    def clear(self):
        try:
            return super().clear()
        except UNAVAILABLE as error:
            _unavailable(error)
            return False


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
