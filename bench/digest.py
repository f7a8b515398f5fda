"""How long composing and handing off the digests of N members takes, with W Celery worker processes.

    .venv/bin/python bench/digest.py --members 10000 --workers 2
    .venv/bin/python bench/digest.py --members 100000 --workers 1 2 4   # one run per worker count, one table

It creates a database of its own (a fresh PostgreSQL database `roundtable_bench` on 127.0.0.1, dropped at the end;
SQLite and the filesystem broker when PostgreSQL or Redis cannot be reached), fills it with N members and a
realistic week of activity, starts the worker processes on Redis, runs the beat task's fan-out and waits until
every due member's digest is recorded, then until every digest email is delivered; with several worker counts it
forgets the digests and their emails between runs and runs again on the same data.

The workers run the site's own mail path: a batch hands its emails to the outbox (groupsite/outbox.py), which
queues a delivery task for them after the commit, as in production. That task's delivery backend renders each
message to MIME bytes, as an SMTP backend would, and drops it: the second figure is building and handing each email
to a mail server that takes it at once, not the server's speed.
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ZONES = [("Asia/Shanghai", 40), ("Europe/London", 20), ("America/New_York", 20), ("Europe/Berlin", 10), ("UTC", 10)]
BODIES = [
    "Volume-based procurement will push **list prices** down, but provinces differ a lot.",
    "Our centre treats about 40 patients a year; the bottleneck is manufacturing slots, not demand.",
    "> Prices will fall\n\nOnly if allogeneic products reach approval before 2030, which I doubt.",
    "Commercial insurance covers about a third of the cost in Shanghai; Huimin Bao plans help a little.",
    "Vein-to-vein time is still 3-4 weeks. See the [NMPA guidance](https://example.org/nmpa) on release testing.",
    "I disagree: the solid tumour data from ASCO were encouraging, if early.",
    "A question for the clinicians here: how do you select patients when slots are scarce?",
    "Proposal: compare three provinces' reimbursement rules side by side in the next prompt.",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2], help="worker processes; several: a run each")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--database-name", default="roundtable_bench", help="the database it creates and drops")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="broker (a Redis database of its own)")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite and the filesystem broker")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database (--reuse runs on it again)")
    parser.add_argument("--reuse", action="store_true", help="run on a database kept by --keep, without seeding")
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many seconds")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: run as one worker on this queue
    return parser.parse_args()


# The workers' email backend -----------------------------------------------------------------------------------

from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402


class RenderingBackend(BaseEmailBackend):
    """Builds each message's MIME bytes, as a real backend does before talking to the server, then drops them."""

    def send_messages(self, email_messages):
        for message in email_messages:
            message.message().as_bytes()
        return len(email_messages)


def run_worker(queue: str) -> None:
    import django

    django.setup()
    from django.conf import settings

    from groupsite.celery import app
    from groupsite.queues import LONE_WORKER_OPTIONS

    settings.EMAIL_DELIVERY_BACKEND = f"{__name__}.RenderingBackend"
    send_everything_to(queue)
    app.worker_main(
        ["worker", "--pool=solo", "-Q", queue, "--loglevel=INFO", *LONE_WORKER_OPTIONS]
    )


# Data ---------------------------------------------------------------------------------------------------------


