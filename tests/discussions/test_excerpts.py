"""Excerpts of posts read as text, not as Markdown (issue 9, item 7): profiles, citation lists, key insights,
evidence lists and notification emails all start from the stored HTML."""

from datetime import date
from http import HTTPStatus

from django.urls import reverse

from discussions import services
from discussions.excerpts import excerpt, plain_text
from discussions.markdown import render_markdown
from discussions.models import Post
from tests.factories import make_member, make_open_prompt, make_post, make_thread, make_topic
from topics import outcomes

MARKDOWN = "**Bold** claim, see [the report](https://example.org/r).\n\n| Drug | Price |\n| --- | --- |\n| Yescarta | 1.2M |"
AS_TEXT = "Bold claim, see the report. Drug | Price; Yescarta | 1.2M"
RAW_MARKS = ("**Bold**", "](https://example.org/r)", "| --- |")


def assert_reads_as_text(page: str) -> None:
    assert AS_TEXT in page
    assert [mark for mark in RAW_MARKS if mark in page] == []


def test_plain_text_drops_markup_and_keeps_the_words():
    assert plain_text(render_markdown(MARKDOWN)) == AS_TEXT


def test_plain_text_separates_blocks_and_list_items_with_spaces():
    html = render_markdown("# Costs\nFirst.\n\nSecond\nline.\n\n- one\n- two")
    assert plain_text(html) == "Costs First. Second line. one two"


def test_plain_text_leaves_out_what_a_post_quotes_from_another():
    body = "**Grace Chan** wrote:\n\n> Hospitals ration slots.\n>\n> Always.\n\nI disagree."
    assert plain_text(render_markdown(body)) == "I disagree."


def test_a_post_that_is_only_a_quote_still_reads_as_its_quote():
    body = "**Grace Chan** wrote:\n\n> Hospitals ration slots."
    assert plain_text(render_markdown(body)) == "Grace Chan wrote: Hospitals ration slots."


def test_plain_text_unescapes_entities_once_and_returns_plain_text():
    text = excerpt(render_markdown("5 < 6 & `<b>`"), 100)
    assert text == "5 < 6 & <b>"
    assert type(text) is str  # not SafeString: templates escape it


def test_an_excerpt_is_cut_with_an_ellipsis():
    assert excerpt(render_markdown("word " * 50), 20) == "word word word word…"


def test_a_profiles_recent_posts_read_as_text(client, topic, member):
    make_post(make_thread(topic=topic), author=member, body=MARKDOWN)
    response = client.get(reverse("profile", args=[member.username]))
    assert_reads_as_text(response.content.decode())


def test_the_outcome_forms_citation_list_reads_as_text(client, topic, moderator, member):
    prompt = make_open_prompt(topic, author=moderator)
    make_post(prompt.thread, author=member, body=MARKDOWN)
    client.force_login(moderator)
    response = client.get(reverse("topics:prompt_outcome", args=[topic.group.slug, prompt.pk]))
    assert response.status_code == HTTPStatus.OK
    assert_reads_as_text(response.content.decode())


def test_the_summary_forms_key_insights_and_the_topic_pages_read_as_text(client, topic, moderator, member):
    post = make_post(make_thread(topic=topic), author=member, body=MARKDOWN)
    outcomes.mark_key_insight(post=post, by=moderator)
    client.force_login(moderator)
    summary_form = client.get(reverse("topics:topic_summary", args=[topic.group.slug, topic.slug]))
    topic_page = client.get(topic.get_absolute_url())
    assert_reads_as_text(summary_form.content.decode())
    assert AS_TEXT in topic_page.content.decode()


def test_a_key_insight_on_the_topic_page_leaves_out_what_it_quotes(client, topic, moderator, member):
    quoted = "**Grace Chan** wrote:\n\n> Slots are rationed.\n\nThe real limit is beds."
    post = make_post(make_thread(topic=topic), author=member, body=quoted)
    outcomes.mark_key_insight(post=post, by=moderator)
    page = client.get(topic.get_absolute_url()).content.decode()
    insights = page[page.index('id="insights-heading"') :]
    assert "The real limit is beds." in insights
    assert "Slots are rationed." not in insights


def test_the_topic_pages_evidence_reads_as_text(client, topic):
    thread = make_thread(topic=topic)
    services.publish_post(
        thread=thread, author=make_member(group=topic.group), body=MARKDOWN, role=Post.Role.EVIDENCE,
        source_url="https://example.org/data", evidence_as_of=date(2024, 3, 1),
    )  # fmt: skip
    page = client.get(topic.get_absolute_url()).content.decode()
    assert_reads_as_text(page[page.index('id="evidence-heading"') :])


def test_the_group_pages_briefing_preview_reads_as_text_with_each_character_escaped_once(client, group):
    make_topic(group=group, briefing="**R&D** costs:\n\n| Drug | Price |\n| --- | --- |\n| Yescarta | 1.2M |")
    page = client.get(group.get_absolute_url()).content.decode()
    assert "R&amp;D costs: Drug | Price; Yescarta | 1.2M" in page
    assert "&amp;amp;" not in page
