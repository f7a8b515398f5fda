"""The site's URLconf plus two views that fail on purpose, to see the 400 and 500 pages a real failure gets."""

from django.core.exceptions import BadRequest
from django.urls import path

from groupsite.urls import *  # noqa: F403 (the site's own error handlers too, if it names any)
from groupsite.urls import urlpatterns as site_urlpatterns


def crash(request):
    raise RuntimeError("a bug")


def malformed(request):
    raise BadRequest("a malformed request")


urlpatterns = [path("test-crash/", crash), path("test-malformed/", malformed), *site_urlpatterns]
