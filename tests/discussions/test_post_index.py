"""How a post looks to a reader is decided in one place (discussions.post_index.reader_bits), from the post's facts
and the reader's marks: it must agree with the rules the post views enforce (Post.can_edit, Post.can_read_hidden),
and a post's reaction page must offer the same as its thread page (the flag, and the reader's own marks)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import flags, post_index, reactions, services
from discussions.post_fragments import posts_queryset
from tests.factories import make_member, make_moderator, make_thread, make_user
from topics import sanctions
from topics.access import reader_membership


@pytest.fixture
def world(group, topic):
    author = make_member(group=group)
    moderator = make_moderator(group=group)
    thread = make_thread(topic=topic, author=author, body="Opening.")
    normal = services.publish_post(thread=thread, author=author, body="Normal.")
    removed = services.publish_post(thread=thread, author=author, body="Removed.")
    services.delete_post(post=removed, deleted_by=author)
    hidden = services.publish_post(thread=thread, author=author, body="Hidden.")
    flags.hide_post(post=hidden, moderator=moderator, reason="Off topic")
    suspended = make_member(group=group)
    now = timezone.now()
    sanctions.suspend_member(
        membership=suspended.memberships.get(group=group), actor=moderator.memberships.get(group=group), ends_at=now + timedelta(days=1),
        reason="Heat.", now=now,
    )
    readers = {
        "visitor": AnonymousUser(),
        "author": author,
        "member": make_member(group=group),
        "moderator": moderator,
        "suspended": suspended,
        "outsider": make_user(),
    }
    return {"thread": thread, "posts": [thread.posts.get(number=1), normal, removed, hidden], "readers": readers}


def _reader(user, thread):
    membership = reader_membership(user, thread.topic.group)
    sanction = sanctions.sanction_on_reader(user=user, group=thread.topic.group, membership=membership)
    return membership, post_index.reader_of(user, membership, suspended=sanction is not None, thread_id=thread.pk)


@pytest.mark.parametrize("who", ["visitor", "author", "member", "moderator", "suspended", "outsider"])
def test_the_bits_follow_the_posts_own_rules(world, who):
    user, thread = world["readers"][who], world["thread"]
    membership, reader = _reader(user, thread)
    posts = {post.pk: post for post in posts_queryset(thread)}

    for post in world["posts"]:
        loaded = posts[post.pk]
        editable, hidden_readable, can_flag, _, can_react, _, is_own, _ = post_index.reader_bits(
            post_index.facts_of(loaded), reader
        )
        assert editable == loaded.can_edit(user, membership), (who, post.body)
        assert hidden_readable == loaded.can_read_hidden(user, membership), (who, post.body)
        assert is_own == (who == "author")
        in_good_standing = who in {"author", "member", "moderator"}
        assert can_react == (in_good_standing and not is_own and not loaded.is_deleted and not loaded.is_hidden)
        assert can_flag == (who == "member" and not loaded.is_deleted)


def test_a_readers_marks_are_their_own_and_one_query(world):
    thread, member, other = world["thread"], world["readers"]["member"], world["readers"]["moderator"]
    normal = world["posts"][1]
    reactions.set_reaction(post=normal, user=member, kind="agree", on=True)
    reactions.set_reaction(post=normal, user=member, kind="thanks", on=True)
    reactions.set_reaction(post=normal, user=other, kind="insightful", on=True)
    reactions.set_bookmark(post=normal, user=member, on=True)
    flags.flag_post(post=normal, user=member, reason="spam")

    membership = reader_membership(member, thread.topic.group)
    with CaptureQueriesContext(connection) as queries:
        reader = post_index.reader_of(member, membership, suspended=False, thread_id=thread.pk)

    assert len(queries) == 1
    assert reader.reactions == {normal.pk: frozenset({"agree", "thanks"})}
    assert reader.bookmarks == {normal.pk} and reader.flags == {normal.pk}
    facts = post_index.facts_of(posts_queryset(thread).get(pk=normal.pk))
    assert facts.reaction_counts == (1, 1, 0, 1)  # agree, insightful, needs evidence, thanks
    bits = post_index.reader_bits(facts, reader)
    assert bits[3] and bits[5] and bits[7] == ("agree", "thanks")
    assert post_index.reader_bits(facts, _reader(other, thread)[1])[7] == ("insightful",)


@pytest.mark.parametrize("who", ["author", "member", "moderator", "suspended"])
def test_the_reaction_page_offers_the_flag_exactly_when_the_thread_page_does(client, world, who):
    user, thread, normal = world["readers"][who], world["thread"], world["posts"][1]
    facts = post_index.facts_of(posts_queryset(thread).get(pk=normal.pk))
    may_flag = post_index.reader_bits(facts, _reader(user, thread)[1])[2]
    client.force_login(user)

    html = client.get(reverse("discussions:react", args=[normal.pk])).content.decode()

    assert may_flag == (who == "member")  # only a member in good standing may flag someone else's post
    assert (reverse("discussions:flag_post", args=[normal.pk]) in html) == may_flag


def test_the_reaction_page_shows_the_reader_s_own_bookmark_and_flag_and_no_one_else_s(client, world, group):
    member, normal = world["readers"]["member"], world["posts"][1]
    other = make_member(group=group)
    reactions.set_bookmark(post=normal, user=other, on=True)
    flags.flag_post(post=normal, user=other, reason="spam")
    client.force_login(member)
    react_url = reverse("discussions:react", args=[normal.pk])
    pressed = 'class="bookmark-button" aria-pressed="true"'

    before = client.get(react_url).content.decode()
    reactions.set_bookmark(post=normal, user=member, on=True)
    flags.flag_post(post=normal, user=member, reason="spam")
    after = client.get(react_url).content.decode()

    assert pressed not in before and ">Flagged<" not in before
    assert reverse("discussions:flag_post", args=[normal.pk]) in before
    assert pressed in after and ">Flagged<" in after
    assert reverse("discussions:flag_post", args=[normal.pk]) not in after
