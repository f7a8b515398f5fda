"""400, 403, 404 and 500 answer with pages in the site's layout that say what happened and what to do (issue 8,
item 12). Tests run with DEBUG off, as production does (pytest-django's default)."""

from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse

from tests import factories

SITE_LAYOUT = '<a class="skip-link" href="#main">'


@pytest.fixture
def crash_client(client):
    client.raise_request_exception = False  # answer as production would, instead of re-raising in the test
    return client


def test_the_tests_run_with_debug_off_as_production_does():
    assert settings.DEBUG is False


def test_a_non_members_reply_gets_a_403_page_saying_to_join(client, db):
    thread = factories.make_thread()
    client.force_login(factories.make_user())

    response = client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "Hello"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "Join the group to take part." in page


def test_a_403_without_a_message_still_says_what_happened(client, group, member):
    client.force_login(member)

    response = client.get(reverse("topics:insight", args=[group.slug]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "You cannot do that here" in page


def test_an_unknown_address_gets_a_404_page_in_the_sites_layout(client, db):
    response = client.get("/g/no-such-group/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "We could not find that page" in page
    assert "Group matching query" not in page  # no internals


def test_a_404_page_offers_a_visitor_to_log_in_and_come_back(client, db):
    response = client.get("/g/no-such-group/")

    assert f"{reverse('account_login')}?next=/g/no-such-group/" in response.content.decode()


@pytest.mark.urls("tests.security.urls_with_errors")
def test_a_malformed_request_gets_a_400_page_in_the_sites_layout(crash_client, db):
    response = crash_client.get("/test-malformed/")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "The site could not understand that request" in page


@pytest.mark.urls("tests.security.urls_with_errors")
def test_a_crash_gets_a_500_page_in_the_sites_layout(crash_client, db):
    response = crash_client.get("/test-crash/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "Something went wrong on our side" in page
    assert "a bug" not in page


def test_the_500_page_renders_without_the_database_or_a_signed_in_user(rf):
    # No `db` fixture: any query while rendering would fail this test.
    handler = get_resolver().resolve_error_handler(HTTPStatus.INTERNAL_SERVER_ERROR)

    response = handler(rf.get("/"))

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "Something went wrong on our side" in response.content.decode()


def test_a_form_sent_without_its_csrf_token_gets_a_403_page_saying_what_to_do(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.make_user())

    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    page = response.content.decode()
    assert SITE_LAYOUT in page
    assert "That form could not be accepted" in page
