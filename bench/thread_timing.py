"""In-process timing of the 200-post thread page (Django's test client), anonymous and member, cache hit and miss.

    REDIS_URL=redis://127.0.0.1:6379/0 python -m pytest bench/thread_timing.py -s -p no:cacheprovider

Prints ms per request and queries per request; a rough guide beside bench/pages.py, which measures req/s.
"""

import statistics
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from discussions import services
from tests.factories import make_group, make_member, make_thread, make_topic

BODY = ("Evidence from the **market report**: prices fell by 12% in [Q3](https://example.org/q3), "
        "while volumes rose. " * 6)
RUNS = 7


def _timed(client, url, *, clear: bool) -> tuple[float, int, int]:
    times = []
    for _ in range(RUNS):
        if clear:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return statistics.median(times), len(queries), len(response.content)


@pytest.mark.django_db
def test_thread_page_timing(settings):
    settings.POSTS_PER_PAGE = 200
    settings.DEBUG = False
    group = make_group()
    topic = make_topic(group=group)
    authors = [make_member(group=group) for _ in range(20)]
    thread = make_thread(topic=topic, author=authors[0], body=BODY)
    for n in range(199):
        services.publish_post(thread=thread, author=authors[n % 20], body=f"{n}. {BODY}")
    url = thread.get_absolute_url()
    member = Client()
    member.force_login(make_member(group=group))
    print(f"\n200 posts, {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    for name, client in (("anonymous", Client()), ("member", member)):
        for clear in (True, False):
            ms, queries, size = _timed(client, url, clear=clear)
            print(f"{name:9} {'miss' if clear else 'hit':4}: {ms:7.1f} ms  {queries:2} queries  {size // 1024} KB")
