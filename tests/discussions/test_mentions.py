"""@mentions: what counts as one, whom it may reach, and the members autocomplete (issue #5, item 2)."""

import json
from datetime import datetime, timezone as dt_timezone
from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import notifications, services
from discussions.models import Notification
from tests.factories import make_member, make_thread, make_topic, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)


# Parsing


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@mei what do you think?", ["mei"]),
        ("Thanks @mei.", ["mei"]),
        ("Thanks @mei, @lin and @dr.wu!", ["mei", "lin", "dr.wu"]),
        ("(@mei) and @mei again, @MEI too", ["mei"]),
        ("Write to mei@example.org", []),
        ("Inline `@mei` code", []),
        ("```\n@mei in a fenced block\n```", []),
        ("Indented:\n\n    @mei in a code block", []),
        ("> @mei said so\n\nI quote.", []),
        ("See https://example.org/@mei", []),
        ("@@mei", []),
        ("@", []),
    ],
)
def test_mentions_are_usernames_after_an_at_sign_outside_code_quotes_and_addresses(text, names):
    assert notifications.parse_mentions(text) == names


def test_a_post_mentions_at_most_twenty_people():
    text = " ".join(f"@person{n}" for n in range(30))

    assert len(notifications.parse_mentions(text)) == notifications.MAX_MENTIONS


# Resolving


def test_in_a_public_group_any_active_user_can_be_mentioned(group, outsider):
    assert notifications.resolve_mentions(["Outsider"], group=group) == [outsider]


def test_an_inactive_user_cannot_be_mentioned(group, member):
    member.is_active = False
    member.save()

    assert notifications.resolve_mentions(["mei"], group=group) == []


def test_in_a_private_group_only_its_members_can_be_mentioned(private_group, outsider):
    insider = make_member(group=private_group, username="insider")

    assert notifications.resolve_mentions(["insider", "outsider"], group=private_group) == [insider]


def test_mentioning_an_outsider_in_a_private_group_notifies_nobody(private_group, outsider):
    thread = make_thread(topic=make_topic(group=private_group))
    post = services.publish_post(thread=thread, author=thread.author, body="@outsider should see this.")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.exists()


def test_mentioning_someone_outside_a_public_group_notifies_them(thread_in_group, outsider):
    post = services.publish_post(thread=thread_in_group, author=thread_in_group.author, body="@outsider have a look.")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert Notification.objects.get().user == outsider


def test_a_mention_inside_a_code_span_notifies_nobody(thread_in_group, member):
    post = services.publish_post(thread=thread_in_group, author=thread_in_group.author, body="Type `@mei` to ask her.")

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert not Notification.objects.filter(user=member).exists()


@pytest.fixture
def thread_in_group(topic, group):
    return make_thread(topic=topic, author=make_member(group=group, username="writer"))


# The autocomplete


def suggest(client, group, q):
    response = client.get(reverse("discussions:group_members_json", args=[group.slug]), {"q": q})
    return response, (json.loads(response.content) if response.status_code == HTTPStatus.OK else None)


def test_the_autocomplete_suggests_members_by_username_or_display_name(client, group, member):
    make_member(group=group, username="lin", display_name="Dr Meiling Lin")
    make_user(username="meixi")  # not a member
    client.force_login(make_member(group=group))

    _, by_username = suggest(client, group, "mei")
    _, by_name = suggest(client, group, "meiling")

    assert by_username == {
        "results": [
            {"username": "lin", "display_name": "Dr Meiling Lin"},
            {"username": "mei", "display_name": "Mei"},
        ]
    }
    assert [row["username"] for row in by_name["results"]] == ["lin"]


def test_the_autocomplete_waits_for_two_letters(client, group, member):
    client.force_login(member)

    _, data = suggest(client, group, "m")

    assert data == {"results": []}


def test_the_autocomplete_ignores_a_typed_at_sign(client, group, member):
    _, data = suggest(client, group, "@me")

    assert [row["username"] for row in data["results"]] == ["mei"]


def test_the_autocomplete_leaves_out_the_member_asking(client, group, member):
    make_member(group=group, username="meiling")
    client.force_login(member)

    _, data = suggest(client, group, "mei")

    assert [row["username"] for row in data["results"]] == ["meiling"]


def test_the_autocomplete_of_a_private_group_is_not_found_by_outsiders(client, private_group, outsider):
    make_member(group=private_group, username="insider")
    client.force_login(outsider)

    response, _ = suggest(client, private_group, "in")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_autocomplete_of_a_private_group_serves_its_members(client, private_group):
    make_member(group=private_group, username="insider")
    client.force_login(make_member(group=private_group))

    _, data = suggest(client, private_group, "ins")

    assert [row["username"] for row in data["results"]] == ["insider"]


def test_the_reply_box_and_new_thread_form_ask_the_autocomplete(client, group, topic, member, thread_in_group):
    client.force_login(member)
    url = reverse("discussions:group_members_json", args=[group.slug])

    thread_page = client.get(thread_in_group.get_absolute_url()).content.decode()
    new_thread_page = client.get(reverse("discussions:new_thread", args=[group.slug, topic.slug])).content.decode()

    assert f'data-mention-url="{url}"' in thread_page
    assert f'data-mention-url="{url}"' in new_thread_page


# Chinese names (issue 10, item 9)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("谢谢@liming的分析", ["liming"]),
        ("@liming，你怎么看？", ["liming"]),
        ("同意@mei 和@lin。", ["mei", "lin"]),
    ],
)
def test_a_mention_needs_no_space_around_it_in_chinese_text(text, names):
    assert notifications.parse_mentions(text) == names


def test_one_chinese_character_suggests_a_member_by_their_chinese_name(client, group, member):
    make_member(group=group, username="liming", display_name="李明")
    make_member(group=group, username="wangfang", display_name="王芳")
    client.force_login(member)

    _, data = suggest(client, group, "@李")

    assert data == {"results": [{"username": "liming", "display_name": "李明"}]}


def test_a_full_chinese_name_suggests_the_member_whose_username_is_inserted(client, group, member):
    make_member(group=group, username="liming", display_name="李明")
    client.force_login(member)

    _, data = suggest(client, group, "李明")

    assert [row["username"] for row in data["results"]] == ["liming"]


def test_a_mention_of_the_suggested_username_in_chinese_text_notifies_the_member(thread_in_group):
    liming = make_member(group=thread_in_group.topic.group, username="liming", display_name="李明")
    body = "请@liming看一下这个医保数据。"
    post = services.publish_post(thread=thread_in_group, author=thread_in_group.author, body=body)

    notifications.notify_new_post(post_id=post.pk, now=NOW)

    assert Notification.objects.get(user=liming).kind == "mention"
