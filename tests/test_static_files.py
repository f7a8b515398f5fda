"""Static files in production: collectstatic's fingerprinted copies, served by WhiteNoise from the web process with
far-future cache headers and gzip; the pages themselves are never cached for long (README, Production)."""

import gzip
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.one_pass  # files and headers, the same on either database

FOREVER = "max-age=315360000, public, immutable"
SOURCE = Path(settings.BASE_DIR) / "groupsite" / "static"
# ManifestStaticFilesStorage puts the first 12 hex digits of the file's MD5 before the extension: site.3f2a…9c.css
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
TEXT = re.compile(r"\.(css|js|svg)$")
STATIC_REFERENCE = re.compile(r'(?:href|src)="(' + re.escape("/" + settings.STATIC_URL.lstrip("/")) + r'[^"]+)"')


@pytest.fixture(scope="module", autouse=True)
def production_static_files(tmp_path_factory):
    """collectstatic once for the module, into a folder of its own, with the storage production uses."""
    production = override_settings(
        DEBUG=False,
        STATIC_ROOT=tmp_path_factory.mktemp("static-root"),
        STORAGES=settings.STORAGES
        | {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}},
    )
    with production:
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


@pytest.fixture
def browser():
    """A client made after the settings changed: WhiteNoise reads STATIC_ROOT when its middleware is built."""
    return Client()


def get_static(client: Client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == HTTPStatus.OK, url
    return response, b"".join(response.streaming_content)


def test_a_hashed_stylesheet_is_cached_for_ten_years(browser):
    response, _ = get_static(browser, staticfiles_storage.url("css/site.css"))
    assert response["Cache-Control"] == FOREVER


@pytest.mark.parametrize("name", ["css/site.css", "js/reactions.js"])
def test_a_hashed_file_comes_gzipped_to_a_browser_that_accepts_gzip(browser, name):
    url = staticfiles_storage.url(name)
    assert HASHED_NAME.search(url), url
    response, body = get_static(browser, url, accept_encoding="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == FOREVER
    assert "Accept-Encoding" in response["Vary"]  # so that a shared cache keeps both versions apart
    assert gzip.decompress(body) == (SOURCE / name).read_bytes()
    assert len(body) < len((SOURCE / name).read_bytes()) / 2


def test_a_browser_that_does_not_accept_gzip_gets_the_plain_file(browser):
    response, body = get_static(browser, staticfiles_storage.url("js/reactions.js"))
    assert "Content-Encoding" not in response
    assert "Accept-Encoding" in response["Vary"]
    assert body == (SOURCE / "js" / "reactions.js").read_bytes()


def test_a_file_under_its_unhashed_name_is_cached_only_briefly(browser):
    # Old links and anything outside the templates still work, but a new release shows within a minute.
    response, _ = get_static(browser, "/" + settings.STATIC_URL.lstrip("/") + "css/site.css")
    assert response["Cache-Control"] == "max-age=60, public"


@pytest.mark.django_db
def test_every_static_file_on_the_home_page_is_hashed_cached_for_ten_years_and_gzipped(browser):
    page = browser.get(reverse("topics:home"))
    assert page.status_code == HTTPStatus.OK
    urls = STATIC_REFERENCE.findall(page.content.decode())
    assert len(urls) >= 3, urls  # the stylesheet, the scripts and the icon
    for url in urls:
        assert HASHED_NAME.search(url), url
        response, _ = get_static(browser, url, accept_encoding="gzip")
        assert response["Cache-Control"] == FOREVER, url
        if TEXT.search(url):  # images such as PNGs are compressed already; WhiteNoise leaves them as they are
            assert response["Content-Encoding"] == "gzip", url
            assert "Accept-Encoding" in response["Vary"], url


@pytest.mark.django_db
def test_the_pages_load_every_script_of_the_static_folder_and_no_other(browser):
    # One script a concept, each named by base.html: a new one left out of it, or one left behind, shows here.
    page = browser.get(reverse("topics:home")).content.decode()
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    scripts = [url.removeprefix(static_url) for url in STATIC_REFERENCE.findall(page) if url.endswith(".js")]
    assert {HASHED_NAME.sub(".js", script) for script in scripts} == {
        f"js/{path.name}" for path in (SOURCE / "js").glob("*.js")
    }


@pytest.mark.django_db
def test_the_home_page_itself_is_not_cached_for_long(browser):
    # A page names this release's files; cached for long, it would keep naming them after the next release.
    cache_control = browser.get(reverse("topics:home")).get("Cache-Control", "")
    assert "immutable" not in cache_control
    max_age = re.search(r"max-age=(\d+)", cache_control)
    assert max_age is None or int(max_age.group(1)) <= 60, cache_control
