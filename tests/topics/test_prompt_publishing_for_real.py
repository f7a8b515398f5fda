"""Publishing proven against the real services: concurrent runs on PostgreSQL, and the beat task in a worker."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from groupsite.celery import app as celery_app
from tests import factories
from topics import scheduling
from topics.models import Prompt, PromptAnnouncement

WORKER_TIMEOUT_SECONDS = 60


def make_due_prompts(count: int, now):
    topic = factories.make_topic()
    moderator = factories.make_moderator(group=topic.group)
    factories.make_member(group=topic.group)
    return [
        factories.make_prompt(
            topic, author=moderator, status=Prompt.Status.SCHEDULED, publish_at=now - timedelta(minutes=n)
        )
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking races are proven on PostgreSQL (CI pass)")
def test_two_concurrent_runs_publish_each_due_prompt_exactly_once():
    now = timezone.now()
    prompts = make_due_prompts(12, now)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(scheduling.publish_due_prompts(now=now))
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()

    assert not errors
    first, second = results
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(prompt.pk for prompt in prompts)
    for prompt in prompts:
        prompt.refresh_from_db()
        assert prompt.status == Prompt.Status.OPEN
        assert prompt.thread.posts.count() == 1
    assert PromptAnnouncement.objects.count() == 12 * 2  # the moderator and the member, once per prompt


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_publishes_a_due_prompt_through_the_beat_task(start_worker):
    prompt = make_due_prompts(1, timezone.now())[0]
    queue = start_worker()
    beat_entry = settings.CELERY_BEAT_SCHEDULE["run-prompt-schedule"]

    celery_app.send_task(beat_entry["task"], queue=queue)  # what beat sends every minute

    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        prompt.refresh_from_db()
        if prompt.status == Prompt.Status.OPEN:
            break
        time.sleep(0.3)
    assert prompt.status == Prompt.Status.OPEN, "the worker did not publish the prompt"
    assert prompt.thread.is_pinned
