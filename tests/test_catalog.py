"""The scripts' words: each page names a versioned address that browsers may keep for a year (groupsite/catalog.py)."""

import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def catalogue_src(client) -> str:
    page = client.get(reverse("topics:home")).content.decode()
    return re.search(r'<script src="(/jsi18n/[^"]*)"', page).group(1)


def test_the_address_a_page_names_is_kept_for_a_year(client):
    src = catalogue_src(client)
    response = client.get(src)
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "max-age=31536000" in cache_control and "immutable" in cache_control


def test_an_address_of_another_version_is_not_kept(client):
    for address in (reverse("javascript-catalog"), reverse("javascript-catalog") + "?v=en-000000000000"):
        assert "immutable" not in client.get(address).get("Cache-Control", "")


def test_each_language_has_its_own_address_and_words(client):
    english = catalogue_src(client)
    client.cookies["django_language"] = "zh-hans"
    chinese = catalogue_src(client)
    assert english != chinese and "zh-hans" in chinese
    preview = json.dumps("预览")[1:-1]  # as the catalogue writes it: \\u9884\\u89c8
    assert preview in client.get(chinese).content.decode()
    del client.cookies["django_language"]
    assert preview not in client.get(english).content.decode()
