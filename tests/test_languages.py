"""The member's language (issue 10, item 7): chosen in the profile, else the browser's; pages, dates and emails follow it.

The Chinese strings asserted here are a few of the site's own translations (groupsite/locale), so these tests fail
when the catalogue loses them as well as when the language is not applied.
"""

import re
import zoneinfo
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from discussions import mailing
from discussions.digest import build_digest_message, digest_context
from discussions.models import Notification
from discussions.services import publish_post
from groupsite import clock
from groupsite.models import EmailChoice, NotificationKind, User
from tests import factories
from topics import scheduling
from topics.models import Membership, Prompt

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
WEDNESDAY_14_00_SHANGHAI = datetime(2026, 12, 9, 6, 0, tzinfo=dt_timezone.utc)


def html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def choose(user, language):
    user.language = language
    user.save(update_fields=["language"])
    return user


# Pages


def test_a_member_who_chooses_chinese_in_their_profile_reads_the_site_in_chinese(client, member):
    client.force_login(member)

    response = client.post(reverse("edit_profile"), {"display_name": "Mei", "language": "zh-hans"}, follow=True)

    member.refresh_from_db()
    assert member.language == "zh-hans"
    assert html_lang(response) == "zh-hans"
    page = client.get(reverse("topics:home")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "通知" in page  # "Notifications" in the header


def test_the_profile_form_lists_each_language_by_its_own_name(client, member):
    client.force_login(member)

    page = client.get(reverse("edit_profile")).content.decode()

    assert '<option value="en-gb">English</option>' in page
    assert '<option value="zh-hans">简体中文</option>' in page


def test_a_language_the_site_does_not_offer_is_refused_by_the_profile_form(client, member):
    client.force_login(member)

    response = client.post(reverse("edit_profile"), {"display_name": "Mei", "language": "fr"})

    assert response.status_code == 400
    member.refresh_from_db()
    assert member.language == ""


def test_a_visitor_whose_browser_asks_for_chinese_gets_chinese(client, db):
    response = client.get(reverse("topics:home"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")

    assert html_lang(response) == "zh-hans"
    assert "登录" in response.content.decode()  # "Log in"


def test_a_visitor_with_an_english_browser_gets_english(client, db):
    response = client.get(reverse("topics:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert html_lang(response) == "en-gb"


def test_the_member_s_choice_beats_the_browser_s_language(client, member):
    client.force_login(choose(member, "en-gb"))

    response = client.get(reverse("topics:home"), HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert html_lang(response) == "en-gb"


def test_a_member_who_never_chose_follows_the_browser(client, member):
    client.force_login(member)

    response = client.get(reverse("topics:home"), HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert html_lang(response) == "zh-hans"


def test_the_footer_switcher_gives_a_visitor_chinese_through_a_cookie(client, db):
    home = reverse("topics:home")

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": home})

    assert response.status_code == 302 and response.url == home
    assert html_lang(client.get(home)) == "zh-hans"


def test_the_footer_switcher_also_saves_a_signed_in_member_s_choice(client, member):
    client.force_login(member)

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    assert User.objects.get(pk=member.pk).language == "zh-hans"


def test_the_footer_switcher_ignores_a_language_the_site_does_not_offer(client, member):
    client.force_login(member)

    client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    assert User.objects.get(pk=member.pk).language == ""


def test_a_visitor_switches_language_without_a_csrf_token_and_stays_on_the_site(db):
    visitor = Client(enforce_csrf_checks=True)  # a visitor's page carries no token, so that it sets no cookie

    response = visitor.post(reverse("set_language"), {"language": "zh-hans", "next": "https://elsewhere.example/"})

    assert response.status_code == 302 and response.url == "/"  # Django's own check keeps `next` on this site
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_a_member_s_switch_without_the_csrf_token_is_refused(member):
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(member)

    response = forged.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    assert response.status_code == 403
    assert User.objects.get(pk=member.pk).language == ""


def test_a_member_s_switch_from_the_footer_carries_its_csrf_token(member):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    page = browser.get(reverse("topics:home")).content.decode()
    footer = page.split('<footer class="site-footer">', 1)[1]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', footer).group(1)

    response = browser.post(reverse("set_language"), {"csrfmiddlewaretoken": token, "language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).language == "zh-hans"


def test_the_switcher_is_a_post_form_in_every_page_s_footer(client, db):
    page = client.get(reverse("topics:home")).content.decode()

    footer = page.split('<footer class="site-footer">', 1)[1]
    assert f'<form method="post" action="{reverse("set_language")}"' in footer
    assert 'name="language" value="zh-hans" lang="zh-hans"' in footer


# Dates and times


def test_a_day_and_time_read_the_chinese_way_with_a_chinese_zone_label():
    with translation.override("zh-hans"):
        written = clock.local_day_time(WEDNESDAY_14_00_SHANGHAI, SHANGHAI)

    assert written == "12月9日 星期三 14:00 上海时间"


def test_the_same_time_in_english_is_unchanged():
    with translation.override("en-gb"):
        written = clock.local_day_time(WEDNESDAY_14_00_SHANGHAI, SHANGHAI)

    assert written == "Wednesday 9 December, 14:00 Shanghai time"


@pytest.mark.parametrize(
    ("language", "expected"), [("en-gb", "9 Dec 2026, 14:00"), ("zh-hans", "2026年12月9日 14:00")]
)
def test_templates_name_their_date_formats_and_each_language_fills_them_in(language, expected):
    template = Template('{{ moment|date:"DATETIME_FORMAT" }}')

    with translation.override(language), timezone.override(SHANGHAI):
        assert template.render(Context({"moment": WEDNESDAY_14_00_SHANGHAI})) == expected


# Emails


@pytest.fixture
def chinese_reader(member):
    member.email_choices = {NotificationKind.REPLY: EmailChoice.IMMEDIATELY}
    member.language = "zh-hans"
    member.save()
    return member


def test_a_notification_email_to_a_member_who_chose_chinese_is_in_chinese_even_from_an_english_worker(
    chinese_reader, topic, mailoutbox
):
    thread = factories.make_thread(topic=topic, author=chinese_reader, title="CAR-T 的医保支付")
    post = publish_post(thread=thread, author=factories.make_member(group=topic.group), body="同意。")
    now = timezone.now()
    Notification.objects.create(
        user=chinese_reader, kind=NotificationKind.REPLY, actor=post.author, group=topic.group, thread=thread,
        post=post, created_at=now, email_due_at=now,
    )

    with translation.override("en-gb"):  # what a Celery worker has active: the site's language
        assert mailing.send_due_notification_emails(now=now + timedelta(minutes=1)) == 1

    [message] = mailoutbox
    assert message.subject == f"[{topic.group.name}] “CAR-T 的医保支付”中有 1 条新回复"
    assert "在 Roundtable 上查看" in message.alternatives[0][0]  # "View on Roundtable"
    assert "更改邮件偏好设置" in message.body  # "Change your email preferences"
    assert '<html lang="zh-hans">' in message.alternatives[0][0]


def test_the_same_notification_email_stays_english_for_a_member_who_never_chose(member, topic, mailoutbox):
    member.email_choices = {NotificationKind.REPLY: EmailChoice.IMMEDIATELY}
    member.save()
    thread = factories.make_thread(topic=topic, author=member, title="Payment models")
    post = publish_post(thread=thread, author=factories.make_member(group=topic.group), body="Agreed.")
    now = timezone.now()
    Notification.objects.create(
        user=member, kind=NotificationKind.REPLY, actor=post.author, group=topic.group, thread=thread,
        post=post, created_at=now, email_due_at=now,
    )

    with translation.override("zh-hans"):  # a request in Chinese must not leak into someone else's email
        mailing.send_due_notification_emails(now=now + timedelta(minutes=1))

    [message] = mailoutbox
    assert message.subject == f"[{topic.group.name}] New reply in “Payment models”"


def test_a_digest_to_a_member_who_chose_chinese_is_in_chinese_even_with_english_active(
    group, topic, member, moderator
):
    choose(member, "zh-hans")
    now = timezone.now().replace(microsecond=0)
    Membership.objects.update(joined_at=now - timedelta(days=30))
    prompt = factories.make_prompt(topic, author=moderator, title="2030 年谁为 CAR-T 付费？")
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now - timedelta(days=1), allowed_from=(Prompt.Status.DRAFT,))

    with translation.override("en-gb"):
        message = build_digest_message(member, digest_context(member, now=now))

    assert message.subject.startswith("您的每周摘要：")  # "Your weekly digest: …"
    assert "讨论题" in message.body  # "Prompts"
    assert "2030 年谁为 CAR-T 付费？" in message.body
    assert '<html lang="zh-hans">' in message.alternatives[0][0]


def test_a_join_decision_is_emailed_in_the_member_s_language(group, moderator, mailoutbox, django_capture_on_commit_callbacks):
    from topics import services
    from topics.models import JoinRequest

    applicant = choose(factories.make_user(username="li"), "zh-hans")
    join_request = JoinRequest.objects.create(group=group, user=applicant)

    with django_capture_on_commit_callbacks(execute=True), translation.override("en-gb"):
        services.decide_join_request(join_request=join_request, moderator=moderator, approve=False, now=timezone.now())

    [message] = mailoutbox
    assert message.subject == f"[{group.name}] 您的加入申请未获批准"


def test_no_empty_catalog_stands_in_the_way_of_a_translation():
    """Each offered language's chain of catalogs holds only catalogs that translate something (startup drops
    Django's header-only English ones, which every English string walked through), and translations are unchanged."""
    from django.conf import settings
    from django.utils.translation import trans_real

    for code, _ in settings.LANGUAGES:
        catalog = trans_real.translation(code)._fallback
        while catalog is not None:
            assert not (isinstance(catalog._catalog, dict) and set(catalog._catalog) <= {""}), code
            catalog = catalog._fallback
    with translation.override("en-gb"):
        assert translation.gettext("Your preferences were saved.") == "Your preferences were saved."
        assert translation.ngettext("%(count)s new prompt", "%(count)s new prompts", 2) == "%(count)s new prompts"
    with translation.override("zh-hans"):
        assert translation.ngettext("%(count)s new prompt", "%(count)s new prompts", 2) != "%(count)s new prompts"
