"""A batch renders the parts of its digests that read the same for many members once ({% reuse %}): every member's
digest must still read exactly as it does rendered alone, and no member's part may reach another."""

import random
import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.html import format_html

from bench.digest import create_activity
from bench.digest_bytes import HOSTILE
from discussions import digest, emails
from groupsite.models import User
from topics.models import Group, Prompt

TEMPLATE = Template("{% load digest_tags %}{% reuse item %}{{ item.name }}{% endreuse %}")


def unsigned(text: str, user_id: int) -> str:
    """The text with its unsubscribe links' tokens, signed with the second they were made, checked to stop this
    member's digest and then left out."""
    for token in re.findall(r"/unsubscribe/([^/]+)/", text):
        assert emails.read_unsubscribe_token(token) == (user_id, emails.DIGEST_SCOPE)
    return re.sub(r"/unsubscribe/[^/]+/", "/unsubscribe/…/", text)


def render(item, parts):
    return TEMPLATE.render(Context({"item": item, "reused_parts": parts}))


def test_a_part_is_rendered_once_for_equal_values_and_again_for_any_other():
    parts = {}

    assert render({"name": "Mei"}, parts) == "Mei"
    assert render({"name": "Mei"}, parts) == "Mei"
    assert len(parts) == 1
    assert render({"name": "Li"}, parts) == "Li"
    assert len(parts) == 2


def test_values_equal_in_python_but_shown_differently_get_parts_of_their_own():
    parts = {}

    assert render({"name": "<b>x</b>"}, parts) == "&lt;b&gt;x&lt;/b&gt;"
    assert render({"name": format_html("<b>{}</b>", "x")}, parts) == "<b>x</b>"  # markup the site made itself
    assert render({"name": "<b>x</b>"}, parts) == "&lt;b&gt;x&lt;/b&gt;"
    assert [render({"name": value}, parts) for value in (1, True, "1", 1.0)] == ["1", "True", "1", "1.0"]


def test_a_model_instance_cannot_key_a_part():
    with pytest.raises(TypeError):
        render({"name": Group(name="Unsaved")}, {})
    with pytest.raises(TypeError):
        render(Group(name="Unsaved"), {})


def test_without_the_batch_s_parts_the_tag_just_renders():
    assert TEMPLATE.render(Context({"item": {"name": "<i>"}})) == "&lt;i&gt;"


@pytest.mark.django_db
def test_a_batch_s_digests_read_exactly_as_each_member_s_rendered_alone(mailoutbox):
    """The benchmark's week at 90 members, read in both languages and on several clocks, with a Chatham House
    prompt, a titles-only group, Chinese titles and markup in names and titles: the batch's emails, which reuse
    parts, against each member's email rendered alone, which reuses nothing."""
    now = timezone.now().replace(microsecond=0)
    create_activity(90, now, random.Random(3))
    users = list(User.objects.order_by("pk"))
    for user in users:
        user.language = ("zh-hans", "en-gb", "")[user.pk % 3]
        user.timezone = ("", "Asia/Shanghai", "America/New_York", "Europe/London")[user.pk % 4]
        user.display_name = f"{HOSTILE} {user.pk}" if user.pk % 5 == 0 else user.display_name
    User.objects.bulk_update(users, ["language", "timezone", "display_name"])
    Prompt.objects.filter(pk__in=Prompt.objects.values("pk")[:3]).update(title_translated="提示问题：<b>会</b>有什么变化？")
    assert Prompt.objects.filter(chatham_house=True).exists() and Group.objects.filter(emails_titles_only=True).exists()
    later = now + timedelta(minutes=1)

    due = User.objects.filter(pk__in=digest.due_member_ids(now=later))
    alone = {}
    for user in due:
        context = digest.digest_context(user, now=later)
        if context is not None:
            alone[user.email] = digest.build_digest_message(user, context)
    batch = digest.send_digests(due, now=later)

    assert len(batch.sent) == len(alone) > 50
    assert {message.to[0] for message in mailoutbox} == set(alone)
    for message in mailoutbox:
        expected, user_id = alone[message.to[0]], User.objects.get(email=message.to[0]).pk
        assert message.subject == expected.subject
        assert type(message.body) is str  # plain text stays plain text
        assert unsigned(message.body, user_id) == unsigned(expected.body, user_id)
        [(html, kind)], [(expected_html, expected_kind)] = message.alternatives, expected.alternatives
        assert (unsigned(html, user_id), kind) == (unsigned(expected_html, user_id), expected_kind)
        assert unsigned(str(message.extra_headers), user_id) == unsigned(str(expected.extra_headers), user_id)
    assert any("摘要" in message.subject for message in mailoutbox)
    assert all("<img" not in html for message in mailoutbox for html, _ in message.alternatives)
