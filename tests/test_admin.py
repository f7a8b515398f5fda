import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group as PermissionGroup
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from groupsite.models import OutboxMessage

from discussions import flags
from discussions import services as discussion_services
from discussions.models import DigestDelivery, Notification, Subscription, ThreadRead
from discussions.reactions import Bookmark, Reaction
from discussions.models import FeedToken
from tests import factories
from topics import outcomes, polls, scheduling
from topics import audit, sanctions
from topics.audit import AuditEntry
from topics.models import Membership, Milestone, Prompt, PromptProgramme
from topics.sanctions import Sanction
from topics import services as topic_services

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
IDS = [model._meta.label for model in REGISTERED]
# Records nobody may write by hand: the admin shows them, and offers no add page.
READ_ONLY = {AuditEntry, Bookmark, FeedToken, OutboxMessage, Reaction, Sanction}


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def superuser(db):
    return factories.make_user(is_staff=True, is_superuser=True)


@pytest.fixture(scope="module")
def one_of_everything(django_db_setup, django_db_blocker):
    """At least one row in every admin table, so changelists and change forms render real objects.

    Built once for the module (it took about a second per test), inside a transaction rolled back after the module's
    last test; each test runs in a transaction of its own within it."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hasher:
        _make_one_of_everything()
        yield
        transaction.set_rollback(True)


def _make_one_of_everything() -> None:
    topic = factories.make_topic(group=factories.make_group(name="Admin tables group"))
    member = factories.make_member(group=topic.group)
    moderator = factories.make_moderator(group=topic.group)
    private_group = factories.make_group(
        name="Admin tables private group", visibility="private", membership_questions="What is your role?"
    )
    thread = factories.make_thread(topic=topic, author=member)
    post = factories.make_post(thread=thread, author=member)
    discussion_services.edit_post(post=post, editor=member, body="Edited.")
    topic_services.request_to_join(group=private_group, user=member, answers=[("What is your role?", "Clinician.")])
    factories.make_invitation(group=topic.group, email="guest@example.org", created_by=moderator)
    factories.make_invitation(group=topic.group, revoked_at=timezone.now())
    PermissionGroup.objects.create(name="Editors")
    now = timezone.now()
    prompt = factories.make_prompt(topic, author=moderator)
    polls.save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now, allowed_from=(Prompt.Status.DRAFT,))
    polls.cast_vote(poll=prompt.poll, user=member, option_id=prompt.poll.options.first().pk, reason="", now=now)
    outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="Yes.", open_questions="", dissent="", review_on=None, now=now
    )
    milestone = Milestone.objects.create(group=topic.group, title="Approval decision", happens_at=now)
    PromptProgramme.objects.create(group=topic.group, last_prompt=prompt)
    Subscription.objects.create(user=member, group=topic.group)
    Notification.objects.create(user=moderator, kind="reply", group=topic.group, thread=thread, post=post, actor=member)
    ThreadRead.objects.create(user=member, thread=thread, last_read_number=2)
    DigestDelivery.objects.create(user=member, period=now.date(), frequency="weekly", covers_from=now, covers_until=now)
    audit.record(actor=moderator, action=AuditEntry.Action.PIN, group=topic.group, thread=thread, summary=thread.title)
    sanctions.suspend_member(
        membership=Membership.objects.get(group=topic.group, user=member),
        actor=Membership.objects.get(group=topic.group, user=moderator),
        ends_at=now + timedelta(days=1),
        reason="Cooling off.",
        now=now,
    )
    OutboxMessage.objects.create(task="groupsite.tasks.deliver_email", args=[])
    FeedToken.objects.create(membership=Membership.objects.get(group=topic.group, user=moderator))
    flags.flag_post(post=post, user=moderator, reason="other", text="Needs a source.")
    Reaction.objects.create(post=post, user=moderator, kind=Reaction.Kind.INSIGHTFUL)
    Bookmark.objects.create(post=post, user=moderator)
    assert milestone.pk


def test_the_admin_names_every_kind_of_record_with_an_english_plural():
    # Django makes a plural by adding "s": "digest deliverys", "boxs", "matchs".
    naive = [
        model._meta.verbose_name_plural
        for model in REGISTERED
        if re.search(r"([^aeiou]ys|[sxz]s|[cs]hs)$", str(model._meta.verbose_name_plural))
    ]

    assert naive == []


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_a_superuser_can_open_every_changelist(client, superuser, one_of_everything, model):
    client.force_login(superuser)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_a_superuser_can_search_every_changelist(client, superuser, one_of_everything, model):
    client.force_login(superuser)
    response = client.get(admin_url(model, "changelist"), {"q": "x"})
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_a_superuser_can_open_every_add_page(client, superuser, model):
    client.force_login(superuser)
    response = client.get(admin_url(model, "add"))
    assert response.status_code == (HTTPStatus.FORBIDDEN if model in READ_ONLY else HTTPStatus.OK)


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_a_superuser_can_open_the_change_page_of_every_model(client, superuser, one_of_everything, model):
    instance = model._default_manager.first()
    client.force_login(superuser)
    response = client.get(admin_url(model, "change", instance.pk))
    assert response.status_code == HTTPStatus.OK


def test_searching_the_group_changelist_finds_a_group_by_name(client, superuser, group, private_group):
    client.force_login(superuser)
    response = client.get(admin_url(type(group), "changelist"), {"q": "CAR-T"})
    assert list(response.context["cl"].result_list) == [group]


def test_staff_without_superuser_rights_cannot_open_the_admin_changelists(client, db):
    staff = factories.make_user(is_staff=True)
    client.force_login(staff)
    response = client.get(admin_url(type(staff), "changelist"))
    assert response.status_code == HTTPStatus.FORBIDDEN
