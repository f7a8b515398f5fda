"""Many requests at once (runserver's thread per request, gunicorn's threads) share a bounded pool of PostgreSQL
connections instead of opening one each until PostgreSQL answers "too many clients already"."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's (CI pass); SQLite has no server to exhaust")


def open_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_stat_activity where datname = current_database()")
        return cursor.fetchone()[0]


def test_more_simultaneous_requests_than_the_pool_holds_wait_for_a_connection_instead_of_opening_more():
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    assert pool, "PostgreSQL connections are not pooled"
    pool_size = pool["max_size"]
    requests = pool_size * 2
    errors = []

    def request():
        try:
            with connection.cursor() as cursor:
                cursor.execute("select pg_sleep(0.3)")
        except Exception as error:  # noqa: BLE001 - any failure is the test's failure
            errors.append(error)
        finally:
            connection.close()  # the end of a request: back to the pool

    threads = [threading.Thread(target=request) for _ in range(requests)]
    for thread in threads:
        thread.start()
    most = 0
    while any(thread.is_alive() for thread in threads):
        most = max(most, open_connections())
        connection.close()
        time.sleep(0.02)
    for thread in threads:
        thread.join()

    assert errors == []
    assert most <= pool_size
