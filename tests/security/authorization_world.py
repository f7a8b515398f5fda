"""The people and objects the authorization matrix (test_authorization_matrix.py) asks with.

Two groups, one public and one private, hold the same people in the same roles; each group has a Scene of
everything its pages need (a topic, a thread and a post by the author, prompts in every state, a milestone, an
invitation, the applicant's request, the suspended member's sanction...). The matrix builds it once per test
module. Each role has a logged-in session, so a case only sets a cookie.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.test import Client
from django.utils import timezone

from discussions.emails import DIGEST_SCOPE, unsubscribe_token
from discussions.models import Notification
from discussions.models import FeedToken
from tests import factories
from topics import outcomes, polls, sanctions, scheduling
from topics.models import Group, JoinRequest, Membership, Milestone


# Roles: who asks. Each builder makes the person for both groups (or None for anonymous).


@dataclass(frozen=True)
class Role:
    name: str
    build: Callable[[list[Group]], object]

    def __str__(self):
        return self.name


def _with_role(name, role):
    def build(groups):
        user = factories.make_user(username=f"matrix-{name}")
        for group in groups:
            factories.make_membership(group=group, user=user, role=role)
        return user

    return build


def _applicant(groups):
    """Asked to join, not yet approved (in the public group a request left over from when it was private)."""
    user = factories.make_user(username="matrix-applicant")
    for group in groups:
        JoinRequest.objects.create(group=group, user=user, answers=[["Why?", "To learn."]])
    return user


def _owner_elsewhere(groups):
    user = factories.make_user(username="matrix-other-owner")
    elsewhere = factories.make_group(name="Matrix elsewhere", slug="matrix-elsewhere")
    factories.make_membership(group=elsewhere, user=user, role=Membership.Role.OWNER)
    return user


def _sanctioned(*, ban):
    def build(groups):
        user = factories.make_user(username=f"matrix-{'banned' if ban else 'suspended'}")
        now = timezone.now()
        for group in groups:
            target = factories.make_membership(group=group, user=user)
            owner = Membership.objects.get(group=group, role=Membership.Role.OWNER)  # built before, in ROLES order
            if ban:
                sanctions.ban_member(membership=target, actor=owner, reason="Spam.", now=now)
            else:
                ends_at = now + timedelta(days=30)
                sanctions.suspend_member(membership=target, actor=owner, ends_at=ends_at, reason="Heat.", now=now)
        return user

    return build


ROLES = [
    Role("anonymous", lambda groups: None),
    Role("non_member", lambda groups: factories.make_user(username="matrix-non-member")),
    Role("applicant", _applicant),
    Role("member", _with_role("member", Membership.Role.MEMBER)),
    Role("author", _with_role("author", Membership.Role.MEMBER)),  # a member who wrote the scene's thread and post
    Role("moderator", _with_role("moderator", Membership.Role.MODERATOR)),
    Role("owner", _with_role("owner", Membership.Role.OWNER)),
    Role("staff", lambda groups: factories.make_user(username="matrix-staff", is_staff=True)),  # site staff, no member
    Role("other_owner", _owner_elsewhere),  # runs a group of their own: no power in these two
    Role("suspended", _sanctioned(ban=False)),  # still a member, read-only for a month
    Role("banned", _sanctioned(ban=True)),  # no longer a member, and kept out
]


# The world: two groups, the same people in each, and in each group a scene of everything its pages need.


@dataclass
class Scene:
    visibility: str
    group: Group
    topic: object = None
    thread: object = None
    post: object = None
    draft_prompt: object = None
    open_prompt: object = None  # with a poll and an outcome
    closed_prompt: object = None
    milestone: object = None
    invitation: object = None  # a shareable link
    join_request: object = None  # the applicant's
    membership: object = None  # the member's
    sanction: object = None  # the suspended member's suspension
    member: object = None
    notification: object = None  # the member's
    unsubscribe_token: str = ""
    feed_token: object = None  # the member's secret feed address


@dataclass
class World:
    users: dict
    scenes: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)  # a logged-in session key per role: cheaper than a login per case


def _build_scene(visibility, group, users) -> Scene:
    now = timezone.now()
    moderator, author, member = users["moderator"], users["author"], users["member"]
    scene = Scene(visibility=visibility, group=group, member=member)
    scene.topic = factories.make_topic(group=group, slug=f"topic-{visibility}")
    scene.thread = factories.make_thread(scene.topic, author=author)
    scene.post = factories.make_post(scene.thread, author=author)
    scene.draft_prompt = factories.make_prompt(scene.topic, author=moderator)
    scene.open_prompt = factories.make_open_prompt(scene.topic, author=moderator)
    polls.save_poll(prompt=scene.open_prompt, kind="choice", options=["Yes", "No"])
    for prompt in (scene.open_prompt, None):  # the prompt's outcome, and the topic's summary
        outcomes.save_outcome(
            prompt=prompt, topic=scene.topic, author=moderator, takeaways="Payers want outcomes-based deals.",
            open_questions="", dissent="", review_on=None, now=now,
        )
    scene.closed_prompt = factories.make_open_prompt(scene.topic, author=moderator)
    scheduling.close_prompt(prompt_id=scene.closed_prompt.pk, now=now)
    scene.milestone = Milestone.objects.create(group=group, title="Readout", happens_at=now + timedelta(days=9))
    scene.invitation = factories.make_invitation(group, created_by=moderator)
    scene.join_request = JoinRequest.objects.get(group=group, user=users["applicant"])
    scene.membership = Membership.objects.get(group=group, user=member)
    scene.sanction = sanctions.Sanction.objects.get(group=group, user=users["suspended"])
    scene.notification = Notification.objects.create(
        user=member, kind="reply", group=group, thread=scene.thread, post=scene.post, actor=author
    )
    scene.unsubscribe_token = unsubscribe_token(member, DIGEST_SCOPE)
    scene.feed_token = FeedToken.objects.create(membership=scene.membership)
    return scene


def build_world() -> World:
    groups = {
        "public": factories.make_group(name="Matrix public", slug="matrix-public"),
        "private": factories.make_group(
            name="Matrix private", slug="matrix-private", visibility="private", membership_questions="Why?"
        ),
    }
    world = World(users={role.name: role.build(list(groups.values())) for role in ROLES})
    world.scenes = {visibility: _build_scene(visibility, group, world.users) for visibility, group in groups.items()}
    world.sessions = {name: _session_key(user) for name, user in world.users.items() if user is not None}
    return world


def _session_key(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
