"""How fast the search page's query answers over 100,000 posts on PostgreSQL.

    .venv/bin/python bench/search.py --posts 100000 --searches 300

It creates a fresh PostgreSQL database `roundtable_bench_search` on 127.0.0.1 (dropped at the end unless --keep),
seeds groups, members, threads and N posts of mixed English and Chinese text from the demo's domain (deterministic:
a fixed random seed), indexes them through the site's own indexing function (discussions.search.index), then runs
searches through the function the search page calls (discussions.search.query.search, and the hits' descriptions)
as a member of two of the groups: common and rare words, Chinese, several words, with and without a group filter.
It prints the 50th, 95th and 99th percentile times in milliseconds and the SQL queries per search.
"""

import argparse
import os
import random
import statistics
import sys
import time as clock
from datetime import timedelta
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "roundtable_bench_search"
GROUPS = 6  # half public, half private; the searcher is a member of one private group and one public one
TOPICS_PER_GROUP = 5
POSTS_PER_THREAD = 40
MEMBERS = 300

ENGLISH = [
    "Volume-based procurement will push list prices down, but provinces differ a lot.",
    "Our centre treats about 40 patients a year; the bottleneck is manufacturing slots, not demand.",
    "Commercial insurance covers about a third of the cost in Shanghai; Huimin Bao plans help a little.",
    "Vein-to-vein time is still 3-4 weeks for autologous CAR-T products.",
    "The solid tumour data from ASCO were encouraging, if early.",
    "How do clinicians select patients for CD19 therapy when slots are scarce?",
    "Compare three provinces' reimbursement rules side by side.",
    "BCMA targets in myeloma look stronger than CD19 in some lymphoma subtypes.",
    "Allogeneic products could cut the price by half if approval comes before 2030.",
    "Hospital budgets and DRG payment caps make a 1.2 million yuan therapy hard to prescribe.",
    "Outcome-based contracts with payers are being piloted in Hainan.",
    "The market for cell therapy in China may reach several billion dollars by the end of the decade.",
]
CHINESE = [
    "嵌合抗原受体T细胞治疗的价格仍然很高。",
    "医保谈判能否纳入CAR-T产品还不确定。",
    "上海的惠民保覆盖了部分费用。",
    "细胞治疗的生产周期是主要瓶颈。",
    "多发性骨髓瘤患者对BCMA疗法反应良好。",
    "医院的预算和DRG支付限制了处方。",
    "商业保险在一线城市的覆盖率正在提高。",
    "国家药监局发布了新的细胞治疗指导原则。",
    "异体CAR-T可能大幅降低成本。",
    "淋巴瘤患者的CD19靶点治疗效果显著。",
]
COMMON = ["price", "reimbursement", "CD19", "CAR-T", "insurance", "patients", "hospital budgets", "myeloma BCMA"]
RARE = ["Hainan contracts", "allogeneic approval", "ASCO tumour"]
CJK_QUERIES = ["价格", "细胞治疗", "医保谈判", "惠民保", "骨髓瘤", "指导原则", "降低成本", "医保 CAR-T"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432", help="server, without database")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database (and reuse it next time)")
    parser.add_argument("--reuse", action="store_true", help="search a database kept by --keep without seeding")
    return parser.parse_args()


def body_text(rng: random.Random, n: int) -> str:
    """Two to four sentences, English, Chinese or both, and a code that makes rare words (a trial's number)."""
    sentences = rng.sample(ENGLISH, rng.randint(1, 2)) + rng.sample(CHINESE, rng.randint(0, 2))
    rng.shuffle(sentences)
    return " ".join(sentences) + f" Trial NCT{n % 5000:05d}."