def weighted(rng, choices):
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def create_activity(members: int, now, rng) -> dict:
    """N members in three groups, and a week of threads, prompts, polls, outcomes, reads and notifications."""
    from django.contrib.auth.hashers import make_password

    from discussions.markdown import render_markdown
    from discussions.models import Notification, Post, Thread, ThreadRead
    from groupsite.models import DigestFrequency, NotificationKind, User
    from topics.models import Group, Membership, Outcome, Poll, PollOption, Prompt, Topic, Vote

    rendered = [(body, render_markdown(body)) for body in BODIES]
    password = make_password(None)
    long_ago = now - timedelta(days=120)
    users = User.objects.bulk_create(
        [
            User(
                username=f"member{n}",
                email=f"member{n}@example.org",
                display_name=f"Member {n}",
                password=password,
                timezone=weighted(rng, ZONES),
                digest_frequency=weighted(
                    rng, [(DigestFrequency.WEEKLY, 80), (DigestFrequency.DAILY, 15), (DigestFrequency.NEVER, 5)]
                ),
                digest_time=f"{rng.choice([7, 8, 8, 8, 9])}:00",
                date_joined=long_ago,
            )
            for n in range(members)
        ],
        batch_size=2000,
    )
    main = Group.objects.create(name="China CAR-T market", slug="china-car-t")
    investors = Group.objects.create(
        name="Investor circle", slug="investors", visibility=Group.Visibility.PRIVATE, emails_titles_only=True
    )
    forum = Group.objects.create(name="Manufacturing forum", slug="manufacturing")
    groups = [(main, users, 6), (investors, users[: members // 5], 3), (forum, users[members // 5 : members // 2], 3)]
    memberships = []
    for group, group_users, _ in groups:
        for index, user in enumerate(group_users):
            new = index < len(group_users) // 100  # one in a hundred joined this week
            joined = now - timedelta(hours=rng.randrange(1, 150)) if new else long_ago
            role = Membership.Role.OWNER if index == 0 else Membership.Role.MEMBER
            memberships.append(Membership(group=group, user=user, role=role, joined_at=joined))
    Membership.objects.bulk_create(memberships, batch_size=5000)

    counts = {"threads": 0, "posts": 0, "prompts": 0, "votes": 0, "reads": 0, "notifications": 0}
    posts, reads, notifications, votes = [], [], [], []
    for group, group_users, topic_count in groups:
        topics = Topic.objects.bulk_create(
            [Topic(group=group, title=f"Topic {n}", slug=f"topic-{n}", position=n) for n in range(topic_count)]
        )
        owner = group_users[0]
        authors = group_users[: max(len(group_users) // 6, 3)]  # a sixth of the members write
        thread_count = max(len(group_users) // 150, 4)
        threads = []
        for n in range(thread_count):
            started = now - timedelta(hours=rng.randrange(2, 160))
            threads.append(
                Thread(topic=rng.choice(topics), title=f"Thread {n} in {group.name}", author=rng.choice(authors),
                       created_at=started, last_activity_at=started)
            )
        # An open prompt per topic, two of them closing within two days, one under the Chatham House rule.
        prompts = []
        for n, topic in enumerate(topics):
            published = now - timedelta(days=rng.randrange(1, 6))
            thread = Thread(topic=topic, title=f"Prompt {n}: what will change in {group.name}?", author=owner,
                            created_at=published, last_activity_at=published, is_pinned=True)
            threads.append(thread)
            prompts.append((topic, thread, published, n))
        Thread.objects.bulk_create(threads)
        prompt_rows = Prompt.objects.bulk_create(
            [
                Prompt(topic=topic, title=thread.title, author=owner, status=Prompt.Status.OPEN, thread=thread,
                       publish_at=published, published_at=published, chatham_house=n == 1,
                       closes_at=now + (timedelta(hours=30) if n < 2 else timedelta(days=10)))
                for topic, thread, published, n in prompts
            ]
        )
        polls = Poll.objects.bulk_create([Poll(prompt=prompt) for prompt in prompt_rows])
        options = PollOption.objects.bulk_create(
            [PollOption(poll=poll, label=label, position=i) for poll in polls for i, label in enumerate(["Yes", "No"])]
        )
        options_of = {}
        for option in options:
            options_of.setdefault(option.poll_id, []).append(option)
        for poll in polls:
            for user in rng.sample(group_users, k=min(len(group_users) // 4, len(group_users))):
                votes.append(Vote(poll=poll, option=rng.choice(options_of[poll.pk]), user=user,
                                  created_at=now - timedelta(hours=rng.randrange(1, 24))))
        # Posts: every thread gets an opening post; then replies spread unevenly (a few busy threads).
        for thread in threads:
            weight = rng.choice([1, 1, 2, 3, 8])
            number_of_posts = 1 + weight * rng.randrange(2, 12)
            moment = thread.created_at
            for number in range(1, number_of_posts + 1):
                body, body_html = rng.choice(rendered)
                moment = min(moment + timedelta(minutes=rng.randrange(5, 240)), now - timedelta(minutes=1))
                author = owner if number == 1 and thread.is_pinned else rng.choice(authors)
                posts.append(
                    Post(thread=thread, author=author, number=number, body=body, body_html=body_html,
                         created_at=moment, is_key_insight=number > 1 and rng.random() < 0.01)
                )
            thread.post_count = number_of_posts
            thread.last_activity_at = moment
        Thread.objects.bulk_update(threads, ["post_count", "last_activity_at"])
        for thread in rng.sample(threads, k=len(threads) // 3):
            for user in rng.sample(group_users, k=min(len(group_users) // 10, 300)):
                read_to = rng.randrange(1, thread.post_count + 1)
                reads.append(ThreadRead(user=user, thread=thread, last_read_number=read_to))
        takeaways = "Prices fall where provinces negotiate together."
        Outcome.objects.create(
            topic=topics[0], takeaways=takeaways, author=owner, created_at=now - timedelta(days=1)
        )
        counts["threads"] += len(threads)
        counts["prompts"] += len(prompt_rows)
    Post.objects.bulk_create(posts, batch_size=5000)
    # Quotes: one reply in ten quotes an earlier post of its thread.
    by_thread = {}
    for post in posts:
        by_thread.setdefault(post.thread_id, []).append(post)
    quoting = []
    for thread_posts in by_thread.values():
        for post in thread_posts[2:]:
            if rng.random() < 0.1:
                post.quoted_post = rng.choice(thread_posts[1 : post.number - 1])
                quoting.append(post)
    Post.objects.bulk_update(quoting, ["quoted_post"], batch_size=5000)
    Vote.objects.bulk_create(votes, batch_size=5000, ignore_conflicts=True)
    ThreadRead.objects.bulk_create(reads, batch_size=5000, ignore_conflicts=True)
    # Replies, quotes and mentions addressed to one member in five.
    replies = [post for post in posts if post.number > 1]
    for user in rng.sample(users, k=members // 5):
        for post in rng.sample(replies, k=rng.randrange(1, 4)):
            notifications.append(
                Notification(
                    user=user,
                    kind=rng.choice([NotificationKind.REPLY, NotificationKind.MENTION, NotificationKind.QUOTE]),
                    actor_id=post.author_id,
                    group_id=post.thread.topic.group_id,
                    thread_id=post.thread_id,
                    post=post,
                    created_at=post.created_at,
                )
            )
    Notification.objects.bulk_create(notifications, batch_size=5000, ignore_conflicts=True)
    counts.update(posts=len(posts), votes=len(votes), reads=len(reads), notifications=len(notifications))
    return counts


def seed(members: int, now) -> dict:
    """create_activity in one transaction; on PostgreSQL without the per-row foreign key checks (the data is made
    consistent here) and without waiting for the disk at commit, then ANALYZE, so that the queries timed next are
    planned for tables of this size. 100,000 members took 7 minutes with the checks on a busy machine."""
    from django.db import connection, transaction

    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # skips the FK triggers
                cursor.execute("SET LOCAL synchronous_commit = off")
        counts = create_activity(members, now, random.Random(11))
        with connection.cursor() as cursor:
            # The time the week was seeded for, which --reuse runs at again.
            cursor.execute("CREATE TABLE bench_digest_seed (seeded_at timestamp with time zone)")
            cursor.execute("INSERT INTO bench_digest_seed VALUES (%s)", [now])
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


def seeded_at():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT seeded_at FROM bench_digest_seed")
        return cursor.fetchone()[0]


# The run ------------------------------------------------------------------------------------------------------


def queries_per_batch(user_ids: list[int], now) -> int:
    """SQL queries for one batch, in a transaction rolled back afterwards so that the members stay due."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from discussions import digest

    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            digest.send_digest_batch(user_ids, now=now)
        transaction.set_rollback(True)
    # Savepoints belong to the measurement's own transaction, not to the batch.
    return sum(1 for query in queries if "SAVEPOINT" not in query["sql"])


def wait_for_workers(logs: list[Path], deadline: float) -> None:
    while clock.monotonic() < deadline:
        if all(" ready." in log.read_text(errors="replace") for log in logs):
            return
        clock.sleep(0.2)
    raise SystemExit("the workers did not start; see " + ", ".join(map(str, logs)))


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes have used so far: on a shared machine, a figure the other
    processes do not stretch, unlike the wall-clock seconds (Linux only: 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime and stime, the 14th and 15th fields
    return total / os.sysconf("SC_CLK_TCK")


def send_everything_to(queue: str) -> None:
    """Route every task to the bench's own queue, whatever routes the settings give (digest, email, ...): its
    workers consume that queue only, and the site's workers never see the bench's tasks."""
    from groupsite.celery import app

    app.conf.task_default_queue = queue
    app.conf.task_routes = {"*": {"queue": queue}}


def run_with_workers(count: int, *, queue: str, work_dir: Path, now, timeout: int) -> dict:
    """Start `count` worker processes, queue the due digests as beat would, and wait until all are recorded, then
    until their emails are delivered."""
    from discussions import digest
    from discussions.models import DigestDelivery
    from groupsite.models import EMAIL_DELIVERY_TASK, OutboxMessage

    emails = OutboxMessage.objects.filter(task=EMAIL_DELIVERY_TASK)

    workers, logs = [], []
    try:
        for n in range(count):
            log = work_dir / f"worker-{count}-{n}.log"
            logs.append(log)
            workers.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--worker", queue],
                    cwd=ROOT,
                    env=dict(os.environ),
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        wait_for_workers(logs, clock.monotonic() + 120)

        pids = [process.pid for process in workers]
        cpu_before = cpu_seconds(pids)
        run_started = clock.monotonic()
        enqueued = digest.enqueue_due_digests(now=now)
        deadline = run_started + timeout
        done = 0
        while clock.monotonic() < deadline:
            done = DigestDelivery.objects.filter(covers_until=now).count()
            if done >= enqueued:
                break
            clock.sleep(0.25)
        seconds = clock.monotonic() - run_started
        cpu = cpu_seconds(pids) - cpu_before
        # The emails' delivery tasks were queued behind the batches: the workers take them now.
        while clock.monotonic() < deadline and done >= enqueued:
            if not emails.filter(delivered_at__isnull=True).exists():
                break
            clock.sleep(0.25)
        delivery_seconds = clock.monotonic() - run_started - seconds
        delivery_cpu = cpu_seconds(pids) - cpu_before - cpu
        delivered = emails.filter(delivered_at__isnull=False).count()
    finally:
        for process in workers:
            os.kill(process.pid, signal.SIGTERM)
        for process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
    sent = DigestDelivery.objects.filter(covers_until=now, status=DigestDelivery.Status.SENT).count()
    empty = DigestDelivery.objects.filter(covers_until=now, status=DigestDelivery.Status.EMPTY).count()
    return {"workers": count, "enqueued": enqueued, "done": done, "sent": sent, "empty": empty, "seconds": seconds,
            "cpu_ms_per_digest": 1000 * cpu / max(sent + empty, 1), "delivered": delivered,
            "delivery_seconds": delivery_seconds, "cpu_ms_per_email": 1000 * delivery_cpu / max(delivered, 1)}


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.services import recreate_database, services_reachable

    os.environ["DJANGO_SETTINGS_MODULE"] = "groupsite.settings"
    if args.worker:
        run_worker(args.worker)
        return

    work_dir = Path(tempfile.mkdtemp(prefix="roundtable-bench-"))
    why_not = None if args.sqlite else services_reachable(args.postgres, args.redis)
    use_services = not args.sqlite and why_not is None
    queue = f"bench-digest-{os.getpid()}"
    env = {
        "ROUNDTABLE_VAR_DIR": str(work_dir),
        "CELERY_QUEUE": queue,
        "DIGEST_BATCH_SIZE": str(args.batch_size),
        "LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    database = args.database_name
    if args.reuse and not use_services:
        raise SystemExit(f"--reuse needs PostgreSQL and Redis: {why_not or 'asked for SQLite'}")
    if use_services and not args.reuse:
        recreate_database(args.postgres, database)
    if use_services:
        env |= {"DATABASE_URL": f"{args.postgres}/{database}", "CELERY_BROKER_URL": args.redis}
        setup = f"PostgreSQL ({database}) and Redis"
    else:
        env |= {"DATABASE_URL": f"sqlite:///{work_dir / 'bench.sqlite3'}", "CELERY_BROKER_URL": "filesystem://"}
        setup = "SQLite and the filesystem broker"
        print(f"note: {why_not or 'asked for SQLite'}; using {setup}, which is slower than production", flush=True)
    for name in ("REDIS_URL",):
        os.environ.pop(name, None)
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from discussions import digest
    from discussions.models import DigestDelivery
    from groupsite.models import OutboxMessage, User

    send_everything_to(queue)
    started = clock.monotonic()
    call_command("migrate", verbosity=0)
    if args.reuse:
        now = seeded_at()
        print(f"reusing {database}: {User.objects.count()} members, seeded for {now.isoformat()}", flush=True)
    else:
        now = timezone.now().replace(microsecond=0)
        counts = seed(args.members, now)
        print(
            f"created {args.members} members, {counts['threads']} threads, {counts['posts']} posts, "
            f"{counts['prompts']} open prompts, {counts['votes']} votes, {counts['reads']} read markers, "
            f"{counts['notifications']} notifications in {clock.monotonic() - started:.0f} s",
            flush=True,
        )

    # Every member due, and no email waiting: a reused database keeps the last run's.
    DigestDelivery.objects.all().delete()
    OutboxMessage.objects.all().delete()
    due_started = clock.monotonic()
    due = digest.due_member_ids(now=now)
    due_seconds = clock.monotonic() - due_started
    small, large = 20, args.batch_size
    queries = {size: queries_per_batch(due[:size], now) for size in (small, large)}
    print(f"due: {len(due)} members, found in {due_seconds:.2f} s; SQL queries per batch: {queries[small]} for "
          f"{small} members, {queries[large]} for {large}", flush=True)

    runs = []
    for count in args.workers:
        # Every member due again: the same work for each worker count.
        DigestDelivery.objects.all().delete()
        OutboxMessage.objects.all().delete()
        run = run_with_workers(count, queue=queue, work_dir=work_dir, now=now, timeout=args.timeout)
        runs.append(run)
        rate = (run["sent"] + run["empty"]) / run["seconds"]
        print(f"{count} worker process(es): {run['sent']} sent, {run['empty']} empty in {run['seconds']:.1f} s; "
              f"workers' CPU {run['cpu_ms_per_digest']:.1f} ms a digest; then {run['delivered']} emails delivered "
              f"in {run['delivery_seconds']:.1f} s more, {run['cpu_ms_per_email']:.1f} ms of CPU an email; "
              f"digests/second: {rate:.1f}", flush=True)
        if run["done"] < run["enqueued"] or run["delivered"] < run["sent"]:
            print(f"UNFINISHED: {run['done']} of {run['enqueued']} digests recorded and {run['delivered']} of "
                  f"{run['sent']} emails delivered after {args.timeout} s; see {work_dir}", flush=True)

    print()
    print(f"Digest benchmark: {setup}, {User.objects.count()} members, {len(due)} due, batches of "
          f"{args.batch_size}, {os.cpu_count()} CPU cores")
    print("| workers | digests sent | empty | seconds | digests/second | workers' CPU ms a digest "
          "| SQL queries a batch | emails delivered | seconds more | emails/second | CPU ms an email |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in runs:
        rate = (run["sent"] + run["empty"]) / run["seconds"]
        email_rate = run["delivered"] / max(run["delivery_seconds"], 0.001)
        print(f"| {run['workers']} | {run['sent']} | {run['empty']} | {run['seconds']:.1f} | {rate:.1f} | "
              f"{run['cpu_ms_per_digest']:.1f} | {queries[large]} ({queries[small]} for {small} members) | "
              f"{run['delivered']} | {run['delivery_seconds']:.1f} | {email_rate:.1f} | "
              f"{run['cpu_ms_per_email']:.1f} |")
    finished = all(run["done"] >= run["enqueued"] and run["delivered"] >= run["sent"] for run in runs)

    from django.db import connections

    connections.close_all()
    if use_services:
        import redis

        broker = redis.Redis.from_url(args.redis)
        for key in broker.scan_iter(f"*{queue}*"):  # the queue and kombu's bindings for it
            broker.delete(key)
        if not (args.keep or args.reuse):
            recreate_database(args.postgres, database, drop_only=True)
    if not (args.keep or args.reuse) and finished:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
