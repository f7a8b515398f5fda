"""Thread views buffered in Redis and flushed to the rows every minute (discussions/view_counts.py).

The buffer needs the cache to be Redis: those tests skip without it and run in CI's PostgreSQL + Redis pass.
"""

import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import IntegrityError, connection
from django.test import Client
from django.utils import timezone

from discussions import tasks, view_counts
from discussions.models import Thread
from groupsite import freshness
from tests import factories
from tests.test_cache import closed_port

BUFFERED = view_counts.redis_client() is not None
NEEDS_REDIS = pytest.mark.skipif(
    not BUFFERED, reason="views are buffered only when the cache is Redis (REDIS_URL): CI's PostgreSQL+Redis pass"
)


def visitor(number: int, browser: str = "Firefox") -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{number}", HTTP_USER_AGENT=browser)


def views_of(thread) -> int:
    thread.refresh_from_db()
    return thread.view_count


def test_a_visitor_is_known_by_a_hash_that_changes_daily_and_a_member_by_id(rf, member):
    request = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox")
    request.user = AnonymousUser()
    today = timezone.now()

    viewer = view_counts.viewer_of(request, now=today)
    assert viewer == view_counts.viewer_of(request, now=today)
    assert viewer != view_counts.viewer_of(request, now=today + timedelta(days=1))
    assert "203.0.113.7" not in viewer
    request.user = member
    assert view_counts.viewer_of(request, now=today) == f"member:{member.pk}"


@NEEDS_REDIS
def test_distinct_visitors_each_add_a_view_after_the_flush(thread):
    for number in range(1, 8):
        visitor(number).get(thread.get_absolute_url())

    assert views_of(thread) == 0
    assert view_counts.pending_views() == {thread.pk: 7}
    assert view_counts.flush_view_counts() == 1
    assert views_of(thread) == 7
    assert view_counts.pending_views() == {}


@NEEDS_REDIS
def test_the_same_visitor_twice_adds_one_view(thread):
    visitor(1).get(thread.get_absolute_url())
    visitor(1).get(thread.get_absolute_url() + "?page=1")
    visitor(1, browser="Chromium").get(thread.get_absolute_url())  # the same address, another browser: another person

    view_counts.flush_view_counts()
    assert views_of(thread) == 2


@NEEDS_REDIS
def test_members_are_counted_by_id_whatever_their_address(thread, member):
    reader = visitor(1)
    reader.force_login(member)
    reader.get(thread.get_absolute_url())
    visitor(1).get(thread.get_absolute_url())  # a visitor at the member's address is someone else

    assert view_counts.pending_views() == {thread.pk: 2}
    assert view_counts.count_view(thread=thread, viewer=f"member:{member.pk}", now=timezone.now()) == 0


@NEEDS_REDIS
def test_a_viewer_is_counted_again_on_another_day(thread):
    today = timezone.now()
    assert view_counts.count_view(thread=thread, viewer="visitor:a", now=today) == 1
    assert view_counts.count_view(thread=thread, viewer="visitor:a", now=today) == 0
    assert view_counts.count_view(thread=thread, viewer="visitor:a", now=today + timedelta(days=1)) == 1


@NEEDS_REDIS
def test_the_days_viewers_expire_and_no_address_is_kept(thread):
    visitor(9).get(thread.get_absolute_url())
    client = view_counts.redis_client()

    seen = [key for key in client.scan_iter(match="*views:seen:*")]
    assert len(seen) == 1
    assert 0 < client.ttl(seen[0]) <= view_counts.SEEN_FOR.total_seconds()
    assert all(b"203.0.113.9" not in client.dump(key) for key in client.scan_iter(match="*views:*"))


@NEEDS_REDIS
def test_flushed_counts_show_on_the_thread_and_topic_pages(client, thread):
    for number in range(1, 4):
        visitor(number).get(thread.get_absolute_url())
    scopes = freshness.scopes_of(threads=[thread.pk], topics=[thread.topic_id])
    before = freshness.stamp(scopes)

    view_counts.flush_view_counts()

    assert freshness.stamp(scopes) != before  # cached pieces of both pages are built again
    assert "3 views" in client.get(thread.get_absolute_url()).content.decode()
    topic_page = client.get(thread.topic.get_absolute_url()).content.decode()
    assert "<dd>3</dd>" in topic_page


