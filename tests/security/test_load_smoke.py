"""A five-second run of the load benchmark (bench/load.py): gunicorn with DEBUG=false and a real Celery worker on
this pass's PostgreSQL database and Redis, ten simulated members browsing, posting, replying, voting and opening
notifications at once. No request may get a 5xx or no answer, and every write the site acknowledged must be in the
database as sent. Latency is not asserted: machines vary; `bench/load.py` measures it.

It needs PostgreSQL and Redis, so it runs in the second pass of `groupsite/dev.py test` (always, in CI).
"""

import random
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from bench import load
from bench.load_traffic import format_report, run_load
from tests import subprocesses

pytestmark = pytest.mark.worker

MEMBERS = 10
SECONDS = 5
THINK_SECONDS = 1  # busier than the benchmark's members, so that ten of them write enough in five seconds


@pytest.fixture
def services():
    return subprocesses.postgres_and_redis_or_skip("LOAD SMOKE TEST SKIPPED: it runs gunicorn")


@pytest.mark.django_db(transaction=True)  # gunicorn and the worker read what the test stores, so it must commit
def test_ten_members_for_five_seconds_get_no_server_error_and_lose_no_acknowledged_write(services, tmp_path):
    redis_url, broker_url = services
    plan = load.seed_site(members=MEMBERS, threads_per_topic=1, max_replies=25, rng=random.Random(5))
    queue = f"test-load-{uuid.uuid4().hex[:12]}"
    environment = load.site_environment(
        database_url=subprocesses.database_url(), redis_url=redis_url, broker_url=broker_url, queue=queue,
        secret_key=settings.SECRET_KEY, var_dir=tmp_path,
    )
    try:
        with load.running_site(environment, tmp_path) as (port, _):
            since = timezone.now()
            results = run_load(plan, port=port, seconds=SECONDS, think=THINK_SECONDS)
    finally:
        load.forget_queue(broker_url, queue)
    problems, summary = load.check_writes(plan, results, since=since)
    report = f"{format_report(results)}\ncheck               {summary}\n" + "\n".join(problems)
    print(report)

    server_errors = dict(results.server_errors)
    assert not server_errors, f"5xx or no answer (see {tmp_path / 'gunicorn.log'}):\n{report}"
    assert not problems, report
    assert results.writes.posts or results.writes.threads or results.writes.votes, f"no write went through:\n{report}"
