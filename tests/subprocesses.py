"""What the processes a test starts (a Celery worker, a web server) need to share the test's own database."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from groupsite import dev


def database_url() -> str:
    """The test database as a DATABASE_URL: the SQLite file, or PostgreSQL with the test's credentials."""
    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"] or "") + ":" + quote(database["PASSWORD"] or "")
    return f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(tmp_path) -> dict:
    """This test's database; the test's own folder for local state and a broker of files nobody reads."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "ALLOWED_HOSTS", "CELERY_BROKER_URL"}}
    env.update(
        DATABASE_URL=database_url(), ROUNDTABLE_VAR_DIR=str(tmp_path / "var"), CELERY_BROKER_URL="filesystem://",
        DEBUG="true",
    )
    return env


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def session_key_for(user) -> str:
    """A session for `user`, written to the database the server shares, as logging in would leave it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


@contextmanager
def dev_web_server(tmp_path, **extra_env):
    """The web server `dev.py up` starts, on this test's database and a free port; yields its address."""
    port = free_port()
    env = dev.serve_environment(server_environment(tmp_path), "127.0.0.1", port) | extra_env
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


def postgres_and_redis_or_skip(what: str) -> tuple[str, str]:
    """The Redis cache and broker addresses of a pass on PostgreSQL and Redis; elsewhere the test skips, saying why
    (`what` it needs them for)."""
    on_services = (
        connection.vendor == "postgresql"
        and settings.CELERY_BROKER_URL.startswith("redis://")
        and settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    )
    if not on_services:
        ci = " (CI runs it in its PostgreSQL + Redis pass)" if os.environ.get("CI", "").lower() == "true" else ""
        pytest.skip(
            f"{what} on PostgreSQL and Redis, and this pass has "
            f"{connection.vendor}, broker {settings.CELERY_BROKER_URL.split('://')[0]}{ci}"
        )
    return settings.CACHES["default"]["LOCATION"], settings.CELERY_BROKER_URL
