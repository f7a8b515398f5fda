"""Worlds built once for a module (or class) of tests that only read them, like Django's `setUpTestData`."""

from django.db import transaction
from django.test import override_settings


def built_once(django_db_blocker, build, **settings):
    """The body of a module- or class-scoped fixture: `yield from built_once(django_db_blocker, build)`.

    What `build()` makes is rolled back after the last test that uses it, and each test still runs in a transaction
    of its own within it (so what a test writes is gone before the next one). While it builds, `settings` are
    overridden (and the MD5 password hasher, as for every test). On-commit callbacks do not run, as in a test's own
    transaction: `with TestCase.captureOnCommitCallbacks(execute=True):` runs those of what it holds.
    Tests get the very objects `build()` returned: one that changes an object in memory must copy it first."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], **settings)
    with django_db_blocker.unblock(), transaction.atomic():
        with fast_hasher:
            world = build()
        yield world
        transaction.set_rollback(True)
