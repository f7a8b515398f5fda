"""Members flag posts; moderators review them: dismiss, hide, unhide, delete or warn (issue 8, item 5)."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import flags, notifications
from discussions.models import Flag, Notification
from groupsite.models import NotificationKind
from tests.factories import make_member, make_moderator, make_post, make_thread, make_user
from topics.export import export_topic_markdown


@pytest.fixture
def post(topic, member):
    thread = make_thread(topic=topic, author=member, title="Who pays for CAR-T?", body="Opening thoughts.")
    return thread.posts.get()


def flag_url(post) -> str:
    return reverse("discussions:flag_post", args=[post.pk])


def review_url(group) -> str:
    return reverse("discussions:review_queue", args=[group.slug])


def flag(post, user, reason=Flag.Reason.SPAM, text=""):
    return flags.flag_post(post=post, user=user, reason=reason, text=text)


def test_a_member_flags_a_post_with_a_reason(client, group, post):
    flagger = make_member(group=group)
    client.force_login(flagger)
    response = client.post(flag_url(post), {"reason": "harassment"})
    assert response.status_code == HTTPStatus.FOUND
    assert Flag.objects.get(post=post).reason == Flag.Reason.HARASSMENT


def test_a_second_flag_on_the_same_post_by_the_same_member_is_refused(client, group, post):
    flagger = make_member(group=group)
    client.force_login(flagger)
    client.post(flag_url(post), {"reason": "spam"})
    response = client.post(flag_url(post), {"reason": "off_topic"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Flag.objects.filter(post=post).count() == 1


def test_the_database_refuses_two_flags_by_one_member_on_one_post(group, post):
    from django.db import IntegrityError, transaction

    flagger = make_member(group=group)
    Flag.objects.create(post=post, flagged_by=flagger, reason="spam")
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(post=post, flagged_by=flagger, reason="other", text="Again")


def test_a_member_cannot_flag_their_own_post(client, member, post):
    client.force_login(member)
    response = client.post(flag_url(post), {"reason": "spam"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Flag.objects.exists()


def test_other_as_a_reason_needs_words(client, group, post):
    client.force_login(make_member(group=group))
    response = client.post(flag_url(post), {"reason": "other", "text": "  "})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Say what is wrong" in response.content.decode()
    assert not Flag.objects.exists()


def test_someone_outside_the_group_cannot_flag(client, post):
    client.force_login(make_user())
    response = client.post(flag_url(post), {"reason": "spam"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Flag.objects.exists()


def test_flagging_is_rate_limited(client, group, topic, settings):
    settings.FLAGS_PER_HOUR = 1
    first, second = make_post(make_thread(topic=topic)), make_post(make_thread(topic=topic))
    client.force_login(make_member(group=group))
    client.post(flag_url(first), {"reason": "spam"})
    response = client.post(flag_url(second), {"reason": "spam"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert Flag.objects.count() == 1


def test_flags_from_enough_distinct_members_hide_the_post(group, post):
    group.flags_to_hide = 2
    group.save()
    flag(post, make_member(group=group))
    post.refresh_from_db()
    assert not post.is_hidden
    flag(post, make_member(group=group))
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by is None


def test_a_threshold_of_zero_never_hides_a_post_by_flags(group, post):
    group.flags_to_hide = 0
    group.save()
    for _ in range(4):
        flag(post, make_member(group=group))
    post.refresh_from_db()
    assert not post.is_hidden


def test_a_hidden_post_shows_a_placeholder_to_other_members(client, group, post):
    flags.hide_post(post=post, moderator=make_moderator(group=group), reason="Off-topic rant")
    client.force_login(make_member(group=group))
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert "This post is hidden by the moderators." in page
    assert "Opening thoughts." not in page


def test_a_hidden_post_is_still_shown_to_its_author_with_the_reason(client, group, member, post):
    flags.hide_post(post=post, moderator=make_moderator(group=group), reason="Off-topic rant")
    client.force_login(member)
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert "Opening thoughts." in page
    assert "Hidden by moderators: Off-topic rant" in page


def test_a_hidden_post_is_still_shown_to_moderators(client, group, moderator, post):
    flags.hide_post(post=post, moderator=moderator, reason="Off-topic rant")
    client.force_login(moderator)
    page = client.get(post.thread.get_absolute_url()).content.decode()
    assert "Opening thoughts." in page


def test_a_hidden_post_leaves_its_authors_profile(client, group, member, post):
    flags.hide_post(post=post, moderator=make_moderator(group=group))
    response = client.get(reverse("profile", args=[member.username]))
    assert "Who pays for CAR-T?" not in response.content.decode()


def test_a_hidden_post_leaves_the_topic_export(group, topic, post):
    flags.hide_post(post=post, moderator=make_moderator(group=group))
    assert "Opening thoughts." not in export_topic_markdown(topic)


def test_a_hidden_reply_notifies_nobody(group, member, post):
    reply = make_post(thread=post.thread, body=f"@{member.username} look at this")
    Notification.objects.all().delete()
    flags.hide_post(post=reply, moderator=make_moderator(group=group))
    assert notifications.notify_new_post(post_id=reply.pk, now=reply.created_at) == 0


def test_a_hidden_post_cannot_be_quoted_by_other_members(client, group, post):
    flags.hide_post(post=post, moderator=make_moderator(group=group))
    client.force_login(make_member(group=group))
    page = client.get(post.thread.get_absolute_url(), {"quote": post.pk}).content.decode()
    assert "Opening thoughts." not in page


def test_members_find_the_flag_link_behind_react_on_others_posts_but_not_on_their_own(client, group, member, post):
    """A thread page does not repeat "Flag" under every post: it is on the post's own page, where "React" leads."""
    own = make_post(thread=post.thread, author=member)
    other = make_post(thread=post.thread)
    client.force_login(member)

    thread_page = client.get(post.thread.get_absolute_url()).content.decode()
    other_page = client.get(reverse("discussions:react", args=[other.pk])).content.decode()

    assert reverse("discussions:react", args=[other.pk]) in thread_page
    assert flag_url(other) not in thread_page
    assert flag_url(other) in other_page
    assert reverse("discussions:react", args=[own.pk]) not in thread_page
    assert flag_url(own) not in thread_page


