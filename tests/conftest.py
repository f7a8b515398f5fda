import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.db import connection
from django.utils import translation

from groupsite.celery import app as celery_app
from groupsite.queues import LONE_WORKER_OPTIONS
from tests import factories, subprocesses

IN_CI = os.environ.get("CI", "").strip().lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# groupsite/dev.py sets this for the PostgreSQL + Redis pass: that pass must really use them.
REQUIRE_SERVICES = os.environ.get("ROUNDTABLE_REQUIRE_SERVICES", "").strip().lower() == "true"


def pytest_configure(config):
    # Tasks run in the test process unless a test starts a real worker (tests/test_worker.py).
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    _own_redis_cache_per_xdist_worker()
    _commits_do_not_wait_for_the_disk()
    _empty_tables_with_delete_not_truncate()


def _own_redis_cache_per_xdist_worker() -> None:
    """Each test flushes the cache; with the suite split over processes (pytest-xdist), each needs a Redis database
    of its own: worker gw0 keeps the configured one, gw1 the one below it, and so on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache_settings = django_settings.CACHES["default"]
    if not worker.startswith("gw") or "redis" not in cache_settings["BACKEND"].lower():
        return
    base, _, number = cache_settings["LOCATION"].rpartition("/")
    django_settings.CACHES = {
        "default": cache_settings | {"LOCATION": f"{base}/{int(number or 0) - int(worker[2:])}"}
    }
    # The cache handler reads CACHES once; nothing has used the cache yet, so it just reads them again.
    caches._settings = None
    caches.__dict__.pop("settings", None)


def _commits_do_not_wait_for_the_disk() -> None:
    """A throwaway test database needs no durability against a power cut: without a flush to disk at each commit,
    a commit costs PostgreSQL here about 0.4 ms instead of 7, and the XSS proof alone makes thousands. Only this
    process's connections (and its live servers') change; production settings do not."""
    database = django_settings.DATABASES["default"]  # the dict the connections read, changed in place
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.postgresql":
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
    elif database["ENGINE"] == "django.db.backends.sqlite3":
        options["init_command"] = f"{options.get('init_command', '')};PRAGMA synchronous=NORMAL".lstrip(";")


def _empty_tables_with_delete_not_truncate() -> None:
    """After each test that commits (a real worker, server or browser reads its data), pytest-django empties every
    table. PostgreSQL's TRUNCATE gives each of the ~40 tables and their indexes new files: 0.5–1.3 s a test here. The
    few rows such a test leaves are gone in 10 ms with DELETE, in the same transaction (Django's foreign keys are
    checked at its commit, when every table is empty). The tables end up just as empty; only this process's flushes
    change."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush


# The longest test of all (a few minutes: it builds its hostile world through the forms, then opens ~440 pages).
LONGEST_FIRST = ("tests/security/test_xss_corpus.py",)


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests, and pytest-django's own order
def pytest_collection_modifyitems(config, items):
    """The longest tests first: the XSS proof, then browsers, real workers and one-pass proofs, so that split over
    processes (pytest-xdist hands out one test at a time, see groupsite/dev.py) none of them starts last and keeps
    the run waiting. pytest-django alone would put the ~2,400 quick one-pass cases that use a transaction before
    every browser test."""

    def rank(item) -> int:
        if item.nodeid.startswith(LONGEST_FIRST):
            return 0
        for position, name in enumerate(("browser", "worker", "one_pass"), start=1):
            if item.get_closest_marker(name):
                return position
        return 4

    items.sort(key=rank)  # a stable sort keeps each group's own order


def pytest_report_header(config):
    database = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"roundtable: database={database} broker={django_settings.CELERY_BROKER_URL.split('://')[0]}"


