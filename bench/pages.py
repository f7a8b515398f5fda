"""How fast the thread, topic, group and home pages answer, as a share of a hello-world Django view in the same run.

    .venv/bin/python bench/pages.py                      # SQLite, then PostgreSQL
    .venv/bin/python bench/pages.py --database sqlite --seconds 5

For each database it creates a fresh one (an SQLite file in a temporary folder; PostgreSQL `roundtable_pages` on
127.0.0.1, dropped at the end), stores through the site's own services a public group of 20 members, one thread of
200 posts of about 600 characters of Markdown and a topic of 50 threads, and starts gunicorn as production runs it
(DEBUG=false, cache in Redis, 2 sync workers) with one page added: /__hello__/, a view returning "Hello, world"
through the site's whole middleware stack (bench/hello_settings.py). Each page is driven for a fixed time by wrk
when it is installed, else by a Python load generator, anonymously and with a member's session cookie. It prints
requests per second, p50 and p99 latency, SQL queries per request (counted in this process with Django's test
client on the same database and settings, after a warm-up request), the page's size, and its requests per second as
a percentage of hello-world's (the mean of a run before the pages and one after). Then it prints each target of
issue 11 as met or NOT met; the exit status is 1 if one is not met or a request failed, and 2 if a page could not
be measured (it answered other than 200, or a member's page was not the member's).

The thread at 200 posts a page and the topic at 50 threads a page are served by a second gunicorn started with
POSTS_PER_PAGE=200 and THREADS_PER_PAGE=50. Each of the two has cache keys of its own, so no page cached by one is
served by the other.
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page_load import Measurement, generator_name, measure  # noqa: E402
from bench.page_report import ALONE_REQUESTS, ROLES, Row, evaluate, print_report  # noqa: E402
from bench.services import recreate_database, services_reachable  # noqa: E402

DATABASE_NAME = "roundtable_pages"
SETTINGS_MODULE = "bench.hello_settings"
HELLO_PATH = "/__hello__/"
STARTUP_TIMEOUT_SECONDS = 90
# Production runs behind a TLS proxy that says so (SECURE_PROXY_SSL_HEADER): every request here carries the header.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
PAGE_KEYS = ("thread-20", "topic-25", "group", "home", "thread-200", "topic-50")


@dataclass(frozen=True)
class Layout:
    """A gunicorn configuration: how many posts and threads a page shows."""

    name: str
    posts_per_page: int
    threads_per_page: int


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    layout: Layout
    path: str


def fail(message: str) -> None:
    """Stop with status 2: the benchmark could not measure (status 1 means a target is not met)."""
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10, help="load on each page, seconds")
    parser.add_argument("--connections", type=int, default=8, help="connections the load generator keeps busy")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync worker processes")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--posts", type=int, default=200, help="posts in the long thread")
    parser.add_argument("--threads", type=int, default=50, help="threads in the topic")
    parser.add_argument("--pages", default="", help="only these pages, e.g. thread-20,home (default: all)")
    parser.add_argument("--load", choices=["auto", "wrk", "python"], default="auto",
                        help="load generator: wrk when installed (auto), or the Python one")
    parser.add_argument("--install-wrk", action="store_true", help="apt-get install wrk first (Debian, as root)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: any free one)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11", help="the cache (a Redis database of its own)")
    args = parser.parse_args(argv)
    wanted_pages(args.pages)  # a misspelt page fails now, not after seeding
    return args


def layouts(args) -> tuple[Layout, Layout]:
    return Layout("default", 20, 25), Layout("long", max(args.posts, 20), max(args.threads, 25))


def page_list(args, seeded) -> list[Page]:
    default, long = layouts(args)
    topic = f"/g/{seeded.group_slug}/topics/{seeded.topic_slug}/"
    pages = [
        Page("thread-20", f"thread, {default.posts_per_page} posts a page", default, seeded.thread_path),
        Page("topic-25", f"topic, {default.threads_per_page} threads a page", default, topic),
        Page("group", "group", default, f"/g/{seeded.group_slug}/"),
        Page("home", "home", default, "/"),
        Page("thread-200", f"thread, {long.posts_per_page} posts a page", long, seeded.thread_path),
        Page("topic-50", f"topic, {long.threads_per_page} threads a page", long, topic),
    ]
    wanted = wanted_pages(args.pages)
    return [page for page in pages if not wanted or page.key in wanted]


def wanted_pages(option: str) -> set[str]:
    wanted = {key.strip() for key in option.split(",") if key.strip()}
    if unknown := wanted - set(PAGE_KEYS):
        fail(f"no such page: {', '.join(sorted(unknown))}; the pages are {', '.join(PAGE_KEYS)}")
    return wanted


# The site, as production runs it ------------------------------------------------------------------------------


def site_environment(*, database_url: str, redis_url: str, work_dir: Path, secret_key: str) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://roundtable.example.org",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # No Celery worker runs: what seeding enqueues (notifications of new posts) is dropped with the process.
        "CELERY_BROKER_URL": "memory://localhost/",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ROUNDTABLE_VAR_DIR": str(work_dir),
        "STATIC_ROOT": str(work_dir / "static"),
        "LOG_LEVEL": "WARNING",
    }


def layout_environment(layout: Layout, cache_prefix: str) -> dict:
    return {
        "POSTS_PER_PAGE": str(layout.posts_per_page),
        "THREADS_PER_PAGE": str(layout.threads_per_page),
        "BENCH_CACHE_KEY_PREFIX": f"{cache_prefix}-{layout.name}",
    }


def fetch(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"} | PROXY_HEADERS | headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@contextmanager
def running_gunicorn(environment: dict, log_path: Path, *, port: int, workers: int):
    """gunicorn with sync workers on `environment`; yields its port and stops it on leaving."""
    from bench.load import free_port

    port = port or free_port()
    with socket.socket() as probe:  # another server there would answer in this one's place
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: closed connections linger
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            fail(f"port {port} is in use")
    command = [sys.executable, "-m", "gunicorn", "groupsite.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "sync", "--graceful-timeout", "10",
               "--log-level", "warning"]
    with log_path.open("a") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ) | environment, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = clock.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None or clock.monotonic() > deadline:
                fail(f"gunicorn did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if fetch(port, HELLO_PATH, {})[0] == 200:
                    break
            except OSError:
                pass
            clock.sleep(0.3)
        yield port, process.pid
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


# What each page is -------------------------------------------------------------------------------------------


def wait_until_idle(pid: int, *, timeout: float = 120) -> None:
    """Wait until gunicorn's workers have finished what a finished load run left them.

    A sync worker renders each request it accepted to the end, even when the load generator has gone: after a run
    of a slow page, the requests still queued would otherwise be served during the next page's run.
    """
    from bench.load import cpu_seconds

    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        before = cpu_seconds(pid)
        clock.sleep(0.5)
        if cpu_seconds(pid) - before < 0.02:
            return


def check_html(page: Page, role: str, status: int, html: bytes, viewer_name: str) -> None:
    """Fail loudly when a page is not what is to be measured: an error, or a member page that is not the member's."""
    from django.urls import reverse

    where = f"{page.label} ({page.path}), {role}"
    if status != 200:
        fail(f"{where} answered {status}, not 200: {html[:300]!r}")
    text = html.decode("utf-8", errors="replace")
    logged_in = f'action="{reverse("account_logout")}"' in text
    if role == "member" and not (logged_in and viewer_name in text):
        fail(f"{where} is not the member's page: no logout form or no {viewer_name!r}")
    if role == "anonymous" and logged_in:
        fail(f"{where} shows a logout form to a visitor")


