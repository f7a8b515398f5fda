"""The site's URLs and /__hello__/, the benchmark's baseline: a Django view that does nothing (bench/pages.py)."""

from django.http import HttpResponse
from django.urls import path

from groupsite.urls import urlpatterns as site_urlpatterns


def hello(request):
    return HttpResponse("Hello, world")


urlpatterns = [path("__hello__/", hello), *site_urlpatterns]
