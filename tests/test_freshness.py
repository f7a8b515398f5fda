"""The versions that expire cached pieces of pages (groupsite/freshness.py)."""

import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from groupsite import freshness

SHARED_CACHE = "redis" in settings.CACHES["default"]["BACKEND"].lower()


@pytest.mark.django_db
def test_a_change_moves_only_the_versions_it_names():
    thread, topic = freshness.thread_scope(1), freshness.topic_scope(2)
    before = freshness.stamp([thread]), freshness.stamp([topic])
    freshness.changed(threads=[1])
    assert freshness.stamp([thread]) != before[0]
    assert freshness.stamp([topic]) == before[1]


@pytest.mark.django_db
def test_a_stamp_is_the_same_until_something_changes():
    scopes = freshness.scopes_of(threads=[5], topics=[6], groups=[7], site=True)
    assert freshness.stamp(scopes) == freshness.stamp(scopes)
    freshness.changed(site=True)
    assert freshness.stamp(scopes) != freshness.stamp(freshness.scopes_of(threads=[5], topics=[6], groups=[7]))


@pytest.mark.django_db(transaction=True)
def test_a_change_in_a_transaction_moves_on_again_when_it_commits():
    scope = freshness.thread_scope(3)
    before = freshness.stamp([scope])
    with transaction.atomic():
        freshness.changed(threads=[3])
        # Another reader now still sees the data as it was: what it stores under this version is never read again.
        in_between = freshness.stamp([scope])
        assert in_between != before
    assert freshness.stamp([scope]) not in {before, in_between}


@pytest.mark.django_db
def test_a_change_moves_its_version_on_by_one_at_once():
    scope = freshness.group_scope(4)
    before = freshness.versions([scope])[0]
    freshness.changed(groups=[4])
    assert freshness.versions([scope])[0] == before + 1


def test_a_version_lost_from_the_cache_never_comes_back_to_an_old_value():
    scope = freshness.thread_scope(8)
    old = freshness.versions([scope])[0]
    cache.delete(f"{freshness.PREFIX}:{scope}")  # evicted, or Redis restarted
    assert freshness.versions([scope])[0] > old


def test_cache_keys_are_short_whatever_they_are_made_of():
    key = freshness.cache_key("page", "x" * 5000, "/g/china/?q=<script>", "zh-hans")
    assert len(key) < 60
    assert key != freshness.cache_key("page", "x" * 5000, "/g/china/?q=<script>", "en")


@pytest.mark.django_db
@pytest.mark.skipif(not SHARED_CACHE, reason="another process shares the cache only when it is Redis")
def test_another_process_sees_a_change_at_once():
    scope = freshness.thread_scope(9)
    freshness.versions([scope])
    read_stamp = textwrap.dedent(
        f"""
        import django
        django.setup()
        from groupsite import freshness
        print(freshness.stamp([{scope!r}]))
        """
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="groupsite.settings", REDIS_URL=settings.CACHES["default"]["LOCATION"])

    def stamp_in_another_process() -> str:
        result = subprocess.run([sys.executable, "-c", read_stamp], env=env, capture_output=True, text=True, check=True)
        return result.stdout.strip()

    assert stamp_in_another_process() == freshness.stamp([scope])
    freshness.changed(threads=[9])
    assert stamp_in_another_process() == freshness.stamp([scope])


def test_a_release_that_changes_what_renders_pages_starts_new_keys(settings, tmp_path):
    before = freshness.cache_key("post", 1, "v1")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text("<p>a new release</p>")
    settings.BASE_DIR = tmp_path
    freshness.release.cache_clear()
    try:
        assert freshness.cache_key("post", 1, "v1") != before
    finally:
        freshness.release.cache_clear()
