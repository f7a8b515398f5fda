"""One rule for times (groupsite.clock): the reader's own zone if they chose one, else the group's, else the site's;
every time labelled with its clock. Also "just now", unpadded days and the time-zone picker."""

import importlib
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.apps import apps
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import mailing
from discussions.models import Notification, Post
from discussions.services import publish_post
from groupsite.models import NotificationKind, User
from tests import factories
from topics import scheduling
from topics.models import JoinRequest, Prompt

# Friday 27 November 2026: 13:59 UTC is 21:59 in Shanghai and 08:59 in New York.
POSTED = datetime(2026, 11, 27, 13, 59, tzinfo=UTC)
SCHEDULED = datetime(2030, 11, 29, 13, 59, tzinfo=UTC)  # a Friday too, also outside daylight saving time


@pytest.fixture
def shanghai_group(group):
    group.timezone = "Asia/Shanghai"
    group.save(update_fields=["timezone"])
    return group


@pytest.fixture
def post(shanghai_group, topic, member):
    """Mei's reply, posted and edited at POSTED."""
    thread = factories.make_thread(topic=topic)
    reply = publish_post(thread=thread, author=member, body="Tier-2 hospitals pay later.", now=POSTED)
    Post.objects.filter(pk=reply.pk).update(edited_at=POSTED)
    return reply


def pages_showing(post, moderator) -> dict[str, str]:
    """The pages that show the post's time (or, for the agenda, a prompt at the same time of day), as `moderator`."""
    group = post.thread.topic.group
    factories.make_prompt(post.thread.topic, status=Prompt.Status.SCHEDULED, publish_at=SCHEDULED)
    urls = {
        "thread": post.thread.get_absolute_url(),
        "history": reverse("discussions:post_revisions", args=[post.pk]),
        "profile": reverse("profile", args=[post.author.username]),
        "agenda": reverse("topics:agenda", args=[group.slug]),
    }
    client = Client()
    client.force_login(moderator)
    return {name: client.get(url).content.decode() for name, url in urls.items()}


def notification_email(post, reader) -> str:
    notification = Notification.objects.create(
        user=reader, kind=NotificationKind.REPLY, actor=post.author, group=post.thread.topic.group,
        thread=post.thread, post=post, created_at=POSTED,
    )
    return mailing.build_notification_email([notification]).body


def test_a_member_who_chose_a_zone_sees_one_post_at_the_same_time_everywhere(post, moderator):
    moderator.timezone = "America/New_York"
    moderator.save(update_fields=["timezone"])

    pages = pages_showing(post, moderator)

    assert "27 Nov 2026, 08:59 New York time" in pages["thread"]
    assert "27 Nov 2026, 08:59 New York time" in pages["history"]
    assert "27 Nov 2026, 08:59 New York time" in pages["profile"]
    assert "Fri 29 Nov, 08:59" in pages["agenda"] and "Times are New York time" in pages["agenda"]
    assert "27 Nov, 08:59 New York time" in notification_email(post, moderator)
    for page in pages.values():
        assert "21:59" not in page and "13:59" not in page


def test_the_insight_page_says_on_which_clock_its_figures_are_as_of(client, shanghai_group, moderator):
    moderator.timezone = "America/New_York"
    moderator.save(update_fields=["timezone"])
    client.force_login(moderator)

    page = client.get(reverse("topics:insight", args=[shanghai_group.slug])).content.decode()

    as_of = timezone.localtime(timezone.now(), moderator.tzinfo)
    assert f"{as_of:%H}:" in page.split("Figures as of", 1)[1].split("</time>", 1)[0]
    assert "New York time</time>" in page


def test_a_visitor_sees_a_group_s_times_on_the_group_s_clock(client, post):
    page = client.get(post.thread.get_absolute_url()).content.decode()

    assert "27 Nov 2026, 21:59 Shanghai time" in page


def test_a_member_who_never_chose_sees_the_group_s_clock_in_the_group_and_the_site_s_elsewhere(post, moderator):
    pages = pages_showing(post, moderator)

    assert "27 Nov 2026, 21:59 Shanghai time" in pages["thread"]
    assert "27 Nov 2026, 21:59 Shanghai time" in pages["history"]
    assert "Times are Shanghai time" in pages["agenda"]
    assert "27 Nov, 21:59 Shanghai time" in notification_email(post, moderator)
    assert "27 Nov 2026, 13:59 UTC" in pages["profile"]  # outside any group: the site's clock, named


def test_a_new_member_has_not_chosen_a_zone(db):
    assert factories.make_user().timezone == ""


def test_the_preferences_page_says_which_clock_the_member_sees(client, member):
    client.force_login(member)
    url = reverse("discussions:email_preferences")
    assert "Not chosen yet: a group" in client.get(url).content.decode()

    member.timezone = "Asia/Tokyo"
    member.save(update_fields=["timezone"])
    assert "on this clock (Tokyo time)" in client.get(url).content.decode()


