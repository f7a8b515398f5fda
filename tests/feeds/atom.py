"""Reading a feed the way a feed reader does: feedparser for Atom, xml.etree for the raw XML."""

import xml.etree.ElementTree as ET
from http import HTTPStatus

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"


def fetch(client, url):
    """The response, its feed parsed by feedparser, and its XML root; fails unless it is well-formed Atom 1.0."""
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, (url, response.status_code)
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # raises on XML that is not well-formed
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(response.content)
    assert parsed.version == "atom10", parsed.version
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed, root


def raw_entries(root) -> list[dict]:
    """Each entry's elements as the XML holds them (after XML unescaping only): title, summary, content, authors."""
    entries = []
    for element in root.findall(f"{ATOM}entry"):
        entries.append(
            {
                "title": element.findtext(f"{ATOM}title"),
                "summary": element.findtext(f"{ATOM}summary") or "",
                "content": element.findtext(f"{ATOM}content") or "",
                "authors": [author.findtext(f"{ATOM}name") for author in element.findall(f"{ATOM}author")],
                "link": element.find(f"{ATOM}link").get("href"),
            }
        )
    return entries
