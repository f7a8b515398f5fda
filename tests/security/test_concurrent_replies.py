"""Replies that arrive at once: numbers and times agree, and the thread's last activity is its newest post.

PostgreSQL only: SQLite takes its write lock when the transaction begins, before anything else, so the race
cannot happen there; CI's PostgreSQL pass runs these.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from discussions import services
from discussions.models import Thread
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races are proven on PostgreSQL (CI pass); SQLite serialises writers when they begin")


def wait_until_blocked_on_a_lock(timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second reply never waited for the thread's lock")


def reply_in_a_thread_of_its_own(thread, author, body) -> threading.Thread:
    def reply():
        try:
            services.publish_post(thread=thread, author=author, body=body)
        finally:
            connections.close_all()

    worker = threading.Thread(target=reply)
    worker.start()
    return worker


def test_a_reply_that_waited_for_the_lock_is_timed_after_the_reply_that_held_it(topic, member, moderator):
    thread = factories.make_thread(topic=topic, author=moderator)
    with transaction.atomic():
        # This reply holds the thread's lock while a second one, started first, waits for it.
        Thread.objects.select_for_update().get(pk=thread.pk)
        waiting = reply_in_a_thread_of_its_own(thread, member, "Started first, numbered last.")
        wait_until_blocked_on_a_lock()
        services.publish_post(thread=thread, author=moderator, body="Holds the lock.")
    waiting.join(timeout=10)

    posts = list(thread.posts.order_by("number"))
    assert [post.body for post in posts[1:]] == ["Holds the lock.", "Started first, numbered last."]
    assert posts[1].created_at <= posts[2].created_at


def test_a_threads_last_activity_is_its_newest_post_after_concurrent_replies(topic, member, moderator):
    thread = factories.make_thread(topic=topic, author=moderator)
    with transaction.atomic():
        Thread.objects.select_for_update().get(pk=thread.pk)
        waiting = reply_in_a_thread_of_its_own(thread, member, "Started first, numbered last.")
        wait_until_blocked_on_a_lock()
        services.publish_post(thread=thread, author=moderator, body="Holds the lock.")
    waiting.join(timeout=10)

    thread.refresh_from_db()
    assert thread.last_activity_at == max(thread.posts.values_list("created_at", flat=True))


def test_many_concurrent_replies_are_numbered_in_the_order_of_their_times(topic, moderator):
    thread = factories.make_thread(topic=topic, author=moderator)
    authors = [factories.make_member(group=topic.group) for _ in range(8)]
    start = threading.Barrier(len(authors))

    def reply(author):
        try:
            start.wait()
            for n in range(3):
                services.publish_post(thread=thread, author=author, body=f"Reply {n}.")
        finally:
            connections.close_all()

    workers = [threading.Thread(target=reply, args=[author]) for author in authors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    times = list(thread.posts.order_by("number").values_list("created_at", flat=True))
    assert len(times) == 1 + 3 * len(authors)
    assert times == sorted(times)
