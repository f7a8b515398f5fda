import pytest

from tests import factories


@pytest.fixture
def thread(topic, member):
    return factories.make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")


@pytest.fixture
def private_topic(private_group):
    return factories.make_topic(group=private_group, title="Deal flow", slug="deals")


@pytest.fixture
def private_member(private_group):
    return factories.make_member(group=private_group, username="insider", display_name="Insider")


@pytest.fixture
def private_thread(private_topic, private_member):
    return factories.make_thread(topic=private_topic, author=private_member, title="Term sheets", body="Confidential.")