def seed(posts: int, rng: random.Random):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from discussions.models import Post, Thread
    from discussions.search import index
    from groupsite.models import User
    from topics.models import Group, Membership, Topic

    now = timezone.now()
    password = make_password("bench")
    users = User.objects.bulk_create(
        [User(username=f"bench{n}", email=f"bench{n}@example.org", password=password, display_name=f"成员{n}")
         for n in range(MEMBERS)]
    )
    groups = Group.objects.bulk_create(
        [Group(name=f"Bench group {n}", slug=f"bench-{n}", visibility="public" if n % 2 == 0 else "private")
         for n in range(GROUPS)]
    )
    Membership.objects.bulk_create([Membership(group=g, user=u) for g in groups for u in users[: MEMBERS // 2]])
    searcher = users[-1]
    Membership.objects.bulk_create([Membership(group=groups[0], user=searcher), Membership(group=groups[1], user=searcher)])
    topics = Topic.objects.bulk_create(
        [Topic(group=g, title=f"Topic {n} of {g.name}", slug=f"topic-{n}", position=n)
         for g in groups for n in range(TOPICS_PER_GROUP)]
    )
    thread_count = max(1, posts // POSTS_PER_THREAD)
    threads = Thread.objects.bulk_create(
        [Thread(topic=rng.choice(topics), title=rng.choice(ENGLISH)[:60], author=rng.choice(users),
                created_at=now - timedelta(days=thread_count - n), post_count=POSTS_PER_THREAD)
         for n in range(thread_count)]
    )
    threads = {t.pk: t for t in Thread.objects.select_related("topic").filter(pk__in=[t.pk for t in threads])}
    for thread in threads.values():
        thread.chatham = False  # what index._threads annotates
    index.save_documents([index.thread_document(t) for t in threads.values()])
    thread_list = list(threads.values())
    made = 0
    while made < posts:
        batch = []
        for _ in range(min(5000, posts - made)):
            thread = thread_list[made // POSTS_PER_THREAD % len(thread_list)]
            text = body_text(rng, made)
            batch.append(Post(thread=thread, author=rng.choice(users), number=made % POSTS_PER_THREAD + 1, body=text,
                              body_html=f"<p>{escape(text)}</p>", created_at=thread.created_at + timedelta(minutes=made % POSTS_PER_THREAD)))
            made += 1
        batch = Post.objects.bulk_create(batch)
        index.save_documents([index.post_document(post, threads[post.thread_id]) for post in batch])
        print(f"  {made:,} posts indexed", flush=True)
    return searcher, groups


def queries(rng: random.Random, count: int, groups) -> list[tuple[str, object]]:
    pool = COMMON * 3 + RARE * 2 + CJK_QUERIES * 2 + [f"NCT{n:05d}" for n in range(0, 5000, 250)]
    return [(rng.choice(pool), rng.choice([None, None, groups[0], groups[1]])) for _ in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.services import recreate_database

    if not args.reuse:
        recreate_database(args.postgres, DATABASE_NAME)
    os.environ.update({"DATABASE_URL": f"{args.postgres}/{DATABASE_NAME}", "DEBUG": "true", "LOG_LEVEL": "WARNING"})
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "groupsite.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from discussions.search.query import Filters, search
    from discussions.search.snippets import describe
    from groupsite.models import User
    from topics.models import Group

    rng = random.Random(10)
    try:
        if args.reuse:
            searcher = User.objects.get(username=f"bench{MEMBERS - 1}")
            groups = list(Group.objects.filter(slug__startswith="bench-").order_by("pk"))
        else:
            call_command("migrate", verbosity=0)
            started = clock.monotonic()
            searcher, groups = seed(args.posts, rng)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE discussions_searchdocument")
            print(f"seeded and indexed {args.posts:,} posts in {clock.monotonic() - started:.0f} s", flush=True)
        times, database_times, query_counts, counts = [], [], [], []
        for query, group in queries(rng, args.searches, groups):
            with CaptureQueriesContext(connection) as captured:
                started = clock.perf_counter()
                results = search(user=searcher, query=query, filters=Filters(group=group))
                hits = [describe(document, results.terms) for document in results.page.object_list]
                times.append((clock.perf_counter() - started) * 1000)
            query_counts.append(len(captured))
            database_times.append(sum(float(each["time"]) for each in captured.captured_queries) * 1000)
            counts.append(results.count)
            assert len(hits) <= 20
        print(f"{len(times)} searches over {args.posts:,} posts (PostgreSQL), as a member of 2 of {GROUPS} groups:")
        print(f"  p50 {percentile(times, 0.50):.1f} ms   p95 {percentile(times, 0.95):.1f} ms   "
              f"p99 {percentile(times, 0.99):.1f} ms   max {max(times):.1f} ms")
        print(f"  of which in PostgreSQL: p50 {percentile(database_times, 0.50):.1f} ms   "
              f"p95 {percentile(database_times, 0.95):.1f} ms   p99 {percentile(database_times, 0.99):.1f} ms")
        print(f"  load average while searching: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"  SQL queries per search: {min(query_counts)}–{max(query_counts)} "
              f"(mean {statistics.mean(query_counts):.1f}); results per search: median {statistics.median(counts):.0f}, "
              f"max {max(counts):,}{'+' if max(counts) >= 1000 else ''}")
    finally:
        connection.close()
        if not args.keep:
            recreate_database(args.postgres, DATABASE_NAME, drop_only=True)


if __name__ == "__main__":
    main()
