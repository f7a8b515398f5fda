"""The thread page comes from the cache (whole for visitors, post by post for members) and is never stale: every
change shows on the very next request, for a visitor and for a member."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import changes, flags, moderation, reactions, services
from discussions.models import Post
from groupsite import freshness
from tests.factories import make_member, make_open_prompt, make_thread, make_topic, make_user
from tests.security.test_admin_derived_html import change_form, change_url
from topics import outcomes, polls, scheduling
from topics.models import Poll


@pytest.fixture
def scene(group, topic, moderator):
    """A thread of three posts by different members, and the people and places the changes need."""
    author = make_member(group=group, display_name="Ada Author")
    thread = make_thread(topic=topic, author=author, title="Reimbursement in Shanghai", body="Opening words.")
    replier = make_member(group=group, display_name="Rui Replier")
    reply = services.publish_post(thread=thread, author=replier, body="A first reply.")
    other_topic = make_topic(group=group, title="Market access", slug="access")
    return {
        "thread": thread,
        "author": author,
        "reply": reply,
        "replier": replier,
        "moderator": moderator,
        "other_topic": other_topic,
        "reactor": make_member(group=group),
    }


def change_in_the_admin(obj, **fields) -> None:
    """Save `obj` through its admin change form with `fields` changed, as site staff."""
    staff = Client()
    staff.force_login(make_user(is_staff=True, is_superuser=True))
    data = change_form(staff, obj) | {field: [value] for field, value in fields.items()} | {"_save": ["Save"]}
    assert staff.post(change_url(obj), data).status_code == HTTPStatus.FOUND


def reader(kind: str, group) -> Client:
    client = Client()
    if kind == "member":
        client.force_login(make_member(group=group))
    return client


def page(client, thread) -> str:
    thread.refresh_from_db()
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _reply(s):
    services.publish_post(thread=s["thread"], author=s["replier"], body="Brand-new evidence from Hangzhou.")


def _edit(s):
    services.edit_post(post=s["reply"], editor=s["replier"], body="A first reply, corrected.")


def _delete(s):
    services.delete_post(post=s["reply"], deleted_by=s["moderator"])


def _hide(s):
    flags.hide_post(post=s["reply"], moderator=s["moderator"], reason="Off topic")


def _flag_hide(s):
    group = s["thread"].topic.group
    group.flags_to_hide = 1
    group.save(update_fields=["flags_to_hide"])
    flags.flag_post(post=s["reply"], user=s["reactor"], reason="spam")


def _rename(s):
    moderation.rename_thread(thread=s["thread"], title="Reimbursement in Beijing", by=s["moderator"])


def _move(s):
    moderation.move_thread(thread=s["thread"], topic=s["other_topic"], by=s["moderator"])


def _lock(s):
    moderation.lock_thread(thread=s["thread"], by=s["moderator"])


def _slow_mode(s):
    moderation.set_slow_mode(thread=s["thread"], minutes=30, actor=s["moderator"], now=timezone.now())


def _react(s):
    reactions.set_reaction(post=s["reply"], user=s["reactor"], kind="insightful", on=True)


def _key_insight(s):
    outcomes.mark_key_insight(post=s["reply"], by=s["moderator"])


# (change, text that must show after it, text that must be gone after it)
CHANGES = [
    (_reply, "Brand-new evidence from Hangzhou.", None),
    (_edit, "A first reply, corrected.", "A first reply.</p>"),
    (_delete, "Post removed by a moderator.", "A first reply."),
    (_hide, "This post is hidden by the moderators.", "A first reply."),
    (_flag_hide, "This post is hidden by the moderators.", "A first reply."),
    (_rename, "Reimbursement in Beijing", "Reimbursement in Shanghai"),
    (_move, "Market access", None),
    (_lock, "This thread is closed", None),
    (_slow_mode, "Slow mode: one post per member every 30 minutes", None),
    (_react, '<span class="reaction__count">1</span>', None),
    (_key_insight, "badge--insight", None),
]


@pytest.mark.parametrize("kind", ["visitor", "member"])
@pytest.mark.parametrize("change, shown, gone", CHANGES, ids=[change.__name__.strip("_") for change, _, _ in CHANGES])
def test_a_change_shows_on_the_next_request(scene, group, kind, change, shown, gone):
    client = reader(kind, group)
    before = page(client, scene["thread"])
    page(client, scene["thread"])  # warm: the second request is served from the cache where it can be
    assert shown not in before

    change(scene)

    after = page(client, scene["thread"])
    assert shown in after
    if gone is not None:
        assert gone not in after


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_unhiding_and_dismissing_flags_show_the_post_again_at_once(scene, group, kind):
    client = reader(kind, group)
    _flag_hide(scene)
    assert "A first reply." not in page(client, scene["thread"])
    page(client, scene["thread"])

    flags.dismiss_flags(post=scene["reply"], moderator=scene["moderator"])
    assert "A first reply." in page(client, scene["thread"])

    _hide(scene)
    assert "A first reply." not in page(client, scene["thread"])
    flags.unhide_post(post=scene["reply"], moderator=scene["moderator"])
    assert "A first reply." in page(client, scene["thread"])


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_unlocking_and_taking_back_a_reaction_show_at_once(scene, group, kind):
    client = reader(kind, group)
    _lock(scene)
    _react(scene)
    assert "This thread is closed" in page(client, scene["thread"])
    page(client, scene["thread"])

    moderation.unlock_thread(thread=scene["thread"], by=scene["moderator"])
    reactions.set_reaction(post=scene["reply"], user=scene["reactor"], kind="insightful", on=False)

    after = page(client, scene["thread"])
    assert "This thread is closed" not in after
    assert '<span class="reaction__count">1</span>' not in after


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_a_display_name_changed_in_the_profile_shows_at_once(scene, group, kind):
    client = reader(kind, group)
    assert "Rui Replier" in page(client, scene["thread"])
    page(client, scene["thread"])
    own = Client()
    own.force_login(scene["replier"])

    response = own.post(reverse("edit_profile"), {"display_name": "Rui Renamed", "language": ""})

    assert response.status_code == HTTPStatus.FOUND
    after = page(client, scene["thread"])
    assert "Rui Renamed" in after
    assert "Rui Replier" not in after


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_a_display_name_changed_in_the_admin_shows_at_once(scene, group, kind):
    client = reader(kind, group)
    assert "Rui Replier" in page(client, scene["thread"])
    page(client, scene["thread"])
    change_in_the_admin(scene["replier"], display_name="Rui Renamed")

    after = page(client, scene["thread"])
    assert "Rui Renamed" in after
    assert "Rui Replier" not in after


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_a_role_changed_in_the_admin_shows_its_badge_at_once(scene, group, kind):
    client = reader(kind, group)
    assert "role-badge--moderator" not in page(client, scene["thread"])
    page(client, scene["thread"])
    membership = scene["replier"].memberships.get(group=group)
    change_in_the_admin(membership, role="moderator")

    assert "role-badge--moderator" in page(client, scene["thread"])


@pytest.fixture
def prompt_thread(topic, moderator):
    prompt = make_open_prompt(topic, author=moderator, title="What do payers think?")
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"], results_visibility=Poll.Results.ALWAYS)
    return prompt, poll


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_closing_and_reopening_a_prompt_show_at_once(prompt_thread, group, moderator, kind):
    prompt, _ = prompt_thread
    client = reader(kind, group)
    assert "This prompt is closed" not in page(client, prompt.thread)
    page(client, prompt.thread)

    scheduling.close_prompt(prompt_id=prompt.pk, now=timezone.now(), by=moderator)
    assert "This prompt is closed" in page(client, prompt.thread)

    scheduling.reopen_prompt(prompt_id=prompt.pk, now=timezone.now(), closes_at=timezone.now() + timedelta(days=2))
    assert "This prompt is closed" not in page(client, prompt.thread)


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_a_vote_and_an_outcome_show_in_the_prompt_panel_at_once(prompt_thread, group, topic, moderator, kind):
    prompt, poll = prompt_thread
    client = reader(kind, group)
    before = page(client, prompt.thread)
    page(client, prompt.thread)

    voter = make_member(group=group)
    polls.cast_vote(poll=poll, user=voter, option_id=poll.options.get(label="Yes").pk, reason="", now=timezone.now())
    outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="Payers want real-world data.", now=timezone.now()
    )

    after = page(client, prompt.thread)
    assert after != before
    assert "Payers want real-world data." in after


def test_a_pin_moves_the_topic_and_group_on_for_their_pages(scene, topic, group):
    scopes = [freshness.topic_scope(topic.pk), freshness.group_scope(group.pk)]
    before = freshness.versions(scopes)

    moderation.pin_thread(thread=scene["thread"], by=scene["moderator"])

    assert all(after != earlier for after, earlier in zip(freshness.versions(scopes), before))


def test_a_move_moves_on_both_topics(scene, topic):
    scopes = [freshness.topic_scope(topic.pk), freshness.topic_scope(scene["other_topic"].pk)]
    before = freshness.versions(scopes)

    _move(scene)

    assert all(after != earlier for after, earlier in zip(freshness.versions(scopes), before))


def test_a_visitors_thread_page_is_served_from_the_cache(scene, django_assert_max_num_queries):
    client = Client()
    first = client.get(scene["thread"].get_absolute_url())
    assert not first.cookies  # a page that set a cookie would never be kept (groupsite.page_cache.keep)
    with django_assert_max_num_queries(2):  # where the thread lives, and the access check
        second = client.get(scene["thread"].get_absolute_url())
    assert second.content == first.content


def test_a_members_posts_come_from_the_cache(scene, group):
    """Proof that the cache is used: a change made behind the services' back (announcing nothing) is not seen."""
    client = reader("member", group)
    page(client, scene["thread"])
    Post.objects.filter(pk=scene["reply"].pk).update(body_html="<p>Written behind the cache's back.</p>")

    assert "A first reply." in page(client, scene["thread"])
    changes.post_changed(scene["reply"])
    assert "Written behind the cache's back." in page(client, scene["thread"])


@pytest.mark.parametrize("kind", ["visitor", "member"])
def test_an_edit_in_the_admin_shows_at_once(scene, group, kind):
    client = reader(kind, group)
    page(client, scene["thread"])
    page(client, scene["thread"])
    change_in_the_admin(scene["reply"], body="Corrected by the staff.")

    assert "Corrected by the staff." in page(client, scene["thread"])