def test_members_left_on_the_old_utc_default_become_not_chosen(db):
    migration = importlib.import_module("groupsite.migrations.0004_timezone_blank_means_not_chosen")
    on_default = factories.make_user(timezone="UTC")
    in_tokyo = factories.make_user(timezone="Asia/Tokyo")

    migration.forget_default_utc(apps, None)

    assert User.objects.get(pk=on_default.pk).timezone == ""
    assert User.objects.get(pk=in_tokyo.pk).timezone == "Asia/Tokyo"


# "just now" ---------------------------------------------------------------------------------------------------------


def test_a_join_request_made_seconds_ago_was_asked_just_now(client, private_group, outsider):
    moderator = factories.make_moderator(group=private_group)
    JoinRequest.objects.create(group=private_group, user=outsider)
    client.force_login(moderator)

    page = client.get(reverse("topics:join_requests", args=[private_group.slug])).content.decode()

    assert "just now" in page
    assert "0 minutes" not in page


def test_a_time_a_few_minutes_back_reads_as_minutes_ago():
    now = timezone.now()
    rendered = Template("{% load times %}{{ then|ago:now }}").render(Context({"then": now - timedelta(minutes=5), "now": now}))
    assert rendered == "5\xa0minutes ago"


# Days without a leading zero ----------------------------------------------------------------------------------------


def test_the_prompt_panel_writes_the_day_without_a_leading_zero(client, shanghai_group, topic):
    prompt = factories.make_prompt(
        topic, status=Prompt.Status.SCHEDULED, publish_at=timezone.now() - timedelta(minutes=1),
        closes_at=datetime(2030, 3, 5, 1, 0, tzinfo=UTC),
    )
    scheduling.publish_due_prompts(now=timezone.now())
    prompt.refresh_from_db()

    page = client.get(prompt.thread.get_absolute_url()).content.decode()
    assert ">Tuesday 5 March, 09:00 Shanghai time</time>" in page


def test_a_reminder_email_writes_the_day_without_a_leading_zero(shanghai_group, topic, member):
    prompt = factories.make_open_prompt(topic, closes_at=datetime(2030, 12, 9, 1, 0, tzinfo=UTC))
    notification = Notification.objects.create(
        user=member, kind=NotificationKind.REMINDER, group=shanghai_group, prompt=prompt, thread=prompt.thread
    )

    body = mailing.build_notification_email([notification]).body

    assert "closes Monday 9 December, 09:00 Shanghai time" in body


def test_the_day_filter_writes_the_weekday_the_day_and_the_month():
    rendered = Template("{% load times %}{{ when|day }}").render(Context({"when": datetime(2026, 12, 9, 12, tzinfo=UTC)}))
    assert rendered == "Wednesday 9 December"


# The picker ---------------------------------------------------------------------------------------------------------


def test_the_zone_picker_offers_common_zones_first_then_regions_with_offsets(client, member):
    client.force_login(member)

    page = client.get(reverse("discussions:email_preferences")).content.decode()
    picker = page.split('name="timezone"', 1)[1].split("</select>", 1)[0]

    assert "data-zone-filter=" in page.split('name="timezone"', 1)[0].rsplit("<select", 1)[1] + picker.split(">", 1)[0]
    groups = [chunk.split('"', 1)[0] for chunk in picker.split('<optgroup label="')[1:]]
    assert groups[0] == "Common"
    assert {"Africa", "America", "Asia", "Europe", "Pacific"} <= set(groups)
    common = picker.split('<optgroup label="Common">', 1)[1].split("</optgroup>", 1)[0]
    for zone in ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "America/New_York"):
        assert f'value="{zone}"' in common
    assert '<option value="Asia/Tokyo">Tokyo (UTC+09:00)</option>' in picker
    assert picker.index('value="Asia/Shanghai"') < picker.index('value="Africa/Abidjan"')


def test_the_zone_picker_works_without_javascript_and_can_go_back_to_not_chosen(client, member):
    client.force_login(member)
    url = reverse("discussions:email_preferences")
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields} | {"digest_time": "08:00"}

    assert client.post(url, data | {"timezone": "Asia/Hong_Kong"}).status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert member.timezone == "Asia/Hong_Kong"

    assert client.post(url, data | {"timezone": ""}).status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert member.timezone == ""


def test_a_prompt_s_deadline_on_its_thread_names_its_clock(client, shanghai_group, topic):
    prompt = factories.make_open_prompt(topic, closes_at=SCHEDULED)

    page = client.get(prompt.thread.get_absolute_url()).content.decode()

    assert "Friday 29 November, 21:59 Shanghai time</time>" in page
