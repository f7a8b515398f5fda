"""Every moderator action, performed through its page, writes exactly one moderation log entry (issue 8, item 7)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import flags
from discussions.models import Flag
from tests.factories import (
    make_invitation,
    make_member,
    make_membership,
    make_moderator,
    make_open_prompt,
    make_prompt,
    make_thread,
    make_topic,
    make_user,
)
from topics import audit
from topics.audit import AuditAction, AuditEntry
from topics.models import JoinRequest, Membership, Prompt


@pytest.fixture
def thread(topic, member):
    return make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")


@pytest.fixture
def post(thread):
    return thread.posts.get()


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


def only_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1, entries
    return entries[0]


def assert_logged(action, actor, group, **targets):
    entry = only_entry()
    assert (entry.action, entry.actor, entry.group) == (action, actor, group)
    for name, value in targets.items():
        assert getattr(entry, name) == value, name
    return entry


def thread_url(name, thread) -> str:
    return reverse(f"discussions:{name}", args=[thread.pk])


def test_pinning_a_thread_is_logged(moderator_client, moderator, group, thread):
    moderator_client.post(thread_url("pin_thread", thread))
    assert_logged(AuditAction.PIN, moderator, group, thread=thread)


def test_unpinning_a_thread_is_logged(moderator_client, moderator, group, thread):
    thread.is_pinned = True
    thread.save()
    moderator_client.post(thread_url("unpin_thread", thread))
    assert_logged(AuditAction.UNPIN, moderator, group, thread=thread)


def test_closing_a_thread_is_logged(moderator_client, moderator, group, thread):
    moderator_client.post(thread_url("lock_thread", thread))
    assert_logged(AuditAction.LOCK, moderator, group, thread=thread)


def test_reopening_a_thread_is_logged(moderator_client, moderator, group, thread):
    thread.is_locked = True
    thread.save()
    moderator_client.post(thread_url("unlock_thread", thread))
    assert_logged(AuditAction.UNLOCK, moderator, group, thread=thread)


def test_an_action_that_changes_nothing_is_not_logged(moderator_client, thread):
    moderator_client.post(thread_url("unpin_thread", thread))
    assert not AuditEntry.objects.exists()


def test_renaming_a_thread_is_logged_with_both_titles(moderator_client, moderator, group, thread):
    moderator_client.post(thread_url("rename_thread", thread), {"title": "Who pays, and how much?"})
    entry = assert_logged(AuditAction.RENAME, moderator, group, thread=thread)
    assert entry.summary == "“Who pays for CAR-T?” → “Who pays, and how much?”"


def test_moving_a_thread_is_logged(moderator_client, moderator, group, thread):
    other = make_topic(group=group, title="Access")
    moderator_client.post(thread_url("move_thread", thread), {"topic": other.pk})
    entry = assert_logged(AuditAction.MOVE, moderator, group, thread=thread)
    assert "Access" in entry.summary


def test_editing_another_members_post_is_logged(moderator_client, moderator, member, group, post):
    moderator_client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": "Edited by a moderator."})
    assert_logged(AuditAction.EDIT_POST, moderator, group, post=post, target_user=member)


def test_editing_ones_own_post_is_not_logged(client, member, post):
    client.force_login(member)
    client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": "Second thoughts."})
    assert not AuditEntry.objects.exists()


def test_deleting_another_members_post_is_logged_with_the_reason(moderator_client, moderator, member, group, post):
    moderator_client.post(reverse("discussions:delete_post", args=[post.pk]), {"reason": "Advertising"})
    entry = assert_logged(AuditAction.DELETE_POST, moderator, group, post=post, target_user=member)
    assert entry.reason == "Advertising"


def test_deleting_ones_own_post_is_not_logged(client, member, post):
    client.force_login(member)
    client.post(reverse("discussions:delete_post", args=[post.pk]))
    assert not AuditEntry.objects.exists()


def test_hiding_a_post_is_logged_with_the_reason(moderator_client, moderator, member, group, post):
    moderator_client.post(reverse("discussions:hide_post", args=[post.pk]), {"reason": "Off-topic"})
    entry = assert_logged(AuditAction.HIDE_POST, moderator, group, post=post, target_user=member)
    assert entry.reason == "Off-topic"


def test_unhiding_a_post_is_logged(moderator_client, moderator, member, group, post):
    flags.hide_post(post=post, moderator=moderator)
    moderator_client.post(reverse("discussions:unhide_post", args=[post.pk]))
    entry = AuditEntry.objects.filter(action=AuditAction.UNHIDE_POST).get()
    assert (entry.actor, entry.post) == (moderator, post)
    assert AuditEntry.objects.count() == 2


def test_dismissing_flags_is_logged(moderator_client, moderator, member, group, post):
    Flag.objects.create(post=post, flagged_by=make_member(group=group), reason="spam")
    moderator_client.post(reverse("discussions:dismiss_flags", args=[post.pk]), {"reason": "Fair comment"})
    entry = assert_logged(AuditAction.FLAG_DISMISSED, moderator, group, post=post, target_user=member)
    assert entry.reason == "Fair comment"


def test_a_post_hidden_by_flags_is_logged_without_a_moderator(group, post):
    group.flags_to_hide = 1
    group.save()
    flags.flag_post(post=post, user=make_member(group=group), reason="spam")
    assert_logged(AuditAction.HIDE_POST, None, group, post=post)


def test_warning_an_author_is_logged_with_the_message(moderator_client, moderator, member, group, post):
    moderator_client.post(reverse("discussions:warn_author", args=[post.pk]), {"message": "Keep it civil."})
    entry = assert_logged(AuditAction.WARN, moderator, group, post=post, target_user=member)
    assert entry.reason == "Keep it civil."


def test_changing_a_role_is_logged(client, group, member):
    owner = make_user()
    make_membership(group=group, user=owner, role=Membership.Role.OWNER)
    client.force_login(owner)
    target = Membership.objects.get(group=group, user=member)
    client.post(reverse("topics:change_role", args=[group.slug, target.pk]), {"role": "moderator"})
    entry = assert_logged(AuditAction.ROLE_CHANGE, owner, group, target_user=member)
    assert entry.summary.endswith("Member → Moderator")


def test_removing_a_member_is_logged_with_the_reason(moderator_client, moderator, group, member):
    target = Membership.objects.get(group=group, user=member)
    moderator_client.post(reverse("topics:remove_member", args=[group.slug, target.pk]), {"reason": "Spam account"})
    entry = assert_logged(AuditAction.REMOVE_MEMBER, moderator, group, target_user=member)
    assert entry.reason == "Spam account"


@pytest.mark.parametrize(("decision", "action"), [("approve", AuditAction.JOIN_APPROVED), ("decline", AuditAction.JOIN_DECLINED)])
def test_a_join_decision_is_logged(client, private_group, decision, action):
    moderator = make_moderator(group=private_group)
    asker = make_user()
    join_request = JoinRequest.objects.create(group=private_group, user=asker)
    client.force_login(moderator)
    client.post(reverse("topics:decide_join_request", args=[private_group.slug, join_request.pk]), {"decision": decision})
    assert_logged(action, moderator, private_group, target_user=asker)


def test_an_email_invitation_is_logged(moderator_client, moderator, group):
    moderator_client.post(reverse("topics:invitations", args=[group.slug]), {"email": "new@example.org"})
    entry = assert_logged(AuditAction.INVITE, moderator, group)
    assert entry.summary == "new@example.org"


def test_an_invitation_link_is_logged(moderator_client, moderator, group):
    moderator_client.post(reverse("topics:invitations", args=[group.slug]), {"kind": "link"})
    assert_logged(AuditAction.INVITE, moderator, group)


def test_revoking_an_invitation_is_logged(moderator_client, moderator, group):
    invitation = make_invitation(group=group, email="late@example.org")
    moderator_client.post(reverse("topics:revoke_invitation", args=[group.slug, invitation.pk]))
    entry = assert_logged(AuditAction.REVOKE_INVITATION, moderator, group)
    assert entry.summary == "late@example.org"


def test_publishing_a_prompt_by_hand_is_logged(moderator_client, moderator, group, topic):
    prompt = make_prompt(topic=topic, author=moderator)
    moderator_client.post(reverse("topics:prompt_publish", args=[group.slug, prompt.pk]))
    assert_logged(AuditAction.PROMPT_PUBLISH, moderator, group, prompt=prompt)


def test_publishing_from_the_new_prompt_form_is_logged_once(moderator_client, moderator, group, topic):
    data = {
        "topic": topic.pk,
        "title": "Will provincial pricing converge?",
        "context": "",
        "when": "now",
        "poll_results_visibility": "after_voting",
    }
    moderator_client.post(reverse("topics:prompt_new", args=[group.slug]), data)
    assert_logged(AuditAction.PROMPT_PUBLISH, moderator, group, prompt=Prompt.objects.get())


def test_closing_a_prompt_by_hand_is_logged(moderator_client, moderator, group, topic):
    prompt = make_open_prompt(topic=topic, author=moderator)
    moderator_client.post(reverse("topics:prompt_close", args=[group.slug, prompt.pk]))
    assert_logged(AuditAction.PROMPT_CLOSE, moderator, group, prompt=prompt, thread=prompt.thread)


def test_reopening_a_prompt_is_logged(moderator_client, moderator, group, topic):
    prompt = make_open_prompt(topic=topic, author=moderator)
    Prompt.objects.filter(pk=prompt.pk).update(status=Prompt.Status.CLOSED, closed_at=timezone.now())
    moderator_client.post(reverse("topics:prompt_reopen", args=[group.slug, prompt.pk]), {"closes_at": ""})
    assert_logged(AuditAction.PROMPT_REOPEN, moderator, group, prompt=prompt)


def test_the_schedule_publishing_a_prompt_is_not_a_moderator_action(group, topic):
    from topics.scheduling import publish_due_prompts

    now = timezone.now()
    make_prompt(topic=topic, status=Prompt.Status.SCHEDULED, publish_at=now - timedelta(minutes=1))
    publish_due_prompts(now=now)
    assert not AuditEntry.objects.exists()


def test_writing_an_outcome_is_logged(moderator_client, moderator, group, topic):
    prompt = make_open_prompt(topic=topic, author=moderator)
    moderator_client.post(
        reverse("topics:prompt_outcome", args=[group.slug, prompt.pk]), {"takeaways": "Payers want outcomes."}
    )
    assert_logged(AuditAction.OUTCOME_EDIT, moderator, group, prompt=prompt)


def test_editing_a_topic_summary_is_logged(moderator_client, moderator, group, topic):
    moderator_client.post(
        reverse("topics:topic_summary", args=[group.slug, topic.slug]), {"takeaways": "Access is the bottleneck."}
    )
    entry = assert_logged(AuditAction.OUTCOME_EDIT, moderator, group, prompt=None)
    assert topic.title in entry.summary


def test_changing_the_group_settings_is_logged(moderator_client, moderator, group):
    data = {
        "name": "Renamed group",
        "description": group.description,
        "visibility": group.visibility,
        "membership_questions": "",
        "timezone": group.timezone,
        "evidence_stale_after_days": group.evidence_stale_after_days,
    }
    moderator_client.post(reverse("topics:group_settings", args=[group.slug]), data)
    entry = assert_logged(AuditAction.SETTINGS, moderator, group)
    assert entry.summary == "name"


# The log page -----------------------------------------------------------------------------------------------------


def log_url(group) -> str:
    return reverse("topics:audit_log", args=[group.slug])


def test_moderators_read_the_log_newest_first(moderator_client, moderator, group):
    now = timezone.now()
    audit.record(actor=moderator, action=AuditAction.PIN, group=group, summary="Older entry", now=now - timedelta(hours=1))
    audit.record(actor=moderator, action=AuditAction.LOCK, group=group, summary="Newer entry", now=now)
    page = moderator_client.get(log_url(group)).content.decode()
    assert page.index("Newer entry") < page.index("Older entry")


def test_the_log_shows_times_on_the_groups_clock_with_the_zone(moderator_client, moderator, group):
    group.timezone = "Asia/Shanghai"
    group.save()
    audit.record(actor=moderator, action=AuditAction.PIN, group=group, now=timezone.now().replace(hour=1, minute=30))
    page = moderator_client.get(log_url(group)).content.decode()
    assert "09:30 Shanghai time</time>" in page


def test_the_log_filters_by_action(moderator_client, moderator, group):
    audit.record(actor=moderator, action=AuditAction.PIN, group=group, summary="A pin")
    audit.record(actor=moderator, action=AuditAction.LOCK, group=group, summary="A lock")
    page = moderator_client.get(log_url(group), {"action": "lock"}).content.decode()
    assert "A lock" in page and "A pin" not in page


def test_the_log_filters_by_member_acted_on_or_acting(moderator_client, moderator, group, member):
    other = make_member(group=group)
    audit.record(actor=moderator, action=AuditAction.WARN, group=group, target_user=member, summary="About Mei")
    audit.record(actor=moderator, action=AuditAction.WARN, group=group, target_user=other, summary="About another")
    page = moderator_client.get(log_url(group), {"member": member.username}).content.decode()
    assert "About Mei" in page and "About another" not in page


def test_the_log_shows_only_its_own_groups_entries(moderator_client, moderator, group):
    audit.record(actor=moderator, action=AuditAction.PIN, group=make_topic().group, summary="Elsewhere")
    assert "Elsewhere" not in moderator_client.get(log_url(group)).content.decode()


def test_an_unknown_action_filter_is_a_bad_request(moderator_client, group):
    assert moderator_client.get(log_url(group), {"action": "nonsense"}).status_code == HTTPStatus.BAD_REQUEST


def test_members_cannot_read_the_log(client, member, group):
    client.force_login(member)
    assert client.get(log_url(group)).status_code == HTTPStatus.FORBIDDEN


def test_the_log_of_a_private_group_is_not_found_for_outsiders(client, private_group):
    client.force_login(make_user())
    assert client.get(log_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_the_log_page_offers_no_way_to_change_entries(moderator_client, moderator, group):
    audit.record(actor=moderator, action=AuditAction.PIN, group=group, summary="Pinned")
    page = moderator_client.get(log_url(group)).content.decode()
    assert 'method="post"' not in page.split('audit-log"')[1].split("</main>")[0]  # the footer's language switcher is not the log's


def test_user_text_in_the_log_is_escaped(moderator_client, moderator, group):
    audit.record(actor=moderator, action=AuditAction.WARN, group=group, reason="<img src=x onerror=alert(1)>")
    page = moderator_client.get(log_url(group)).content.decode()
    assert "<img src=x" not in page
