import os

import pytest

from groupsite.celery import app as celery_app
from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    # Tasks run in the test process unless a test starts a real worker (tests/test_worker.py).
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def group(db):
    return factories.make_group(name="China CAR-T market", slug="china-car-t")


@pytest.fixture
def private_group(db):
    return factories.make_group(
        name="Investor circle",
        slug="investor-circle",
        visibility="private",
        membership_questions="What is your role?\nWhy do you want to join?",
    )


@pytest.fixture
def topic(group):
    return factories.make_topic(group=group, title="Cost and reimbursement", slug="cost")


@pytest.fixture
def member(group):
    return factories.make_member(group=group, username="mei", display_name="Mei")


@pytest.fixture
def moderator(group):
    return factories.make_moderator(group=group, username="moderator", display_name="Dr Moderator")


@pytest.fixture
def outsider(db):
    return factories.make_user(username="outsider", display_name="Outsider")
