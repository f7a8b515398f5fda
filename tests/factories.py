"""Plain factory functions: every argument optional, every default unique."""

from datetime import timedelta
from itertools import count

from allauth.account.models import EmailAddress
from django.utils import timezone

from discussions import services as discussion_services
from discussions.models import Post, Thread
from groupsite.models import User
from topics.models import Group, Invitation, Membership, Topic

_counter = count(1)
PASSWORD = "correct horse battery staple"


def make_user(*, verified: bool = True, **fields) -> User:
    n = next(_counter)
    defaults = {"username": f"person{n}", "email": f"person{n}@example.org", "display_name": f"Person {n}"}
    fields = defaults | fields
    user = User.objects.create_user(password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def make_group(**fields) -> Group:
    n = next(_counter)
    defaults = {"name": f"Group {n}", "slug": f"group-{n}", "visibility": Group.Visibility.PUBLIC}
    return Group.objects.create(**(defaults | fields))


def make_membership(*, group: Group | None = None, user: User | None = None, role=Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(group=group or make_group(), user=user or make_user(), role=role)


def make_member(group: Group | None = None, **fields) -> User:
    user = make_user(**fields)
    make_membership(group=group or make_group(), user=user)
    return user


def make_moderator(group: Group | None = None, **fields) -> User:
    user = make_user(**fields)
    make_membership(group=group or make_group(), user=user, role=Membership.Role.MODERATOR)
    return user


def make_topic(group: Group | None = None, **fields) -> Topic:
    n = next(_counter)
    defaults = {"title": f"Topic {n}", "slug": f"topic-{n}", "position": n, "briefing": f"Briefing {n}."}
    return Topic.objects.create(group=group or make_group(), **(defaults | fields))


def make_thread(topic: Topic | None = None, author: User | None = None, **fields) -> Thread:
    topic = topic or make_topic()
    if author is None:
        author = make_member(group=topic.group)
    n = next(_counter)
    return discussion_services.start_thread(
        topic=topic,
        author=author,
        title=fields.get("title", f"Thread {n}"),
        body=fields.get("body", f"Opening post {n}."),
    )


def make_post(thread: Thread | None = None, author: User | None = None, body: str | None = None) -> Post:
    thread = thread or make_thread()
    if author is None:
        author = make_member(group=thread.topic.group)
    return discussion_services.publish_post(thread=thread, author=author, body=body or f"Reply {next(_counter)}.")


def make_invitation(group: Group | None = None, *, email: str = "", expires_in=timedelta(days=7), **fields) -> Invitation:
    return Invitation.objects.create(
        group=group or make_group(), email=email, expires_at=timezone.now() + expires_in, **fields
    )


def make_prompt(topic: Topic | None = None, *, author: User | None = None, **fields):
    """A draft prompt; pass status/publish_at to schedule it, or call publish_open_prompt."""
    from topics.models import Prompt

    topic = topic or make_topic()
    if author is None:
        author = make_moderator(group=topic.group)
    n = next(_counter)
    defaults = {"title": f"Prompt question {n}?", "context": f"Context {n}.", "status": Prompt.Status.DRAFT}
    return Prompt.objects.create(topic=topic, author=author, **(defaults | fields))


def make_open_prompt(topic: Topic | None = None, **fields):
    """A published prompt with its discussion thread (prompt.thread)."""
    from topics.models import Prompt
    from topics.scheduling import publish_prompt

    prompt = make_prompt(topic, **fields)
    publish_prompt(prompt_id=prompt.pk, now=timezone.now(), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    return prompt