@NEEDS_REDIS
def test_a_flush_with_nothing_pending_changes_nothing(thread, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert view_counts.flush_view_counts() == 0


@NEEDS_REDIS
def test_a_flush_updates_many_threads_in_one_statement(topic, django_assert_num_queries):
    threads = [factories.make_thread(topic=topic) for _ in range(5)]
    for number, thread in enumerate(threads, start=1):
        for viewer in range(number):
            view_counts.count_view(thread=thread, viewer=f"visitor:{viewer}", now=timezone.now())

    with django_assert_num_queries(4):  # savepoint, the topic ids, one UPDATE, release
        assert view_counts.flush_view_counts() == 5

    assert [views_of(thread) for thread in threads] == [1, 2, 3, 4, 5]


@NEEDS_REDIS
def test_views_of_a_deleted_thread_are_dropped(thread, topic):
    other = factories.make_thread(topic=topic)
    visitor(1).get(thread.get_absolute_url())
    visitor(1).get(other.get_absolute_url())
    Thread.objects.filter(pk=thread.pk).delete()

    assert view_counts.flush_view_counts() == 1
    assert views_of(other) == 1
    assert view_counts.pending_views() == {}


@NEEDS_REDIS
def test_counts_go_back_to_the_buffer_when_the_update_fails(thread, topic):
    other = factories.make_thread(topic=topic)
    visitor(1).get(other.get_absolute_url())
    # A count the row refuses (view_count may not go below 0): the whole UPDATE fails, for real, in the database.
    view_counts.redis_client().hincrby(view_counts._key("pending"), thread.pk, -5)

    with pytest.raises(IntegrityError):
        view_counts.flush_view_counts()

    assert views_of(other) == 0 and views_of(thread) == 0
    assert view_counts.pending_views() == {thread.pk: -5, other.pk: 1}
    visitor(2).get(other.get_absolute_url())  # counted meanwhile: added beside what came back
    assert view_counts.pending_views() == {thread.pk: -5, other.pk: 2}


@NEEDS_REDIS
def test_a_flush_that_fails_in_a_later_batch_lands_none_of_its_counts(topic, monkeypatch):
    monkeypatch.setattr(view_counts, "FLUSH_BATCH", 2)
    threads = [factories.make_thread(topic=topic) for _ in range(5)]
    for thread in threads[:4]:
        view_counts.count_view(thread=thread, viewer="visitor:a", now=timezone.now())
    view_counts.redis_client().hincrby(view_counts._key("pending"), threads[4].pk, -1)  # refused, in the 3rd batch

    with pytest.raises(IntegrityError):
        view_counts.flush_view_counts()

    assert [views_of(thread) for thread in threads] == [0] * 5
    assert view_counts.pending_views() == {thread.pk: 1 for thread in threads[:4]} | {threads[4].pk: -1}


@NEEDS_REDIS
def test_the_beat_task_flushes(thread):
    visitor(1).get(thread.get_absolute_url())

    assert tasks.flush_view_counts.delay().get() == 1
    assert views_of(thread) == 1
    assert "flush-view-counts" in {name for name in settings.CELERY_BEAT_SCHEDULE}


@NEEDS_REDIS
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent flushes are proven on PostgreSQL (CI pass)")
@pytest.mark.django_db(transaction=True)
def test_flushes_running_at_once_while_views_arrive_count_every_view_once(topic):
    threads = [factories.make_thread(topic=topic) for _ in range(3)]
    viewers_per_thread = 60
    start = threading.Barrier(4)
    errors = []

    def view(offset):
        start.wait()
        for number in range(offset, viewers_per_thread, 2):
            for thread in threads:
                view_counts.count_view(thread=thread, viewer=f"visitor:{number}", now=timezone.now())

    def flush():
        start.wait()
        try:
            for _ in range(30):
                view_counts.flush_view_counts()
        except Exception as error:  # noqa: BLE001 - reported below, from the test's own thread
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=view, args=(offset,)) for offset in (0, 1)]
    workers += [threading.Thread(target=flush) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    view_counts.flush_view_counts()

    assert errors == []
    assert [views_of(thread) for thread in threads] == [viewers_per_thread] * 3


def test_with_redis_unreachable_the_thread_page_shows_and_the_view_is_not_counted(settings, client, thread):
    settings.CACHES = {
        "default": {
            "BACKEND": "groupsite.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert isinstance(caches["default"], view_counts.RedisCache)

    response = client.get(thread.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert view_counts.flush_view_counts() == 0
    assert views_of(thread) == 0


@pytest.mark.skipif(BUFFERED, reason="the cache is Redis: views are buffered (the tests above)")
def test_without_redis_a_visitors_view_goes_straight_to_the_row_once_a_day(thread):
    for _ in range(2):
        visitor(1).get(thread.get_absolute_url())
    visitor(2).get(thread.get_absolute_url())

    assert views_of(thread) == 2
    assert view_counts.flush_view_counts() == 0  # nothing waits: dev mode's worker has no buffer to flush
