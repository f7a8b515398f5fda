"""Visitors' copies of whole pages (groupsite/page_cache.py): kept only when they are the same for everyone."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.utils import translation

from groupsite import freshness, page_cache
from tests import factories

SCOPES = [freshness.thread_scope(1)]


def visitor_get(path="/t/1/", **cookies):
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    request.session = SessionStore()
    return request


def test_a_visitors_page_is_served_from_the_cache_until_what_it_shows_changes():
    stamp = freshness.stamp(SCOPES)
    page_cache.keep(visitor_get(), stamp, HttpResponse("<p>page one</p>", content_type="text/html; charset=utf-8"))
    served = page_cache.fetch(visitor_get(), freshness.stamp(SCOPES))
    assert served.content == b"<p>page one</p>"
    assert served["Content-Type"] == "text/html; charset=utf-8"
    freshness.changed(threads=[1])
    assert page_cache.fetch(visitor_get(), freshness.stamp(SCOPES)) is None


def test_another_query_or_language_is_another_page():
    stamp = freshness.stamp(SCOPES)
    page_cache.keep(visitor_get("/t/1/?page=2"), stamp, HttpResponse("two"))
    assert page_cache.fetch(visitor_get("/t/1/?page=3"), stamp) is None
    with translation.override("zh-hans"):
        assert page_cache.fetch(visitor_get("/t/1/?page=2"), stamp) is None
    assert page_cache.fetch(visitor_get("/t/1/?page=2"), stamp).content == b"two"


def test_a_page_that_asked_for_a_csrf_token_is_not_kept():
    request = visitor_get()
    get_token(request)
    page_cache.keep(request, "s", HttpResponse("<input name=csrfmiddlewaretoken>"))
    assert page_cache.fetch(visitor_get(), "s") is None


def test_a_page_that_sets_a_cookie_is_not_kept():
    response = HttpResponse("hello")
    response.set_cookie("something", "mine")
    page_cache.keep(visitor_get(), "s", response)
    assert page_cache.fetch(visitor_get(), "s") is None


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_visitors_with_a_session_or_a_waiting_message_get_their_own_page(cookie):
    page_cache.keep(visitor_get(), "s", HttpResponse("for everyone"))
    assert page_cache.fetch(visitor_get(**{cookie: "x"}), "s") is None
    page_cache.keep(visitor_get(**{cookie: "x"}), "t", HttpResponse("theirs"))
    assert page_cache.fetch(visitor_get(), "t") is None


@pytest.mark.django_db
def test_members_never_get_or_leave_a_cached_page():
    request = visitor_get()
    request.user = factories.make_user()
    page_cache.keep(request, "s", HttpResponse("a member's page"))
    assert page_cache.fetch(visitor_get(), "s") is None
    page_cache.keep(visitor_get(), "s", HttpResponse("for everyone"))
    assert page_cache.fetch(request, "s") is None


def test_errors_and_posts_are_not_kept():
    page_cache.keep(visitor_get(), "s", HttpResponse("gone", status=404))
    assert page_cache.fetch(visitor_get(), "s") is None
    request = RequestFactory().post("/t/1/")
    request.user = AnonymousUser()
    assert not page_cache.is_visitor_request(request)


def test_the_copy_expires(settings):
    settings.ANONYMOUS_PAGE_SECONDS = 0
    page_cache.keep(visitor_get(), "s", HttpResponse("never kept"))
    settings.ANONYMOUS_PAGE_SECONDS = 60
    assert page_cache.fetch(visitor_get(), "s") is None