def inspect_pages(pages: list[Page], cookies: dict, viewer_name: str, rows: dict) -> None:
    """Queries per request, page size and time alone, in this process with the test client, after a warm-up."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        for role in ROLES:
            timings = []
            for _ in range(1 + ALONE_REQUESTS):  # the first warms up: its queries and time are not counted
                client = Client(headers=PROXY_HEADERS, HTTP_HOST="127.0.0.1")  # a fresh client: no cookie kept
                if role == "member":
                    client.cookies.load(cookies)
                started = clock.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(page.path)
                timings.append(1000 * (clock.perf_counter() - started))
                check_html(page, role, response.status_code, response.content, viewer_name)
            rows[page.key, role] = Row(page, role, queries=len(queries), size=len(response.content),
                                       alone_ms=min(timings[1:]))


def measure_layout(args, layout: Layout, pages: list[Page], seeded, *, environment: dict, cache_prefix: str,
                   rows: dict, generator: str, work_dir: Path, hello_before: bool, hello_after: bool) -> list:
    """Queries and sizes in this process, then gunicorn on the layout: each page checked, then timed. Returns the
    hello-world runs asked for."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import override_settings

    from bench.page_data import member_session

    own = layout_environment(layout, cache_prefix)
    with override_settings(POSTS_PER_PAGE=layout.posts_per_page, THREADS_PER_PAGE=layout.threads_per_page,
                           CACHES=prefixed_caches(settings.CACHES, own["BENCH_CACHE_KEY_PREFIX"])):
        cookies = {settings.SESSION_COOKIE_NAME: member_session(seeded.viewer_id)}
        inspect_pages(pages, cookies, seeded.viewer_name, rows)
    connections.close_all()  # SQLite: nothing held open while gunicorn writes
    headers = {"anonymous": {}, "member": {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}}
    hello = []
    with running_gunicorn(environment | own, work_dir / "gunicorn.log", port=args.port,
                          workers=args.web_workers) as (port, pid):

        def timed(path: str, role: str) -> Measurement:
            wait_until_idle(pid)
            return measure(generator, port=port, path=path, headers=PROXY_HEADERS | headers[role],
                           seconds=args.seconds, connections=args.connections)

        for page in pages:
            for role in ROLES:
                status, html = fetch(port, page.path, headers[role])
                check_html(page, role, status, html, seeded.viewer_name)
        if hello_before:
            hello.append(timed(HELLO_PATH, "anonymous"))
            print(f"  hello-world, before the pages: {hello[-1].per_second:,.0f} req/s", flush=True)
        for page in pages:
            for role in ROLES:
                row = rows[page.key, role]
                row.measurement = timed(page.path, role)
                print(f"  {page.label}, {role}: {row.measurement.per_second:,.1f} req/s", flush=True)
        if hello_after:
            hello.append(timed(HELLO_PATH, "anonymous"))
            print(f"  hello-world, after the pages: {hello[-1].per_second:,.0f} req/s", flush=True)
    return hello


