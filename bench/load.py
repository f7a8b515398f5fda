"""How the site holds up when N members browse, post, reply, vote and open notifications at once.

    .venv/bin/python bench/load.py --members 50 --seconds 60

It creates a fresh PostgreSQL database `roundtable_load` on 127.0.0.1 (dropped at the end), loads the demo group
and N members with a few pages of discussion through the site's own services, and starts the site as production
runs it: gunicorn with DEBUG=false on PostgreSQL and Redis (cache and broker in Redis database 13), and one
Celery worker consuming its tasks. Each simulated member is a thread with a session of its own that reads the
group, topic and thread pages, starts threads, replies, votes in the open prompts' polls and opens its
notifications, pausing about five seconds between actions (`--think`; 1 makes a stress test). It prints
requests per second, latency percentiles per kind of request and overall, and the answers by status; then it
checks that every write the site acknowledged (a redirect to the stored post, thread or vote) is in the
database with the content sent, and nothing twice. The exit status is 1 if any request got a 5xx or no
answer, or a write was lost.

The site's per-account posting limits stay as configured (POSTS_PER_MINUTE and the others can be set in the
environment of this command): a write refused with 429 is counted apart, and is neither an error nor a write.
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
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_traffic import Member, Plan, Poll, Results, format_report, percentile, run_load  # noqa: E402
from bench.services import recreate_database, services_reachable  # noqa: E402
from groupsite.queues import LONE_WORKER_OPTIONS  # noqa: E402

DATABASE_NAME = "roundtable_load"
MEMBER_PASSWORD = "roundtable-load"  # every simulated member's, to look around as one with --keep
P99_TARGET_MS = 300
STARTUP_TIMEOUT_SECONDS = 90
BODIES = [
    "Volume-based procurement will push **list prices** down, but provinces differ a lot.",
    "Our centre treats about 40 patients a year; the bottleneck is manufacturing slots, not demand.",
    "> Prices will fall\n\nOnly if allogeneic products reach approval before 2030, which I doubt.",
    "Vein-to-vein time is still 3-4 weeks. See the [NMPA guidance](https://example.org/nmpa) on release testing.",
    "A question for the clinicians here: how do you select patients when slots are scarce?",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50, help="simulated members acting at once")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=5.0, help="average pause between a member's actions, seconds")
    parser.add_argument("--max-actions", type=int, default=100_000, help="stop after this many actions in all")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="cache and broker (a database of its own)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    return parser.parse_args()


# The site, as production runs it ------------------------------------------------------------------------------


def site_environment(*, database_url: str, redis_url: str, broker_url: str, queue: str, secret_key: str,
                     var_dir: Path) -> dict:
    """Production settings on loopback: plain http (no TLS in front), a queue of the run's own, mail dropped."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "https://roundtable.example.org",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_DELIVERY_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ROUNDTABLE_VAR_DIR": str(var_dir),
        # collectstatic into the run's own folder: the tests running beside the smoke version read the shared one.
        "STATIC_ROOT": str(var_dir / "static"),
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": f"127.0.0.1:{port}"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def running_site(environment: dict, log_dir: Path, *, web_workers: int = 2, threads: int = 4):
    """gunicorn and one Celery worker on `environment`; yields gunicorn's port and PID, and stops both on leaving."""
    env = dict(os.environ) | environment
    # DEBUG=false serves hashed static file names from collectstatic's manifest; without it every page fails.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    web_log, worker_log = log_dir / "gunicorn.log", log_dir / "worker.log"
    commands = [
        ([sys.executable, "-m", "gunicorn", "groupsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
          str(web_workers), "--worker-class", "gthread", "--threads", str(threads), "--graceful-timeout", "10",
          "--log-level", "warning"], web_log),
        ([sys.executable, "-m", "celery", "-A", "groupsite", "worker", "--pool=solo", "-Q", environment["CELERY_QUEUE"],
          "--loglevel=INFO", *LONE_WORKER_OPTIONS], worker_log),
    ]
    processes = []
    try:
        for command, log in commands:
            with log.open("w") as output:
                processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
        deadline = clock.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not (_answers(port) and " ready." in worker_log.read_text(errors="replace")):
            stopped = [log for process, (_, log) in zip(processes, commands) if process.poll() is not None]
            if stopped or clock.monotonic() > deadline:
                logs = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for _, log in commands)
                raise RuntimeError(f"the site did not start within {STARTUP_TIMEOUT_SECONDS} s:\n{logs}")
            clock.sleep(0.3)
        yield port, processes[0].pid
    finally:
        _stop(processes)


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its live children (gunicorn's workers), from /proc; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime
    return own + sum(cpu_seconds(int(child)) for child in children)


def forget_queue(broker_url: str, queue: str) -> None:
    """Drop the run's queue and kombu's bindings for it from the broker."""
    import redis

    broker = redis.Redis.from_url(broker_url)
    for key in broker.scan_iter(f"*{queue}*"):
        broker.delete(key)


# Data ---------------------------------------------------------------------------------------------------------


def seed_site(*, members: int, threads_per_topic: int, max_replies: int, rng) -> Plan:
    """The demo group, N members of it (each logged in with a session of its own) and some discussion to read."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from discussions.models import Thread
    from discussions.services import publish_post, start_thread
    from groupsite.models import User
    from topics.demo import load_demo_content
    from topics.models import Membership, Poll as PollModel, Prompt
    from topics.services import add_member

    demo = load_demo_content()
    group, topics = demo["group"], demo["topics"]
    long_ago = timezone.now() - timedelta(days=120)  # established members, not newcomers under first-day limits
    password = make_password(MEMBER_PASSWORD)  # hashed once: hashing is slow by design
    users = []
    for n in range(members):
        user = User.objects.create(
            username=f"load{n}", email=f"load{n}@example.org", display_name=f"Load member {n}", password=password,
            date_joined=long_ago,
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        add_member(group=group, user=user)
        users.append(user)
    Membership.objects.filter(group=group, user__in=users).update(joined_at=long_ago)

    for topic in topics:
        for n in range(threads_per_topic):
            thread = start_thread(topic=topic, author=rng.choice(users), title=f"{topic.title}: question {n + 1}",
                                  body=rng.choice(BODIES))
            for _ in range(rng.randrange(max_replies + 1)):
                publish_post(thread=thread, author=rng.choice(users), body=rng.choice(BODIES))

    sessions = []
    for user in users:  # logged in as allauth would leave them, without paying for a password check each
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        sessions.append(Member(user_id=user.pk, username=user.username, session_key=session.session_key))

    polls = [
        Poll(group_slug=group.slug, prompt_id=poll.prompt_id, poll_id=poll.pk,
             option_ids=tuple(poll.options.values_list("pk", flat=True)))
        for poll in PollModel.objects.filter(prompt__topic__group=group, prompt__status=Prompt.Status.OPEN)
    ]
    threads = [(thread.pk, thread.slug) for thread in Thread.objects.filter(topic__group=group)]
    return Plan(members=sessions, group_slug=group.slug, topic_slugs=[topic.slug for topic in topics],
                threads=threads, polls=polls)


# The check ----------------------------------------------------------------------------------------------------


def check_writes(plan: Plan, results: Results, *, since) -> tuple[list[str], str]:
    """Problems (a lost, changed or doubled write), and a line saying what was found."""
    from collections import Counter

    from discussions.models import Notification, Post, Thread
    from topics.models import Vote

    writes, problems = results.writes, []
    member_ids = [member.user_id for member in plan.members]
    unanswered_posts = sum(1 for write in writes.unanswered if write["kind"] in ("reply", "new thread"))

    stored = {row["id"]: row for row in Post.objects.filter(pk__in=[w["post_id"] for w in writes.posts]).values()}
    for write in writes.posts:
        row = stored.get(write["post_id"])
        if row is None:
            problems.append(f"reply {write['post_id']} was acknowledged but is not in the database")
        elif (row["thread_id"], row["author_id"], row["body"]) != (write["thread_id"], write["user_id"], write["body"]):
            problems.append(f"reply {write['post_id']} is stored with other content than was sent")

    threads = Thread.objects.filter(pk__in=[w["thread_id"] for w in writes.threads]).select_related("topic")
    threads = {thread.pk: thread for thread in threads}
    openings = {post.thread_id: post for post in Post.objects.filter(thread__in=threads, number=1)}
    for write in writes.threads:
        thread, opening = threads.get(write["thread_id"]), openings.get(write["thread_id"])
        if thread is None or opening is None:
            problems.append(f"thread {write['thread_id']} was acknowledged but is not in the database")
        elif (thread.title, thread.topic.slug, thread.author_id, opening.body) != (
            write["title"], write["topic_slug"], write["user_id"], write["body"]
        ):
            problems.append(f"thread {write['thread_id']} is stored with other content than was sent")

    run_posts = Post.objects.filter(author_id__in=member_ids, created_at__gte=since)
    run_posts = list(run_posts.values_list("body", flat=True))
    acknowledged = len(writes.posts) + len(writes.threads)
    if not acknowledged <= len(run_posts) <= acknowledged + unanswered_posts:
        problems.append(f"{len(run_posts)} posts stored during the run for {acknowledged} acknowledged "
                        f"(and {unanswered_posts} unanswered)")
    doubled = [body for body, count in Counter(run_posts).items() if count > 1]
    if doubled:
        problems.append(f"{len(doubled)} posts stored twice, e.g. {doubled[0][:60]!r}")

    # A member's vote in a poll is one row, changed by each later vote: it must hold the last acknowledged choice
    # (or a later one whose answer was lost).
    expected = {}
    for write in writes.votes:
        expected[write["poll_id"], write["user_id"]] = [(write["option_id"], write["reason"])]
    for write in writes.unanswered:
        if "poll_id" in write:
            expected.setdefault((write["poll_id"], write["user_id"]), []).append((write["option_id"], write["reason"]))
    votes = Vote.objects.filter(poll_id__in=[poll.poll_id for poll in plan.polls], user_id__in=member_ids)
    stored_votes = {(vote.poll_id, vote.user_id): (vote.option_id, vote.reason) for vote in votes}
    acknowledged_votes = {(write["poll_id"], write["user_id"]) for write in writes.votes}
    for key in acknowledged_votes:
        if key not in stored_votes:
            problems.append(f"the vote of member {key[1]} in poll {key[0]} was acknowledged but is not stored")
        elif stored_votes[key] not in expected[key]:
            problems.append(f"the vote of member {key[1]} in poll {key[0]} does not hold the choice last acknowledged")
    if not set(stored_votes) <= set(expected):
        problems.append(f"{len(set(stored_votes) - set(expected))} votes stored that no member cast")

    read_ids = [write["notification_id"] for write in writes.notifications_read]
    unread = Notification.objects.filter(pk__in=read_ids, read_at__isnull=True).count()
    if unread:
        problems.append(f"{unread} notifications opened but still unread")

    summary = (
        f"{len(writes.posts)} replies, {len(writes.threads)} new threads ({len(run_posts)} posts stored during the "
        f"run), {len(writes.votes)} votes ({len(stored_votes)} member-and-poll rows), {len(read_ids)} notifications "
        f"opened: {'all in the database as sent, none twice' if not problems else f'{len(problems)} PROBLEMS'}"
    )
    return problems, summary


# The run ------------------------------------------------------------------------------------------------------


def print_results(args, results: Results, *, problems, summary, web_cpu, load_before, log_dir) -> bool:
    """Print the figures and the check; True when a request failed or a write was lost."""
    p99 = percentile(sorted(sample.seconds * 1000 for sample in results.samples), 0.99)
    print()
    print(
        f"Load benchmark: {args.members} members for {args.seconds:.0f} s, about {args.think:g} s between actions; "
        f"gunicorn {args.web_workers} workers x {args.threads} threads, one Celery worker, PostgreSQL and Redis; "
        f"{os.cpu_count()} CPU cores, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(format_report(results))
    per_request = 1000 * web_cpu / max(len(results.samples), 1)
    print(f"gunicorn CPU        {web_cpu:.1f} s in all, {per_request:.0f} ms per request (PostgreSQL's apart)")
    print(f"check               {summary}")
    for problem in problems:
        print(f"  LOST OR WRONG: {problem}")
    errors = sum(results.server_errors.values())
    met = not errors and not problems and p99 < P99_TARGET_MS
    print(f"target              zero 5xx, zero lost writes, p99 under {P99_TARGET_MS} ms: "
          f"{'met' if met else 'NOT met'} ({errors} server errors, {len(problems)} problems, p99 {p99:.0f} ms)")
    if errors or problems:
        print(f"the server's logs are in {log_dir}")
    return bool(errors or problems)


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main() -> int:
    import random

    args = parse_args()
    why_not = services_reachable(args.postgres, args.redis)
    if why_not:
        raise SystemExit(f"{why_not}: the load benchmark needs PostgreSQL and Redis")
    signal.signal(signal.SIGTERM, _interrupt)
    work_dir = Path(tempfile.mkdtemp(prefix="roundtable-load-"))
    queue = f"bench-load-{os.getpid()}"
    environment = site_environment(
        database_url=f"{args.postgres}/{DATABASE_NAME}", redis_url=args.redis, broker_url=args.redis, queue=queue,
        secret_key=secrets.token_urlsafe(40), var_dir=work_dir,
    )
    os.environ.update(environment)  # the same settings here, so that sessions made here are valid there
    os.environ["DJANGO_SETTINGS_MODULE"] = "groupsite.settings"
    recreate_database(args.postgres, DATABASE_NAME)
    failed = True
    try:
        import django

        django.setup()
        import redis
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from discussions.models import Post

        cache = redis.Redis.from_url(args.redis)
        for key in cache.scan_iter(":1:*"):  # an earlier run's rate-limit counters, for members with the same ids
            cache.delete(key)
        started = clock.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {clock.monotonic() - started:.0f} s", flush=True)
        started = clock.monotonic()
        plan = seed_site(members=args.members, threads_per_topic=3, max_replies=45, rng=random.Random(11))
        print(f"seeded {args.members} members, {len(plan.threads)} threads, {Post.objects.count()} posts and "
              f"{len(plan.polls)} open polls in {clock.monotonic() - started:.0f} s; starting gunicorn and a Celery "
              "worker", flush=True)
        connections.close_all()
        load_before = os.getloadavg()[0]  # other work on the machine skews the figures: say how much there was
        site = running_site(environment, work_dir, web_workers=args.web_workers, threads=args.threads)
        with site as (port, web_pid):
            since, cpu_before = timezone.now(), cpu_seconds(web_pid)
            print(f"{args.members} members acting for {args.seconds:.0f} s against http://127.0.0.1:{port}/",
                  flush=True)
            results = run_load(plan, port=port, seconds=args.seconds, think=args.think, max_actions=args.max_actions)
            web_cpu = cpu_seconds(web_pid) - cpu_before
        problems, summary = check_writes(plan, results, since=since)
        failed = print_results(args, results, problems=problems, summary=summary, web_cpu=web_cpu,
                               load_before=load_before, log_dir=work_dir)
    except KeyboardInterrupt:
        print(f"interrupted: stopping the site and dropping the database; logs are in {work_dir}", flush=True)
    finally:
        from django.db import connections

        connections.close_all()
        forget_queue(args.redis, queue)
        if not args.keep:
            recreate_database(args.postgres, DATABASE_NAME, drop_only=True)
        if not failed:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