@pytest.fixture(scope="session", autouse=True)
def _services_are_real(django_db_setup, django_db_blocker):
    """Fail the whole run at once when the PostgreSQL + Redis pass cannot reach them."""
    if not REQUIRE_SERVICES:
        return
    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", f"expected PostgreSQL, got {connection.vendor}"
        with connection.cursor() as cursor:
            cursor.execute("select 1")
    assert django_settings.CELERY_BROKER_URL.startswith("redis://"), "expected a Redis broker"
    import redis

    redis.Redis.from_url(django_settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
    cache.set("roundtable-test-ping", "pong")
    assert cache.get("roundtable-test-ping") == "pong"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth's rate limits live in the cache; each test starts with none used.
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _site_language():
    # LocaleMiddleware activates a request's language on the thread and leaves it there: without this, a test's
    # Chinese request would make the next test's emails and exports Chinese.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def within_one_rate_window():
    """Per-minute limits count in the clock's minutes (discussions.moderation.count_in_window). A test that makes a
    few requests and expects the last one refused would now and then see the minute turn between them and the
    count start again, so such a test starts with at least 5 seconds of its minute left."""
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.05)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def group(db):
    return factories.make_group(name="China CAR-T market", slug="china-car-t")


@pytest.fixture
def private_group(db):
    return factories.make_group(
        name="Investor circle",
        slug="investor-circle",
        visibility="private",
        membership_questions="What is your role?\nWhy do you want to join?",
    )


@pytest.fixture
def topic(group):
    return factories.make_topic(group=group, title="Cost and reimbursement", slug="cost")


@pytest.fixture
def member(group):
    return factories.make_member(group=group, username="mei", display_name="Mei")


@pytest.fixture
def moderator(group):
    return factories.make_moderator(group=group, username="moderator", display_name="Dr Moderator")


@pytest.fixture
def outsider(db):
    return factories.make_user(username="outsider", display_name="Outsider")


@pytest.fixture
def start_worker(tmp_path, settings):
    """Start a real `celery worker` process on queues of its own, sharing this test's settings and database.

    With no `queues`, every task goes to one queue of the worker's own (CELERY_QUEUE); with `queues`, e.g.
    ("default", "email"), tasks are routed as in production (groupsite/queues.py) onto this test's own copies of
    those queues, and the worker consumes the ones named; then it returns once the worker is ready. Tasks sent by the test go there (the app stops running
    them eagerly); the workers are stopped, and this test's split queues emptied, after.
    """
    started = []
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    suffix = f"-test-{uuid.uuid4().hex[:12]}"

    def start(*, queues: tuple[str, ...] | None = None, **extra_env) -> str:
        env = dict(os.environ, DATABASE_URL=subprocesses.database_url(), **extra_env)
        if queues is None:
            default = consumed = f"test-{uuid.uuid4().hex[:12]}"
            env["CELERY_QUEUE"] = default
        else:
            settings.CELERY_QUEUE_SUFFIX = suffix  # the routes here pick this test's queues too
            default, consumed = "default" + suffix, ",".join(queue + suffix for queue in queues)
            env.pop("CELERY_QUEUE", None)
            env["CELERY_QUEUE_SUFFIX"] = suffix
        log_path = tmp_path / f"worker-{len(started)}-{consumed.replace(',', '+')}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "groupsite", "worker", "--pool=solo", "-Q", consumed, "-l", "INFO",
             *LONE_WORKER_OPTIONS],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log, log_path))
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, default
        if queues is not None:  # a test of how soon work is done times it from a running worker, not its start-up
            deadline = time.monotonic() + 60
            while " ready." not in log_path.read_text() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
        return consumed

    yield start
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
    # On Redis, a warm shutdown (a fraction of a second), not a kill: a killed worker's PostgreSQL session can
    # outlive it for a moment and keep the test database from being dropped. On the filesystem broker a warm
    # shutdown takes 3–4 s (its loop waits 2 s for work, its timer 1 s more) and the database is a SQLite file, which
    # a killed process leaves consistent: the test is over, so whatever the worker was still doing is not wanted.
    # All are asked at once, so that a test of several workers waits for one shutdown, not one after another.
    files_broker = django_settings.CELERY_BROKER_URL.startswith("filesystem:")
    for process, _, _ in started:
        if files_broker:
            process.kill()
        else:
            process.terminate()
    for process, log, log_path in started:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print(log_path.read_text()[-3000:])
    if settings.CELERY_QUEUE_SUFFIX == suffix:  # what no worker took (a test's backlog) must not pile up
        from groupsite.queues import QUEUES

        with celery_app.connection_for_write() as connection:
            for queue in QUEUES:
                connection.default_channel.queue_purge(queue + suffix)


# Headless Chromium (Debian's package) driven by Playwright; Playwright's own browser download is never used.


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("CI=true but /usr/bin/chromium is missing: browser tests must run in CI")
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot in test-artifacts/ to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
