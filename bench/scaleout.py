"""Past one machine: two web processes and two Celery workers that share nothing but PostgreSQL and Redis.

    .venv/bin/python bench/scaleout.py --members 10000

It creates a fresh PostgreSQL database `roundtable_scaleout` on 127.0.0.1 (dropped at the end), loads the demo
group with a few members and threads, and starts two gunicorn servers (web A and web B, production settings:
DEBUG=false, cache and sessions in Redis and PostgreSQL) and two Celery workers, one on the `default` and `email`
queues and one on `digest` (this run's own copies of them). Each process has a local folder of its own. It checks:

- a session made by logging in on web A works on web B;
- a reply written through web A shows on web B at once, for a visitor and for a member, though B served the
  thread page to both just before (so any cache of it was warm);
- the jobs that reply and a password reset requested on A queue are run by a worker: the thread's author is
  notified, and the reset email is delivered from the `email` queue.

Then it stops the site and runs the digest benchmark (bench/digest.py, its own database) with 1, 2 and 4 worker
processes, and prints digests per second for each, with the CPU time the workers used (read from /proc): on a
machine whose cores other work takes, digests per CPU second tell whether more workers cost more work per digest,
where digests per second only tell what the machine gave them. The exit status is 1 if a check fails or a digest
run does not finish.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from bench.services import recreate_database, services_reachable  # noqa: E402
from groupsite.queues import LONE_WORKER_OPTIONS  # noqa: E402

DATABASE_NAME = "roundtable_scaleout"
STARTUP_TIMEOUT_SECONDS = 90
JOB_TIMEOUT_SECONDS = 30  # a queued job must have run within this; it takes well under a second
QUEUES_OF_WORKER = ("default,email", "digest")  # production's split: urgent mail never waits behind a digest run


# A browser: cookies, the CSRF token, no redirects followed --------------------------------------------------------


class Browser:
    """One person's cookies, sent to whichever web process `port` names."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port, self.cookies = port, dict(cookies or {})

    def on(self, port: int) -> "Browser":
        """The same person (the same cookies) at another web process."""
        return Browser(port, self.cookies)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body text)."""
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form | {"csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location", ""), text
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, str]:
        status, location, text = self.request("GET", path)
        return status, text if status == 200 else location

    def post(self, path: str, form: dict) -> tuple[int, str]:
        """POST after fetching the page the form is on, for its CSRF cookie; (status, Location)."""
        if "csrftoken" not in self.cookies:
            self.get(path)
        status, location, _ = self.request("POST", path, form)
        return status, location


# The site: two web processes, workers on the split queues ---------------------------------------------------------


def split_environment(base: dict, *, suffix: str, mail_dir: Path) -> dict:
    """bench/load.py's production settings, with the split queues (this run's copies) and mail written to files."""
    environment = dict(base)
    environment.pop("CELERY_QUEUE", None)
    return environment | {
        "CELERY_QUEUE_SUFFIX": suffix,
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }


def queue_names(queues: str, suffix: str) -> str:
    return ",".join(queue + suffix for queue in queues.split(","))


@dataclass
class Site:
    web_ports: list[int]
    logs: list[Path]


@contextmanager
def running_site(environment: dict, work_dir: Path, *, web_ports: list[int], worker_queues=QUEUES_OF_WORKER,
                 threads: int = 4):
    """A gunicorn server per port and a Celery worker per queue list; each process with a local folder of its own
    (ROUNDTABLE_VAR_DIR), so all they share is PostgreSQL and Redis. Stopped on leaving."""
    env = dict(os.environ) | environment
    env.pop("CELERY_QUEUE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    commands = []
    for name, port in zip("AB", web_ports):
        commands.append((f"web-{name}", [
            sys.executable, "-m", "gunicorn", "groupsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", str(threads), "--graceful-timeout", "10",
            "--log-level", "warning",
        ]))
    for n, queues in enumerate(worker_queues, start=1):
        commands.append((f"worker-{n}", [
            sys.executable, "-m", "celery", "-A", "groupsite", "worker", "--pool=solo", "-Q",
            queue_names(queues, environment["CELERY_QUEUE_SUFFIX"]), "--loglevel=INFO", *LONE_WORKER_OPTIONS,
        ]))
    processes, logs = [], []
    try:
        for name, command in commands:
            own = work_dir / name
            own.mkdir(exist_ok=True)
            log = work_dir / f"{name}.log"
            logs.append(log)
            with log.open("w") as output:
                processes.append(subprocess.Popen(
                    command, cwd=ROOT, env=env | {"ROUNDTABLE_VAR_DIR": str(own)}, stdout=output,
                    stderr=subprocess.STDOUT,
                ))
        deadline = clock.monotonic() + STARTUP_TIMEOUT_SECONDS
        worker_logs = [log for (name, _), log in zip(commands, logs) if name.startswith("worker")]
        while not (all(map(load._answers, web_ports))
                   and all(" ready." in log.read_text(errors="replace") for log in worker_logs)):
            if any(process.poll() is not None for process in processes) or clock.monotonic() > deadline:
                tails = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
                raise RuntimeError(f"the site did not start within {STARTUP_TIMEOUT_SECONDS} s:\n{tails}")
            clock.sleep(0.3)
        yield Site(web_ports=web_ports, logs=logs)
    finally:
        load._stop(processes)


# The checks ---------------------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def wait_for(condition, seconds: float = JOB_TIMEOUT_SECONDS) -> float | None:
    """Seconds until `condition()` held, or None if it never did."""
    started = clock.monotonic()
    while clock.monotonic() - started < seconds:
        if condition():
            return clock.monotonic() - started
        clock.sleep(0.2)
    return None


def crossing_checks(*, port_a: int, port_b: int, login: str, password: str, email: str, thread_id: int,
                    thread_path: str, mail_dir: Path) -> list[Check]:
    """Log in on A, write on A; read and act on B; see the workers run A's jobs. Runs in a process set up with the
    site's settings (Django), so that it can look in the database."""
    from django.urls import reverse

    from discussions.models import Notification, Thread

    checks = []
    visitor_b = Browser(port_b)
    member_a = Browser(port_a)
    login_path, notifications_path = reverse("account_login"), reverse("discussions:notifications")

    status, _ = member_a.post(login_path, {"login": login, "password": password})
    logged_in_on_a = status == 302 and "sessionid" in member_a.cookies
    member_b = member_a.on(port_b)
    status_b, page_b = member_b.get(notifications_path)
    status_visitor, where_visitor = visitor_b.get(notifications_path)
    checks.append(Check(
        "a session made on web A works on web B",
        logged_in_on_a and status_b == 200 and f'action="{reverse("account_logout")}"' in page_b
        and status_visitor == 302 and where_visitor.startswith(login_path),
        f"login on A: {status}; the member's notifications on B: {status_b}; a visitor's: {status_visitor}",
    ))

    # B serves the thread to a visitor and to the member first, twice each, so that any cache of it is warm.
    for browser in (visitor_b, member_b, visitor_b, member_b):
        browser.get(thread_path)
    marker = f"scaleout-check-{secrets.token_hex(6)}"
    notified_before = Notification.objects.filter(user_id=Thread.objects.get(pk=thread_id).author_id).count()
    status, location = member_a.post(
        reverse("discussions:reply", args=[thread_id]), {"body": f"Written on web A: {marker}."}
    )
    written = status == 302 and re.match(r"^/p/\d+/$", location) is not None
    shown = {}
    for who, browser in (("visitor", visitor_b), ("member", member_b)):
        status_b, page_b = browser.get(thread_path)
        shown[who] = status_b == 200 and marker in page_b
    checks.append(Check(
        "a reply written on web A shows on web B at once",
        written and all(shown.values()),
        f"reply on A: {status} {location}; on B at once: "
        + ", ".join(f"{who} {'sees it' if seen else 'does NOT see it'}" for who, seen in shown.items()),
    ))

    author_id = Thread.objects.get(pk=thread_id).author_id
    seconds = wait_for(lambda: Notification.objects.filter(user_id=author_id).count() > notified_before)
    checks.append(Check(
        "the reply's notification job, queued on A, is run by a worker",
        written and seconds is not None,
        f"the thread's author notified after {seconds:.1f} s" if seconds is not None else "no notification",
    ))

    status, _ = Browser(port_a).post(reverse("account_reset_password"), {"email": email})
    seconds = wait_for(lambda: any(
        f"To: {email}" in path.read_text(errors="replace") for path in mail_dir.iterdir() if path.stat().st_size
    ))
    checks.append(Check(
        "a password reset email requested on A is delivered by the email-queue worker",
        status == 302 and seconds is not None,
        f"request on A: {status}; " + (f"delivered after {seconds:.1f} s" if seconds is not None else "not delivered"),
    ))
    return checks


