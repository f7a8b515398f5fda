"""No reader ever sees another member's personal parts of a thread page from the cache: edit links, pressed
reactions, bookmarks, flags, the unread marker, the CSRF token."""

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from discussions import flags, reactions, services
from discussions.post_fragments import csrf_placeholder
from tests.factories import make_member, make_thread

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def alice_has_left_her_marks(group, topic):
    """Alice wrote a post, reacted to one, bookmarked one, flagged one and has unread posts waiting."""
    alice = make_member(group=group, display_name="Alice")
    thread = make_thread(topic=topic, body="Opening words.")
    opening = thread.posts.get()
    own = services.publish_post(thread=thread, author=alice, body="Alice's own post.")
    other = services.publish_post(thread=thread, author=make_member(group=group), body="Someone else's post.")
    flagged = services.publish_post(thread=thread, author=make_member(group=group), body="A doubtful post.")
    reactions.set_reaction(post=opening, user=alice, kind="agree", on=True)
    reactions.set_bookmark(post=other, user=alice, on=True)
    flags.flag_post(post=flagged, user=alice, reason="spam")
    client = Client()
    client.force_login(alice)
    client.get(thread.get_absolute_url())  # her read marker, at the last post
    services.publish_post(thread=thread, author=make_member(group=group), body="News since Alice's visit.")
    return client, thread, own


def test_alices_page_shows_her_own_parts(alice_has_left_her_marks):
    """The other tests look for these marks and must not find them: here they are, on Alice's own page."""
    alice, thread, own = alice_has_left_her_marks
    html = alice.get(thread.get_absolute_url()).content.decode()

    assert reverse("discussions:edit_post", args=[own.pk]) in html
    assert 'class="reaction" aria-pressed="true"' in html
    assert 'bookmark-button" aria-pressed="true"' in html
    assert ">Flagged<" in html
    assert "Jump to the first unread post" in html
    assert TOKEN.search(html)
    assert csrf_placeholder() not in html


@pytest.mark.parametrize("kind", ["member", "visitor"])
def test_nobody_else_sees_alices_parts(alice_has_left_her_marks, group, kind):
    alice, thread, own = alice_has_left_her_marks
    alice_html = alice.get(thread.get_absolute_url()).content.decode()  # her parts are in the cache now
    other = Client()
    if kind == "member":
        other.force_login(make_member(group=group))

    html = other.get(thread.get_absolute_url()).content.decode()

    assert reverse("discussions:edit_post", args=[own.pk]) not in html
    assert 'aria-pressed="true"' not in html.split('class="language-switch"')[0]  # the language switch has its own
    assert ">Flagged<" not in html
    assert "Jump to the first unread post" not in html
    assert csrf_placeholder() not in html
    for token in set(TOKEN.findall(alice_html)):
        assert token not in html


def test_the_token_on_another_members_page_is_their_own_and_works(alice_has_left_her_marks, group):
    alice, thread, _ = alice_has_left_her_marks
    alice.get(thread.get_absolute_url())
    bob = Client(enforce_csrf_checks=True)
    bob.force_login(make_member(group=group))
    html = bob.get(thread.get_absolute_url()).content.decode()
    tokens = set(TOKEN.findall(html))
    post = thread.posts.get(number=1)

    response = bob.post(reverse("discussions:react", args=[post.pk]), {"csrfmiddlewaretoken": tokens.pop(), "kind": "thanks", "on": "1"})

    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.OK)
    assert post.reactions.filter(kind="thanks").count() == 1
