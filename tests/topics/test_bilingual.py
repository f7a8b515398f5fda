"""Prompts, briefings and outcomes in two languages: what the moderator writes, what each reader sees, what emails say."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from discussions import digest, mailing
from discussions.models import Notification
from groupsite.models import NotificationKind
from tests import factories
from topics import export, outcomes
from topics.models import Membership, Outcome, OutcomeRevision, Prompt, Topic

QUESTION_ZH = "价格降到多少才能让多数患者用上？"
CONTEXT_ZH = "请给出一个**具体**的价格。"


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def translated_prompt(topic, moderator):
    return factories.make_open_prompt(
        topic,
        author=moderator,
        title="What price opens access?",
        context="Name a **price**.",
        title_translated=QUESTION_ZH,
        context_translated=CONTEXT_ZH,
    )


def get_page(client, url, *, language="en-gb", **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def prompt_form_data(topic, **fields):
    return {"topic": topic.pk, "title": "Which model pays?", "context": "Compare them.", "when": "draft",
            "poll_results_visibility": "always", "language": "en"} | fields  # fmt: skip


# Forms


def test_a_moderator_saves_a_prompt_with_its_chinese_version(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_form_data(topic, title_translated=QUESTION_ZH, context_translated=CONTEXT_ZH)

    response = client.post(reverse("topics:prompt_new", args=[group.slug]), data)

    assert response.status_code == HTTPStatus.FOUND
    prompt = Prompt.objects.get(title="Which model pays?")
    assert (prompt.language, prompt.title_translated) == ("en", QUESTION_ZH)
    assert prompt.context_translated_html == "<p>请给出一个<strong>具体</strong>的价格。</p>"


def test_a_translated_context_without_its_question_is_a_form_error_and_nothing_is_saved(client, group, topic, moderator):
    client.force_login(moderator)
    data = prompt_form_data(topic, title_translated="", context_translated=CONTEXT_ZH)

    response = client.post(reverse("topics:prompt_new", args=[group.slug]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "title_translated" in response.context["form"].errors
    assert not Prompt.objects.exists()


def test_a_translated_question_without_the_context_the_original_has_is_a_form_error(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(reverse("topics:prompt_new", args=[group.slug]), prompt_form_data(topic, title_translated="问题？"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "context_translated" in response.context["form"].errors


def test_the_prompt_form_labels_the_other_languages_version(client, group, moderator):
    client.force_login(moderator)

    html = get_page(client, reverse("topics:prompt_new", args=[group.slug]))

    assert "Chinese version (optional)" in html
    assert 'data-when-original-zh="English version (optional)"' in html


def test_a_chinese_original_asks_for_the_english_version(client, group, topic, moderator):
    prompt = factories.make_prompt(topic, author=moderator, title="谁来付费？", context="", language="zh-hans")
    client.force_login(moderator)

    html = get_page(client, reverse("topics:prompt_edit", args=[group.slug, prompt.pk]))

    assert "<legend data-translation-legend" in html and ">English version (optional)</legend>" in html


def test_a_moderator_adds_the_briefings_chinese_version(client, group, topic, moderator):
    client.force_login(moderator)
    data = {"title": topic.title, "slug": topic.slug, "briefing": "What we study.", "briefing_language": "en",
            "briefing_translated": "我们研究的内容。"}  # fmt: skip

    response = client.post(reverse("topics:topic_edit", args=[group.slug, topic.slug]), data)

    assert response.status_code == HTTPStatus.FOUND
    topic.refresh_from_db()
    assert topic.briefing_translated_html == "<p>我们研究的内容。</p>"


def test_an_outcome_keeps_its_chinese_version_and_a_revision_keeps_the_old_one(client, group, translated_prompt, moderator):
    client.force_login(moderator)
    url = reverse("topics:prompt_outcome", args=[group.slug, translated_prompt.pk])
    client.post(url, {"takeaways": "Price matters.", "language": "en", "takeaways_translated": "价格很重要。"})

    response = client.post(url, {"takeaways": "Price matters most.", "language": "en", "takeaways_translated": "价格最重要。"})

    assert response.status_code == HTTPStatus.FOUND
    outcome = Outcome.objects.get()
    assert outcome.takeaways_translated_html == "<p>价格最重要。</p>"
    revision = OutcomeRevision.objects.get()
    assert (revision.takeaways_translated, revision.takeaways_translated_html) == ("价格很重要。", "<p>价格很重要。</p>")


def test_an_outcome_whose_translation_misses_a_section_is_refused(client, group, translated_prompt, moderator):
    client.force_login(moderator)
    url = reverse("topics:prompt_outcome", args=[group.slug, translated_prompt.pk])

    response = client.post(url, {"takeaways": "Price.", "dissent": "Some disagree.", "takeaways_translated": "价格。"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "dissent_translated" in response.context["form"].errors
    assert not Outcome.objects.exists()


# Pages


def test_a_chinese_reader_sees_the_chinese_question_marked_as_a_translation_with_a_link_to_the_original(
    client, translated_prompt
):
    html = get_page(client, translated_prompt.thread.get_absolute_url(), language="zh-hans")

    assert f'<h1 lang="zh-Hans">{QUESTION_ZH}</h1>' in html
    assert '<div class="prose" lang="zh-Hans"><p><strong>' in html  # the opening post, in Chinese
    assert "请给出一个<strong>具体</strong>的价格。" in html
    assert "bilingual-note__label" in html  # "Translated by the moderators"
    assert 'href="?lang=en" hreflang="en"' in html


def test_an_english_reader_sees_the_original_with_a_link_to_the_chinese_version(client, translated_prompt):
    html = get_page(client, translated_prompt.thread.get_absolute_url())

    assert '<h1 lang="en">What price opens access?</h1>' in html
    assert QUESTION_ZH not in html
    assert "Translated by the moderators" not in html
    assert 'href="?lang=zh-hans" hreflang="zh-Hans">Read in Chinese</a>' in html


def test_the_switch_link_shows_the_other_version_without_javascript(client, translated_prompt):
    html = get_page(client, translated_prompt.thread.get_absolute_url(), lang="zh-hans")

    assert f'<h1 lang="zh-Hans">{QUESTION_ZH}</h1>' in html
    assert "Translated by the moderators" in html
    assert ">Read the English original</a>" in html


def test_the_switch_link_keeps_the_pages_other_parameters(client, translated_prompt):
    html = get_page(client, translated_prompt.thread.get_absolute_url(), page="1")

    assert 'href="?lang=zh-hans&amp;page=1"' in html


def test_without_a_version_in_the_readers_language_the_original_shows_with_its_lang_and_no_switch(
    client, group, topic, moderator
):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Who pays?", context="Say who.")

    thread_html = get_page(client, prompt.thread.get_absolute_url(), language="zh-hans")
    agenda_html = get_page(client, reverse("topics:agenda", args=[group.slug]), language="zh-hans")

    assert '<h1 lang="en">Who pays?</h1>' in thread_html
    assert 'lang="en">Who pays?</a>' in agenda_html
    for html in (thread_html, agenda_html):
        assert "bilingual-note" not in html and "?lang=" not in html


def test_a_chinese_original_shows_as_it_is_to_chinese_readers(client, topic, moderator):
    prompt = factories.make_open_prompt(
        topic, author=moderator, title="谁来付费？", context="说明理由。", language="zh-hans",
        title_translated="Who pays?", context_translated="Say why.",
    )  # fmt: skip

    chinese = get_page(client, prompt.thread.get_absolute_url(), language="zh-hans")
    english = get_page(client, prompt.thread.get_absolute_url())

    assert '<h1 lang="zh-Hans">谁来付费？</h1>' in chinese and "bilingual-note__label" not in chinese
    assert '<h1 lang="en">Who pays?</h1>' in english and ">Read the Chinese original</a>" in english


def test_the_agenda_and_group_page_list_the_chinese_question_for_chinese_readers(client, group, translated_prompt):
    for url in (reverse("topics:agenda", args=[group.slug]), group.get_absolute_url()):
        html = get_page(client, url, language="zh-hans")

        assert f'lang="zh-Hans">{QUESTION_ZH}</a>' in html
        assert "What price opens access?" not in html


def test_the_topic_page_shows_the_briefing_in_the_readers_language(client, topic):
    topic.briefing_translated = "中文简报。"
    topic.save()

    chinese = get_page(client, topic.get_absolute_url(), language="zh-hans")
    english = get_page(client, topic.get_absolute_url())

    assert '<div class="prose" lang="zh-Hans"><p>中文简报。</p></div>' in chinese
    assert f'<div class="prose" lang="en">{topic.briefing_html}</div>' in english and "中文简报" not in english
    assert 'lang="zh-Hans">中文简报。</p>' in get_page(client, topic.group.get_absolute_url(), language="zh-hans")


def test_an_outcome_shows_in_the_readers_language_on_the_thread_and_topic_pages(client, topic, translated_prompt, moderator, now):
    outcomes.save_outcome(
        topic=topic, prompt=translated_prompt, author=moderator, now=now,
        takeaways="Price matters.", takeaways_translated="价格很重要。",
    )  # fmt: skip

    for url in (translated_prompt.thread.get_absolute_url(), topic.get_absolute_url()):
        chinese = get_page(client, url, language="zh-hans")
        english = get_page(client, url)

        assert '<div class="prose" lang="zh-Hans"><p>价格很重要。</p></div>' in chinese
        assert '<div class="prose" lang="en"><p>Price matters.</p></div>' in english


# Emails and the export


def test_the_digest_gives_a_chinese_member_the_chinese_question_and_outcome(settled_member, topic, moderator, now):
    prompt = factories.make_prompt(topic, author=moderator, title="Who pays?", context="Say.",
                                   title_translated="谁来付费？", context_translated="说明。")  # fmt: skip
    from topics.scheduling import publish_prompt

    publish_prompt(prompt_id=prompt.pk, now=now - timedelta(days=1), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    outcomes.save_outcome(topic=topic, prompt=prompt, author=moderator, now=now - timedelta(hours=1),
                          takeaways="Insurers pay.", takeaways_translated="由保险公司支付。")  # fmt: skip

    with translation.override("zh-hans"):
        chinese = digest.digest_context(settled_member, now=now)
    with translation.override("en-gb"):
        english = digest.digest_context(settled_member, now=now)

    [chinese_section], [english_section] = chinese["sections"], english["sections"]
    assert [item["title"] for item in chinese_section["prompts"]] == ["谁来付费？"]
    assert [(item["title"], item["excerpt"]) for item in chinese_section["outcomes"]] == [("谁来付费？", "由保险公司支付。")]
    assert [item["title"] for item in english_section["prompts"]] == ["Who pays?"]
    assert [item["excerpt"] for item in english_section["outcomes"]] == ["Insurers pay."]


def test_a_new_prompt_email_uses_the_members_language(settled_member, translated_prompt):
    notification = Notification.objects.create(
        user=settled_member, kind=NotificationKind.PROMPT, group=translated_prompt.topic.group,
        thread=translated_prompt.thread, prompt=translated_prompt, actor=translated_prompt.author,
    )  # fmt: skip

    with translation.override("zh-hans"):
        chinese = mailing.notification_email_context([notification])
    with translation.override("en-gb"):
        english = mailing.notification_email_context([notification])

    assert chinese["title"] == QUESTION_ZH and QUESTION_ZH in chinese["items"][0]["summary"]
    assert chinese["items"][0]["excerpt"] == "请给出一个具体的价格。"
    assert english["title"] == "What price opens access?" and english["items"][0]["excerpt"] == "Name a price."


def test_the_markdown_export_holds_both_versions_labelled(topic, translated_prompt, moderator, now):
    topic.briefing_translated = "中文简报。"
    topic.save()
    outcomes.save_outcome(topic=topic, prompt=translated_prompt, author=moderator, now=now,
                          takeaways="Price matters.", takeaways_translated="价格很重要。")  # fmt: skip

    text = export.export_topic_markdown(topic)

    assert "### Chinese version (translated by the moderators)\n\n中文简报。" in text
    assert f"#### Chinese version (translated by the moderators)\n\n{QUESTION_ZH}\n\n{CONTEXT_ZH}" in text
    assert "##### Chinese version (translated by the moderators)\n\n###### Key takeaways\n\n价格很重要。" in text


# Hostile text and query counts


def test_hostile_text_in_the_chinese_version_stays_text(client, topic, moderator, now):
    hostile = '<img src=x onerror="xss()"><script>xss()</script>'
    prompt = factories.make_open_prompt(topic, author=moderator, title="Q?", context="C.",
                                        title_translated=f"问题 {hostile}", context_translated=f"背景 {hostile}")  # fmt: skip
    outcomes.save_outcome(topic=topic, prompt=prompt, author=moderator, now=now, takeaways="T.",
                          takeaways_translated=f"要点 {hostile}")  # fmt: skip

    for url in (prompt.thread.get_absolute_url(), reverse("topics:agenda", args=[topic.group.slug]), topic.get_absolute_url()):
        html = get_page(client, url, language="zh-hans")

        assert "问题" in html or "要点" in html
        for injected in ("<img", "<script>xss", 'onerror="'):
            assert injected not in html, html[html.index(injected) - 200 : html.index(injected) + 100]


def queries_for(client, url, **params) -> int:
    cache.clear()  # every piece of the page made afresh: the cost of rendering it, not of reading stored pieces
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


@pytest.mark.parametrize("page", ["topics:group", "topics:agenda", "topics:topic", "thread"])
def test_translations_cost_no_query_on_any_page(client, group, topic, moderator, member, now, page):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Q?", context="C.")
    outcomes.save_outcome(topic=topic, prompt=prompt, author=moderator, now=now, takeaways="T.")
    client.force_login(member)
    url = {
        "topics:group": group.get_absolute_url(),
        "topics:agenda": reverse("topics:agenda", args=[group.slug]),
        "topics:topic": topic.get_absolute_url(),
        "thread": prompt.thread.get_absolute_url(),
    }[page]
    client.get(url)  # the session and any first-request work
    untranslated = queries_for(client, url)

    Prompt.objects.filter(pk=prompt.pk).update(title_translated="问？", context_translated="背景。")
    Topic.objects.filter(pk=topic.pk).update(briefing_translated="简报。")
    Outcome.objects.filter(prompt=prompt).update(takeaways_translated="要点。")
    client.get(url)
    client.get(url, {"lang": "zh-hans"})  # the first page in a language fills the thread's post cache for it

    assert queries_for(client, url) == untranslated
    assert queries_for(client, url, lang="zh-hans") == untranslated


@pytest.fixture
def settled_member(group, topic, member, moderator, now):
    """A member who joined a month ago (joining is not news in their digest)."""
    Membership.objects.update(joined_at=now - timedelta(days=30))
    return member


def test_a_moderator_translates_a_prompt_already_published(client, group, topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Who pays?", context="Say who.")
    client.force_login(moderator)
    assert "Chinese version (optional)" in get_page(client, reverse("topics:prompt_edit", args=[group.slug, prompt.pk]))

    response = client.post(
        reverse("topics:prompt_translation", args=[group.slug, prompt.pk]),
        {"language": "en", "title_translated": "谁来付费？", "context_translated": "说明是谁。"},
    )

    assert response.status_code == HTTPStatus.FOUND
    prompt.refresh_from_db()
    assert (prompt.title_translated, prompt.context_translated_html) == ("谁来付费？", "<p>说明是谁。</p>")
    assert prompt.status == Prompt.Status.OPEN and prompt.title == "Who pays?"


def test_a_published_prompts_translation_without_its_context_is_refused(client, group, topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Who pays?", context="Say who.")
    client.force_login(moderator)

    response = client.post(
        reverse("topics:prompt_translation", args=[group.slug, prompt.pk]), {"language": "en", "title_translated": "谁？"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "context_translated" in response.context["translation_form"].errors
    prompt.refresh_from_db()
    assert prompt.title_translated == ""


def test_only_a_moderator_may_translate_a_prompt(client, group, topic, moderator, member):
    prompt = factories.make_open_prompt(topic, author=moderator, title="Who pays?", context="Say who.")
    client.force_login(member)

    response = client.post(
        reverse("topics:prompt_translation", args=[group.slug, prompt.pk]),
        {"language": "en", "title_translated": "谁？", "context_translated": "说。"},
    )

    assert response.status_code in {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND}
    prompt.refresh_from_db()
    assert prompt.title_translated == ""