def seed() -> dict:
    """A public group with a topic and a thread, its author and a member who did not start it, both of long standing
    (no first-day limits), with verified addresses and a known password."""
    from datetime import timedelta

    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from discussions.services import publish_post, start_thread
    from groupsite.models import User
    from topics.models import Group, Membership, Topic
    from topics.services import add_member

    long_ago = timezone.now() - timedelta(days=120)
    group = Group.objects.create(name="Scale-out check", slug="scale-out", visibility=Group.Visibility.PUBLIC)
    topic = Topic.objects.create(group=group, title="Crossing", slug="crossing", position=1, briefing="Briefing.")
    password = make_password(load.MEMBER_PASSWORD)  # hashed once: hashing is slow by design
    author, member = (
        User.objects.create(username=name, email=f"{name}@example.org", display_name=name.title(), password=password,
                            date_joined=long_ago)
        for name in ("author", "member")
    )
    for user in (author, member):
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        add_member(group=group, user=user)
    Membership.objects.filter(group=group).update(joined_at=long_ago)
    thread = start_thread(topic=topic, author=author, title="Does a post cross web processes?", body="Opening.")
    for body in load.BODIES[:3]:
        publish_post(thread=thread, author=author, body=body)
    return {
        "login": member.username, "password": load.MEMBER_PASSWORD, "email": member.email, "thread_id": thread.pk,
        "thread_path": thread.get_absolute_url(),
    }


