"""House rules a reviewer would otherwise have to remember: where the digest's parts live, and direct dependencies."""

import importlib
import inspect
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_digest_is_a_package_with_one_module_per_part():
    parts = {
        "schedule": ("due_member_ids", "enqueue_due_digests", "next_send_time", "digest_schedule"),
        "content": ("digest_context", "digest_contexts_for", "build_digest_message"),
        "sending": ("send_digests", "send_digest_batch", "send_digest"),
    }
    digest = importlib.import_module("discussions.digest")
    for module_name, functions in parts.items():
        module = importlib.import_module(f"discussions.digest.{module_name}")
        for name in functions:
            assert getattr(module, name).__module__ == module.__name__, name
            assert getattr(digest, name) is getattr(module, name), f"discussions.digest.{name} is kept"
        assert len(inspect.getsource(module).splitlines()) <= 520, f"{module_name}.py has grown past ~500 lines"


def test_packages_imported_directly_are_pinned():
    pinned = {
        re.split(r"[\[=<>]", line, maxsplit=1)[0].strip().lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    # Django's Redis cache backend imports redis itself: it must not depend on Celery's extra staying the same.
    assert {"django", "celery", "redis", "markdown", "bleach", "django-allauth"} <= pinned
