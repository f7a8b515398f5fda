"""The crossing checks of the scale-out benchmark (bench/scaleout.py): two gunicorn servers with DEBUG=false and a
real Celery worker, sharing nothing but this pass's PostgreSQL database and Redis. A session made on web A works on
web B, a reply written on A shows on B at once (B served the page just before, so any cache was warm), and the jobs
A queued are run by the worker. The digest figures are the benchmark's; they take minutes.

It needs PostgreSQL and Redis, so it runs in the second pass of `groupsite/dev.py test` (always, in CI).
"""

import uuid

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from bench import load, scaleout
from tests import subprocesses

pytestmark = pytest.mark.worker


@pytest.fixture
def services():
    return subprocesses.postgres_and_redis_or_skip("SCALE-OUT SMOKE TEST SKIPPED: it runs two gunicorn servers")


@pytest.mark.django_db(transaction=True)  # the web servers and the worker read what the test stores
def test_two_web_processes_share_sessions_pages_and_jobs(services, settings, tmp_path):
    redis_url, broker_url = services
    settings.PASSWORD_HASHERS = [PBKDF2PasswordHasher.__module__ + "." + PBKDF2PasswordHasher.__name__]  # the site's
    seeded = scaleout.seed()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    suffix = f"-test-{uuid.uuid4().hex[:12]}"
    environment = scaleout.split_environment(
        load.site_environment(
            database_url=subprocesses.database_url(), redis_url=redis_url, broker_url=broker_url, queue="",
            secret_key=settings.SECRET_KEY, var_dir=tmp_path,
        ),
        suffix=suffix, mail_dir=mail_dir,
    )
    ports = [load.free_port(), load.free_port()]
    try:
        # One worker on all three queues: the benchmark runs one per queue group, which the crossing does not need.
        with scaleout.running_site(environment, tmp_path, web_ports=ports, worker_queues=("default,email,digest",)):
            checks = scaleout.crossing_checks(port_a=ports[0], port_b=ports[1], mail_dir=mail_dir, **seeded)
    finally:
        load.forget_queue(broker_url, suffix)
    report = "\n".join(f"{'ok' if check.passed else 'FAILED'}: {check.name}: {check.detail}" for check in checks)
    print(report)

    assert len(checks) == 4
    assert all(check.passed for check in checks), f"{report}\n(logs in {tmp_path})"