# Digest throughput, by bench/digest.py ------------------------------------------------------------------------------


def digest_run(*, members: int, workers: int, postgres: str, broker: str, timeout: int, environment: dict) -> dict:
    """One run of bench/digest.py in `environment` (not this process's production settings); its figures, or
    {"error": ...}."""
    command = [sys.executable, str(ROOT / "bench" / "digest.py"), "--members", str(members), "--workers",
               str(workers), "--postgres", postgres, "--redis", broker, "--timeout", str(timeout)]
    print(f"$ {' '.join(command[1:])}", flush=True)
    load_before = os.getloadavg()[0]  # other work on the machine skews the figures: say how much there was
    worker_cpu = {}  # pid -> CPU seconds so far, of bench/digest.py's worker processes (its children)
    with tempfile.TemporaryFile("w+") as output:
        run = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)
        while run.poll() is None:
            for child in _children(run.pid):
                worker_cpu[child] = load.cpu_seconds(child) or worker_cpu.get(child, 0.0)
            clock.sleep(0.5)
        output.seek(0)
        stdout = output.read()
    figures = {"load": f"{load_before:.1f} → {os.getloadavg()[0]:.1f}", "worker_cpu": sum(worker_cpu.values())}
    for label, key, kind in (("digests/second", "per_second", float), ("seconds total", "seconds", float),
                             ("due (found in", "due", int), ("digests sent", "sent", int)):
        match = re.search(rf"^{re.escape(label)}.*?\s(\d+(?:\.\d+)?)\s*$", stdout, re.MULTILINE)
        if match:
            figures[key] = kind(float(match.group(1)))
    if run.returncode or "UNFINISHED" in stdout or "per_second" not in figures:
        figures["error"] = stdout[-2000:]
    return figures


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def digest_table(results: dict[int, dict]) -> str:
    """Digests per second, and per CPU second of the workers: on a machine whose cores other work takes, the first
    shows what the workers were given, the second whether more workers cost more work per digest."""
    lines = ["workers   digests/second   vs 1 worker   seconds   due members   workers' CPU s   digests per CPU s   "
             "CPU share   load average"]
    one = results.get(1, {}).get("per_second")
    for workers, figures in results.items():
        if "error" in figures:
            lines.append(f"{workers:>7}   FAILED (see above)")
            continue
        ratio = f"{figures['per_second'] / one:.2f}x" if one else "-"
        seconds, cpu, due = figures.get("seconds", 0), figures["worker_cpu"], figures.get("due", 0)
        lines.append(
            f"{workers:>7}   {figures['per_second']:>14.0f}   {ratio:>11}   {seconds:>7.1f}   {due:>11}"
            f"   {cpu:>13.1f}   {due / cpu if cpu else 0:>17.1f}   {cpu / seconds if seconds else 0:>8.2f}"
            f"   {figures['load']}"
        )
    return "\n".join(lines)