# The run ------------------------------------------------------------------------------------------------------


def delete_cache_keys(redis_url: str, prefix: str) -> None:
    import redis

    cache = redis.Redis.from_url(redis_url)
    for key in cache.scan_iter(f"{prefix}*"):
        cache.delete(key)


def redis_unreachable(args) -> str | None:
    try:
        import redis

        redis.Redis.from_url(args.redis, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis at {args.redis} is unreachable ({error.__class__.__name__})"
    return None


def run_database(args, database: str) -> int:
    """The whole benchmark on one database, in this process (its settings are read once per process)."""
    why_not = services_reachable(args.postgres, args.redis) if database == "postgresql" else redis_unreachable(args)
    if why_not:
        fail(f"{why_not}: the page benchmark on {database} needs it")
    try:
        generator = generator_name(args.load)
    except ValueError as error:
        fail(str(error))
    work_dir = Path(tempfile.mkdtemp(prefix="roundtable-pages-"))
    database_url = (
        f"{args.postgres}/{DATABASE_NAME}" if database == "postgresql" else f"sqlite:///{work_dir / 'pages.sqlite3'}"
    )
    environment = site_environment(database_url=database_url, redis_url=args.redis, work_dir=work_dir,
                                   secret_key=secrets.token_urlsafe(40))
    os.environ.update(environment)  # the same settings here, so that sessions made here are valid there
    cache_prefix = f"bench-pages-{os.getpid()}-{database}"
    if database == "postgresql":
        recreate_database(args.postgres, DATABASE_NAME)
    keep_logs = False
    try:
        # DEBUG=false serves hashed static file names from collectstatic's manifest: collected before the site loads it.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT,
                       env=dict(os.environ), check=True)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from bench.page_data import seed

        started = clock.monotonic()
        call_command("migrate", verbosity=0)
        with override_cache_prefix(cache_prefix):
            seeded = seed(members=args.members, posts=args.posts, threads=args.threads)
        connections.close_all()
        print(f"{database}: migrated and seeded {args.members} members, a thread of {args.posts} posts and a topic "
              f"of {args.threads} threads in {clock.monotonic() - started:.0f} s; load by {generator}, "
              f"{args.connections} connections, {args.seconds:g} s a page", flush=True)
        load_before = os.getloadavg()[0]
        pages = page_list(args, seeded)
        in_use = [layout for layout in layouts(args) if any(page.layout == layout for page in pages)]
        rows, hello = {}, []
        for index, layout in enumerate(in_use):
            hello += measure_layout(
                args, layout, [page for page in pages if page.layout == layout], seeded, environment=environment,
                cache_prefix=cache_prefix, rows=rows, generator=generator, work_dir=work_dir,
                hello_before=index == 0, hello_after=index == len(in_use) - 1,
            )
        hello_rate = sum(run.per_second for run in hello) / len(hello)
        targets = evaluate(rows, hello_rate)
        vendor = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]
        print_report(
            title=(f"Page speed on {vendor}: gunicorn {args.web_workers} sync workers, Redis cache, DEBUG=false; "
                   f"{generator} with {args.connections} connections for {args.seconds:g} s a page; "
                   f"{os.cpu_count()} CPU cores, load average {load_before:.1f} before, "
                   f"{os.getloadavg()[0]:.1f} after"),
            rows=rows, hello=hello, targets=targets,
        )
        runs = [row.measurement for row in rows.values()] + hello
        if failed := [run for run in runs if run.failures or not run.requests]:
            keep_logs = True
            print(f"FAILED REQUESTS or none answered in a run ({len(failed)} runs): see {work_dir / 'gunicorn.log'}")
        return 1 if failed or not all(met for _, met, _ in targets) else 0
    except SystemExit:
        keep_logs = True
        print(f"gunicorn's log is in {work_dir}", file=sys.stderr)
        raise
    except KeyboardInterrupt:
        print(f"interrupted: gunicorn stopped, the {database} database and the run's cache keys removed", flush=True)
        return 130
    finally:
        from django.db import connections

        connections.close_all()
        delete_cache_keys(args.redis, cache_prefix)
        if database == "postgresql":
            recreate_database(args.postgres, DATABASE_NAME, drop_only=True)
        if not keep_logs:
            shutil.rmtree(work_dir, ignore_errors=True)


