"""Two clicks at once on the same reaction (or bookmark) by the same member store one row: the unique constraint
settles the race, and the click that loses it is told nothing changed rather than failing.

PostgreSQL only, like tests/security/test_concurrent_replies.py: SQLite takes its write lock when a transaction
begins, so the two inserts never meet there; CI's PostgreSQL pass runs these.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from discussions import reactions
from discussions.reactions import Bookmark, Reaction
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 10


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("insert races are proven on PostgreSQL (CI pass); SQLite serialises writers when they begin")


def at_once(action, count: int = 2) -> tuple[list, list]:
    """Run `action` in `count` threads, each on its own connection, released together by a barrier."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # surfaced by the caller: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    return results, errors


def test_two_concurrent_clicks_on_the_same_reaction_count_once(topic, member):
    for _ in range(ROUNDS):
        post = factories.make_post(thread=factories.make_thread(topic=topic))

        results, errors = at_once(
            lambda: reactions.set_reaction(post=post, user=member, kind=Reaction.Kind.INSIGHTFUL, on=True)
        )

        assert errors == []
        assert sorted(results) == [False, True]  # one stored it; the other found it stored
        assert reactions.reaction_count(post, Reaction.Kind.INSIGHTFUL) == 1


def test_two_concurrent_clicks_through_the_site_count_once(topic, member):
    post = factories.make_post(thread=factories.make_thread(topic=topic))

    def click():
        client = Client()
        client.force_login(member)
        url = reverse("discussions:react", args=[post.pk])
        return client.post(url, {"kind": "agree", "on": "1"}, HTTP_ACCEPT="application/json").json()

    results, errors = at_once(click)

    assert errors == []
    assert [result["count"] for result in results] == [1, 1]
    assert Reaction.objects.filter(post=post).count() == 1


def test_two_concurrent_bookmarks_of_the_same_post_store_one(topic, member):
    for _ in range(ROUNDS):
        post = factories.make_post(thread=factories.make_thread(topic=topic))

        results, errors = at_once(lambda: reactions.set_bookmark(post=post, user=member, on=True))

        assert errors == []
        assert sorted(results) == [False, True]
        assert Bookmark.objects.filter(post=post, user=member).count() == 1