# The run --------------------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000, help="members in each digest run")
    parser.add_argument("--workers", default="1,2,4", help="worker processes in each digest run")
    parser.add_argument("--ports", default="", help="web A's and web B's ports, e.g. 8620,8621 (default: free ones)")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="the cache (a database of its own)")
    parser.add_argument("--broker", default="", help="the broker (default: the cache's Redis database)")
    parser.add_argument("--skip-digest", action="store_true", help="only the crossing checks")
    parser.add_argument("--timeout", type=int, default=900, help="give up on a digest run after this many seconds")
    return parser.parse_args()


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main() -> int:
    args = parse_args()
    outer_environment = dict(os.environ)  # bench/digest.py's, before the site's settings are added below
    broker = args.broker or args.redis
    why_not = services_reachable(args.postgres, args.redis) or services_reachable(args.postgres, broker)
    if why_not:
        raise SystemExit(f"{why_not}: the scale-out benchmark needs PostgreSQL and Redis")
    signal.signal(signal.SIGTERM, _interrupt)
    ports = [int(port) for port in args.ports.split(",")] if args.ports else [load.free_port(), load.free_port()]
    work_dir = Path(tempfile.mkdtemp(prefix="roundtable-scaleout-"))
    mail_dir = work_dir / "mail"
    mail_dir.mkdir()
    suffix = f"-scaleout-{os.getpid()}"
    environment = split_environment(
        load.site_environment(
            database_url=f"{args.postgres}/{DATABASE_NAME}", redis_url=args.redis, broker_url=broker, queue="",
            secret_key=secrets.token_urlsafe(40), var_dir=work_dir,
        ),
        suffix=suffix, mail_dir=mail_dir,
    )
    os.environ.update(environment)
    os.environ.pop("CELERY_QUEUE", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "groupsite.settings"
    recreate_database(args.postgres, DATABASE_NAME)
    failed = True
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        import redis

        cache = redis.Redis.from_url(args.redis)
        for key in cache.scan_iter(":1:*"):  # an earlier run's pages and counters, for rows with the same ids
            cache.delete(key)
        call_command("migrate", verbosity=0)
        seeded = seed()
        connections.close_all()
        print(f"starting web A on {ports[0]}, web B on {ports[1]}, and workers on "
              f"{' and '.join(QUEUES_OF_WORKER)} (suffix {suffix})", flush=True)
        with running_site(environment, work_dir, web_ports=ports):
            checks = crossing_checks(port_a=ports[0], port_b=ports[1], mail_dir=mail_dir, **seeded)
        print()
        print("Scale-out checks: 2 gunicorn servers, 2 Celery workers, one PostgreSQL and one Redis")
        for check in checks:
            print(f"{'ok    ' if check.passed else 'FAILED'}  {check.name}: {check.detail}")
        failed = not all(check.passed for check in checks)
        if failed:
            print(f"the processes' logs are in {work_dir}")
        if not args.skip_digest:
            print(flush=True)
            results = {}
            for workers in [int(n) for n in args.workers.split(",")]:
                results[workers] = digest_run(members=args.members, workers=workers, postgres=args.postgres,
                                              broker=broker, timeout=args.timeout, environment=outer_environment)
                figures = results[workers]
                if "error" in figures:
                    print(figures["error"])
                else:
                    print(f"{workers} worker(s): {figures['per_second']:.0f} digests/second, "
                          f"{figures.get('seconds', 0):.1f} s, workers' CPU {figures['worker_cpu']:.1f} s; "
                          f"load average {figures['load']}", flush=True)
            print()
            print(f"Digest throughput (bench/digest.py), {args.members} members, PostgreSQL and Redis, "
                  f"{os.cpu_count()} CPU cores")
            print(digest_table(results))
            failed = failed or any("error" in figures for figures in results.values())
    except KeyboardInterrupt:
        print(f"interrupted: stopping and dropping the database; logs are in {work_dir}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        load.forget_queue(broker, suffix)
        recreate_database(args.postgres, DATABASE_NAME, drop_only=True)
        if not failed:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
