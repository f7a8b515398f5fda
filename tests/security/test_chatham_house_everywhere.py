"""Under the Chatham House rule members never learn who said what, from any page, list, email or export (issue 8,
item 2). Moderators still see names where the product shows them to moderators.

The setting: a moderator publishes a Chatham House prompt (so they "start" its thread), and a member answers it,
votes with a reason, mentions another member and has the answer marked a key insight. Another member then looks.
"""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from discussions import digest, mailing
from discussions import services as discussion_services
from discussions.models import Post
from groupsite.models import EmailChoice, NotificationKind
from tests import factories
from tests.worlds import built_once
from topics import polls, scheduling
from topics.models import Membership, Prompt

SPEAKER_NAME, SPEAKER_USERNAME = "Wendy Whistleblower", "wendy_w"
HOST_NAME, HOST_USERNAME = "Marcus Host", "marcus_h"


@pytest.fixture(scope="module")
def built_scene(django_db_setup, django_db_blocker):
    """Built once for the module (a quarter of a second a test); each test runs in a transaction of its own within
    it."""
    yield from built_once(django_db_blocker, build_scene)


@pytest.fixture
def now(built_scene):
    return built_scene["now"]


@pytest.fixture
def scene(db, built_scene):
    """The scene's objects, fresh from the database for each test."""
    return {name: type(value).objects.get(pk=value.pk) for name, value in built_scene.items() if name != "now"}


def build_scene():
    now = timezone.now().replace(microsecond=0)
    group = factories.make_group(name="Payers circle", slug="payers")
    host = factories.make_moderator(group=group, username=HOST_USERNAME, display_name=HOST_NAME)
    speaker = factories.make_member(group=group, username=SPEAKER_USERNAME, display_name=SPEAKER_NAME)
    reader = factories.make_member(group=group, username="reader", display_name="Reader")
    reader.email_choices = {kind: EmailChoice.IMMEDIATELY for kind in NotificationKind.values}
    reader.save(update_fields=["email_choices"])
    Membership.objects.update(joined_at=now - timedelta(days=30))
    topic = factories.make_topic(group=group, title="Reimbursement", slug="reimbursement")
    prompt = factories.make_prompt(topic, author=host, title="What do payers really think?", chatham_house=True)
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now - timedelta(days=2), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    poll = polls.save_poll(prompt=prompt, kind="choice", options=["Pay", "Refuse"])
    polls.cast_vote(poll=poll, user=speaker, option_id=poll.options.first().pk, reason="Budgets are gone.", now=now)
    polls.cast_vote(poll=poll, user=reader, option_id=poll.options.last().pk, reason="", now=now)  # sees the reasons
    with TestCase.captureOnCommitCallbacks(execute=True):  # notifications are made after the commit
        answer = discussion_services.publish_post(
            thread=prompt.thread, author=speaker, now=now - timedelta(hours=3), body="@reader they will not pay list."
        )
    Post.objects.filter(pk=answer.pk).update(is_key_insight=True)
    discussion_services.edit_post(post=answer, editor=speaker, body="@reader they will never pay list price.")
    return {"group": group, "topic": topic, "prompt": prompt, "host": host, "speaker": speaker, "reader": reader,
            "answer": answer, "now": now}  # fmt: skip


def get(client, user, url, status=HTTPStatus.OK) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(url, follow=True)
    assert response.status_code == status
    return response.content.decode()


def assert_names_nobody(text: str, *, host_too: bool = False) -> None:
    names = [SPEAKER_NAME, SPEAKER_USERNAME] + ([HOST_NAME, HOST_USERNAME] if host_too else [])
    assert [name for name in names if name in text] == []


def topic_url(scene):
    return reverse("topics:topic", args=[scene["group"].slug, scene["topic"].slug])


# Members see no names --------------------------------------------------------------------------------------


def test_the_topic_pages_thread_list_does_not_say_who_started_a_chatham_house_thread(client, scene):
    page = get(client, scene["reader"], topic_url(scene))

    assert "Started by a participant" in page
    assert_names_nobody(page, host_too=True)


def test_the_topic_pages_key_insights_name_nobody(client, scene):
    page = get(client, scene["reader"], topic_url(scene))

    assert "they will never pay list price" in page
    assert_names_nobody(page, host_too=True)


def test_the_thread_page_and_its_poll_reasons_name_nobody(client, scene):
    page = get(client, scene["reader"], scene["prompt"].thread.get_absolute_url())

    assert "Budgets are gone." in page
    assert_names_nobody(page, host_too=True)


def test_a_posts_permalink_leads_to_a_page_that_names_nobody(client, scene):
    page = get(client, scene["reader"], reverse("discussions:post", args=[scene["answer"].pk]))

    assert "they will never pay list price" in page
    assert_names_nobody(page, host_too=True)


def test_the_group_home_and_agenda_pages_name_no_author(client, scene):
    group = scene["group"]
    for url in (group.get_absolute_url(), reverse("topics:home"), reverse("topics:agenda", args=[group.slug])):
        assert_names_nobody(get(client, scene["reader"], url))


