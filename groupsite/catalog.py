"""The scripts' words (Django's JavaScript catalogue), cached by browsers until a release changes them.

Every page loads the catalogue, so without cache headers each page view cost a second request to Django. The page
asks for it with `?v=` naming the language and a digest of the compiled catalogues: a new translation or another
language is another address, so the answer to an address that names the current version can be kept for a year.
"""

import hashlib
from functools import cache

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.i18n import JavaScriptCatalog

YEAR_SECONDS = 365 * 24 * 60 * 60


@cache
def _catalogues_digest() -> str:
    digest = hashlib.blake2b(digest_size=6)
    for folder in settings.LOCALE_PATHS:
        for path in sorted(folder.glob("*/LC_MESSAGES/djangojs.mo")):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def version() -> str:
    return f"{translation.get_language()}-{_catalogues_digest()}"


def catalogue_url() -> str:
    return f"{reverse('javascript-catalog')}?v={version()}"


class VersionedJavaScriptCatalog(JavaScriptCatalog):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if request.GET.get("v") == version():
            patch_cache_control(response, public=True, max_age=YEAR_SECONDS, immutable=True)
        return response
