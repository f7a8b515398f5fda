"""Behaviours mended after a review: each was once wrong."""

from datetime import time, timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from discussions import services as discussion_services
from tests import factories
from topics.models import Membership, PromptProgramme


def test_the_home_page_counts_every_member_of_a_private_group_for_its_members(client, private_group):
    members = [factories.make_member(group=private_group) for _ in range(4)]
    client.force_login(members[0])
    response = client.get(reverse("topics:home"))
    [shown] = [group for group in response.context["groups"] if group.pk == private_group.pk]
    assert shown.members == 4


def test_previewing_an_evidence_post_without_its_source_still_previews_the_text(client, thread):
    client.force_login(thread.author)
    response = client.post(reverse("discussions:preview"), {"body": "**Bold**", "role": "evidence"})
    assert response.status_code == HTTPStatus.OK
    assert "<strong>Bold</strong>" in response.content.decode()


def test_a_reply_is_refused_when_the_thread_closed_after_the_page_was_read(thread, member):
    stale = type(thread).objects.get(pk=thread.pk)
    type(thread).objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(PermissionDenied):
        discussion_services.publish_post(thread=stale, author=member, body="Too late.")
    assert thread.posts.count() == 1


def test_an_edit_keeps_the_text_another_editor_saved_meanwhile_as_a_revision(thread, moderator):
    post = thread.posts.get()
    first_view = type(post).objects.get(pk=post.pk)
    second_view = type(post).objects.get(pk=post.pk)
    discussion_services.edit_post(post=first_view, editor=thread.author, body="First edit.")
    discussion_services.edit_post(post=second_view, editor=moderator, body="Second edit.")
    assert list(post.revisions.values_list("body", flat=True).order_by("pk")) == [post.body, "First edit."]


def test_the_member_list_shows_owners_then_moderators_then_members(client, group, member, moderator):
    owner = factories.make_user(display_name="Zed Owner")
    Membership.objects.create(group=group, user=owner, role=Membership.Role.OWNER)
    response = client.get(reverse("topics:members", args=[group.slug]))
    roles = [m.role for m in response.context["page"].object_list]
    assert roles == sorted(roles, key=["owner", "moderator", "member"].index)


def test_an_owner_can_make_emails_titles_only_from_the_settings_page(client, group):
    owner = factories.make_user()
    Membership.objects.create(group=group, user=owner, role=Membership.Role.OWNER)
    client.force_login(owner)
    data = {
        "name": group.name,
        "description": "",
        "visibility": "public",
        "membership_questions": "",
        "timezone": "UTC",
        "evidence_stale_after_days": 180,
        "emails_titles_only": "on",
    }
    response = client.post(reverse("topics:group_settings", args=[group.slug]), data)
    assert response.status_code == HTTPStatus.FOUND
    group.refresh_from_db()
    assert group.emails_titles_only


def test_a_new_time_zone_moves_the_programme_to_the_same_local_time(client, group):
    owner = factories.make_user()
    Membership.objects.create(group=group, user=owner, role=Membership.Role.OWNER)
    programme = PromptProgramme.objects.create(group=group, weekday=1, time_of_day=time(9, 0))
    programme.next_release_at = timezone.now() + timedelta(days=1)
    programme.save()
    client.force_login(owner)
    data = {
        "name": group.name,
        "description": "",
        "visibility": "public",
        "membership_questions": "",
        "timezone": "Asia/Shanghai",
        "evidence_stale_after_days": 180,
    }
    client.post(reverse("topics:group_settings", args=[group.slug]), data)
    programme.refresh_from_db()
    local = programme.next_release_at.astimezone(group.__class__.objects.get(pk=group.pk).tzinfo)
    assert (local.weekday(), local.hour, local.minute) == (1, 9, 0)