def test_the_flag_link_opens_the_flag_form_with_the_post_on_its_page(client, group, post):
    """A thread page links to the flag form instead of carrying it under every post: the form's page shows the post."""
    client.force_login(make_member(group=group))

    page = client.get(flag_url(post))

    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "Opening thoughts." in html
    assert 'name="reason" value="spam"' in html


def test_the_flag_page_of_a_hidden_post_does_not_show_it(client, group, moderator, post):
    flags.hide_post(post=post, moderator=moderator, reason="")
    client.force_login(make_member(group=group))

    page = client.get(flag_url(post))

    assert "Opening thoughts." not in page.content.decode()


def test_the_review_queue_shows_the_flagged_post_in_context_with_who_flagged(client, group, moderator, post):
    flag(post, make_member(group=group, display_name="Careful Reader"), reason=Flag.Reason.CONFIDENTIAL)
    client.force_login(moderator)
    page = client.get(review_url(group)).content.decode()
    assert "Who pays for CAR-T?" in page
    assert "Opening thoughts." in page
    assert "Careful Reader" in page
    assert "Confidential information (1)" in page


def test_the_review_queue_leaves_out_posts_without_open_flags(client, group, moderator, post):
    make_post(thread=post.thread, body="Nothing wrong here.")
    flag(post, make_member(group=group))
    client.force_login(moderator)
    page = client.get(review_url(group)).content.decode()
    assert "Nothing wrong here." not in page


def test_members_cannot_open_the_review_queue(client, group, member):
    client.force_login(member)
    assert client.get(review_url(group)).status_code == HTTPStatus.FORBIDDEN