@contextmanager
def override_cache_prefix(prefix: str):
    """Seeding caches under the run's prefix too, so that its keys are deleted with the rest."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(CACHES=prefixed_caches(settings.CACHES, prefix)):
        yield


def prefixed_caches(caches: dict, prefix: str) -> dict:
    """Every cache the site configures (sessions may have one of their own), its keys under the prefix."""
    return {alias: config | {"KEY_PREFIX": prefix} for alias, config in caches.items()}


def child_arguments(args, database: str) -> list[str]:
    """The command line of the process that runs one database: this one's options, with that database."""
    arguments = ["--database", database]
    for name, value in vars(args).items():
        if name in ("database", "install_wrk"):
            continue
        option = "--" + name.replace("_", "-")
        arguments += [option, str(value)]
    return arguments


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.install_wrk and not shutil.which("wrk"):
        from groupsite.dev import apt_install

        apt_install(["wrk"], "to drive the pages")
    if args.database != "both":
        return run_database(args, args.database)
    # Django reads its settings once per process: each database gets a process of its own.
    status = 0
    for database in ("sqlite", "postgresql"):
        status = max(status, run_child(child_arguments(args, database)))
        if status == 130:
            break
    return status


def run_child(arguments: list[str]) -> int:
    """Run this script on one database in a process of its own, letting it clean up when interrupted."""
    child = subprocess.Popen([sys.executable, __file__, *arguments], cwd=ROOT)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signal.SIGTERM))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the child too, which stops what it started
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _interrupt)


if __name__ == "__main__":
    sys.exit(main())