def test_search_results_name_nobody_and_searching_by_the_speaker_finds_nothing(client, scene):
    search = reverse("discussions:search")
    page = get(client, scene["reader"], f"{search}?q=pay")

    assert "never <mark>pay</mark> list price" in page
    assert_names_nobody(page, host_too=True)
    for author in (SPEAKER_USERNAME, SPEAKER_NAME, HOST_USERNAME):
        page = get(client, scene["reader"], f"{search}?q=pay&author={author}")
        assert "list price" not in page and "0 results" in page


def test_the_speakers_profile_does_not_list_their_chatham_house_posts(client, scene):
    page = get(client, scene["reader"], reverse("profile", args=[SPEAKER_USERNAME]))

    assert "never pay list price" not in page
    assert scene["prompt"].thread.title not in page


def test_the_notifications_page_names_nobody(client, scene):
    page = get(client, scene["reader"], reverse("discussions:notifications"))

    assert "A participant mentioned you" in page
    assert_names_nobody(page, host_too=True)


def test_notification_emails_name_nobody(scene, mailoutbox, now):
    mailing.send_due_notification_emails(now=now + timedelta(days=1))

    assert mailoutbox
    for message in mailoutbox:
        for part in (message.subject, message.body, message.alternatives[0][0]):
            assert_names_nobody(part, host_too=True)


def test_the_digest_and_its_preview_name_nobody(client, scene, now):
    reader = scene["reader"]
    message = digest.build_digest_message(reader, digest.digest_context(reader, now=now))
    page = get(client, reader, reverse("discussions:digest_preview"))

    assert "never pay list price" in message.body
    for text in (message.subject, message.body, message.alternatives[0][0], page):
        assert_names_nobody(text)


def test_a_moderators_preview_of_a_members_digest_names_nobody_either(client, scene):
    url = reverse("discussions:member_digest_preview", args=[scene["group"].slug, scene["reader"].username])

    page = get(client, scene["host"], url)

    assert "never pay list price" in page
    assert_names_nobody(page)


def test_members_cannot_open_the_insight_page_or_a_posts_revisions(client, scene):
    group = scene["group"]
    for url in (
        reverse("topics:insight", args=[group.slug]),
        reverse("topics:insight_csv", args=[group.slug]),
        reverse("discussions:post_revisions", args=[scene["answer"].pk]),
        reverse("topics:prompt_followup", args=[group.slug, scene["prompt"].pk]),
    ):
        client.force_login(scene["reader"])
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert_names_nobody(response.content.decode())


def test_a_members_topic_export_names_nobody(client, scene):
    group, topic = scene["group"], scene["topic"]

    text = get(client, scene["reader"], reverse("topics:topic_export", args=[group.slug, topic.slug]))

    assert "never pay list price" in text and "Budgets are gone." in text  # the reader voted: reasons are shown
    assert_names_nobody(text, host_too=True)


def test_the_topic_export_names_nobody_even_for_moderators(client, scene):
    group, topic = scene["group"], scene["topic"]

    text = get(client, scene["host"], reverse("topics:topic_export", args=[group.slug, topic.slug]))

    assert "never pay list price" in text
    assert_names_nobody(text)


def test_the_mention_suggestions_say_who_is_a_member_and_nothing_about_what_they_wrote(client, scene):
    client.force_login(scene["reader"])

    response = client.get(reverse("discussions:group_members_json", args=[scene["group"].slug]), {"q": "we"})

    assert response.json() == {"results": [{"username": SPEAKER_USERNAME, "display_name": SPEAKER_NAME}]}


# Moderators still see names where the product shows them ----------------------------------------------------


def test_moderators_see_who_started_the_thread_on_the_topic_page(client, scene):
    page = get(client, scene["host"], topic_url(scene))

    assert f"Started by {HOST_NAME}" in page
    assert SPEAKER_NAME in page  # the key insight's author


def test_moderators_see_who_gave_a_poll_reason(client, scene):
    page = get(client, scene["host"], scene["prompt"].thread.get_absolute_url())

    assert SPEAKER_NAME in page


def test_moderators_see_the_names_of_whoever_posted_on_the_insight_page(client, scene):
    page = get(client, scene["host"], reverse("topics:insight", args=[scene["group"].slug]))

    assert "Reader" in page  # the quiet members, by name


def test_the_follow_up_page_names_who_has_not_answered_and_nothing_of_what_anyone_said(client, scene):
    factories.make_member(group=scene["group"], display_name="Silent Sam")
    url = reverse("topics:prompt_followup", args=[scene["group"].slug, scene["prompt"].pk])

    page = get(client, scene["host"], url)

    assert "Silent Sam" in page  # moderators may see who has (not) answered...
    assert "never pay list price" not in page and "Budgets are gone." not in page  # ...never what was said
    assert_names_nobody(page)  # the speaker answered, so is not listed


def test_the_feeds_name_nobody(client, scene):
    group, thread = scene["group"], scene["prompt"].thread
    feeds = [
        reverse("feeds:thread", args=[thread.pk]),
        reverse("feeds:group", args=[group.slug]),
        reverse("feeds:topic", args=[group.slug, scene["topic"].slug]),
        reverse("feeds:prompts", args=[group.slug]),
    ]
    texts = [get(client, None, url) for url in feeds]

    assert "they will never pay list price" in texts[0]
    for text in texts:
        assert_names_nobody(text, host_too=True)