def test_the_review_queue_of_a_private_group_is_not_found_for_outsiders(client, private_group):
    client.force_login(make_user())
    assert client.get(review_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_moderators_see_the_open_count_in_the_group_header(client, group, moderator, post):
    make_post(thread=post.thread)  # never flagged: not counted
    flag(post, make_member(group=group))
    client.force_login(moderator)
    page = client.get(group.get_absolute_url()).content.decode()
    assert "Review (1)" in page


def test_dismissing_resolves_the_flags_and_shows_a_post_the_flags_hid(client, group, moderator, post):
    group.flags_to_hide = 1
    group.save()
    flag(post, make_member(group=group))
    client.force_login(moderator)
    response = client.post(reverse("discussions:dismiss_flags", args=[post.pk]), {"from": "queue"})
    assert response.url == review_url(group)
    post.refresh_from_db()
    assert not post.is_hidden
    assert Flag.objects.get().resolution == Flag.Resolution.DISMISSED


def test_hiding_from_the_queue_resolves_the_flags(client, group, moderator, post):
    flag(post, make_member(group=group))
    client.force_login(moderator)
    client.post(reverse("discussions:hide_post", args=[post.pk]), {"reason": "Spam link"})
    post.refresh_from_db()
    assert (post.hidden_by, post.hidden_reason) == (moderator, "Spam link")
    assert Flag.objects.get().resolution == Flag.Resolution.HIDDEN


def test_unhiding_shows_the_post_to_everyone_again(client, group, moderator, post):
    flags.hide_post(post=post, moderator=moderator)
    client.force_login(moderator)
    client.post(reverse("discussions:unhide_post", args=[post.pk]))
    post.refresh_from_db()
    assert not post.is_hidden


def test_members_cannot_hide_posts(client, group, post):
    client.force_login(make_member(group=group))
    response = client.post(reverse("discussions:hide_post", args=[post.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert not post.is_hidden


def test_deleting_a_flagged_post_resolves_its_flags(client, group, moderator, post):
    flag(post, make_member(group=group))
    client.force_login(moderator)
    response = client.post(reverse("discussions:delete_post", args=[post.pk]), {"from": "queue", "reason": "Spam"})
    assert response.url == review_url(group)
    assert Flag.objects.get().resolution == Flag.Resolution.DELETED


def test_warning_the_author_sends_a_warning_notification_with_the_message(client, group, moderator, member, post):
    client.force_login(moderator)
    client.post(reverse("discussions:warn_author", args=[post.pk]), {"message": "Please keep it civil."})
    warning = Notification.objects.get(user=member)
    assert (warning.kind, warning.message, warning.actor) == (NotificationKind.WARNING, "Please keep it civil.", moderator)


def test_a_warning_needs_a_message(client, group, moderator, member, post):
    client.force_login(moderator)
    response = client.post(reverse("discussions:warn_author", args=[post.pk]), {"message": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Notification.objects.filter(user=member).exists()


def test_the_warned_member_reads_the_warning_on_the_notifications_page(client, group, moderator, member, post):
    flags.warn_author(post=post, moderator=moderator, message="Please keep it civil.")
    client.force_login(member)
    page = client.get(reverse("discussions:notifications")).content.decode()
    assert "Please keep it civil." in page


def test_a_warning_is_emailed_at_once_by_default(group, moderator, member, post, mailoutbox):
    from datetime import timedelta

    from discussions.mailing import send_due_notification_emails

    warning = flags.warn_author(post=post, moderator=moderator, message="Please keep it civil.")
    send_due_notification_emails(now=warning.created_at + timedelta(hours=1))
    assert len(mailoutbox) == 1
    assert "Please keep it civil." in mailoutbox[0].body


def test_moderators_set_the_flag_threshold_in_the_group_settings(client, group, moderator):
    client.force_login(moderator)
    data = {
        "name": group.name,
        "description": group.description,
        "visibility": group.visibility,
        "membership_questions": "",
        "timezone": group.timezone,
        "evidence_stale_after_days": 180,
        "flags_to_hide": 5,
    }
    client.post(reverse("topics:group_settings", args=[group.slug]), data)
    group.refresh_from_db()
    assert group.flags_to_hide == 5
