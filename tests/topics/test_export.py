from datetime import UTC, date, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import services as discussion_services
from tests.factories import make_member, make_open_prompt, make_post, make_prompt, make_thread
from topics import export, outcomes, polls
from topics.models import Poll
from topics.scheduling import close_prompt

NOW = datetime(2025, 6, 3, 9, 0, tzinfo=UTC)


def export_url(topic):
    return reverse("topics:topic_export", args=[topic.group.slug, topic.slug])


def vote(poll, user, label, reason=""):
    option = poll.options.get(label=label)
    return polls.cast_vote(poll=poll, user=user, option_id=option.pk, reason=reason, now=NOW)


@pytest.fixture
def prompt(topic, moderator):
    return make_open_prompt(
        topic, author=moderator, title="Will the NRDL cover CAR-T by 2027?", context="Think of the **2024** round."
    )


def test_a_moderator_downloads_the_topic_as_a_markdown_attachment(client, topic, moderator):
    client.force_login(moderator)
    response = client.get(export_url(topic))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{topic.group.slug}-{topic.slug}.md"'
    assert response.content.decode().startswith(f"# {topic.title}\n")


def test_a_member_downloads_the_topic_too(client, topic, prompt, member):
    make_post(prompt.thread, author=member, body="Hospitals will not front the cost.")
    client.force_login(member)
    response = client.get(export_url(topic))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"] == f'attachment; filename="{topic.group.slug}-{topic.slug}.md"'
    assert "> Hospitals will not front the cost." in response.content.decode()


def test_the_topic_page_offers_the_export_to_members_and_not_to_outsiders(client, topic, member, outsider):
    client.force_login(member)
    assert export_url(topic) in client.get(topic.get_absolute_url()).content.decode()
    client.force_login(outsider)  # a public group: they read the topic, but take nothing away whole
    assert export_url(topic) not in client.get(topic.get_absolute_url()).content.decode()
    assert client.get(export_url(topic)).status_code == HTTPStatus.FORBIDDEN


def test_a_members_export_shows_poll_results_only_once_the_thread_would_show_them(
    client, topic, prompt, member, moderator
):
    poll = polls.save_poll(
        prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"], results_visibility=Poll.Results.AFTER_VOTING
    )
    vote(poll, make_member(group=topic.group), "No", reason="Budgets are gone.")
    client.force_login(member)

    before = client.get(export_url(topic)).content.decode()
    vote(poll, member, "Yes")
    after = client.get(export_url(topic)).content.decode()
    client.force_login(moderator)
    moderators = client.get(export_url(topic)).content.decode()

    assert "| No | 1 |" not in before and "Budgets are gone." not in before
    assert "The results are shown once you have voted" in before
    assert "| No | 1 | 50% |" in after and "Budgets are gone." in after
    assert "| No | 1 | 50% |" in moderators  # moderators always see results


def test_a_poll_reason_names_its_voter_without_doubling_brackets(topic, prompt):
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"])
    vote(poll, make_member(group=topic.group, display_name="Grace Chan (demo member)"), "No", reason="Too costly.")
    text = export.export_topic_markdown(topic)
    assert "- **No** · Grace Chan (demo member): Too costly." in text
    assert "((" not in text and "))" not in text


def test_a_quoted_post_in_the_export_has_no_stray_empty_quote_lines(topic, prompt, member):
    quoted = make_post(prompt.thread, author=member, body="First point.\n\n\n\nSecond point.\n\n")
    reply = discussion_services.quote_markdown(quoted) + "\n\n\nI agree with both."
    make_post(prompt.thread, author=make_member(group=topic.group), body=reply)

    text = export.export_topic_markdown(topic)

    assert "> First point.\n>\n> Second point.\n" in text
    assert "> **Mei** wrote:\n>\n> > First point.\n> >\n> > Second point.\n>\n> I agree with both.\n" in text
    lines = text.splitlines()
    empty_quote_lines = [i for i, line in enumerate(lines) if line.strip() and not line.replace(">", "").strip()]
    assert [i for i in empty_quote_lines if i + 1 in empty_quote_lines] == []  # never two in a row


def test_the_export_tidies_blank_lines_between_paragraphs_but_not_inside_fenced_code(topic, prompt, member):
    make_post(prompt.thread, author=member, body="Before.\n\n\n```\nline one\n\n\nline four\n```")
    assert "> Before.\n>\n> ```\n> line one\n>\n>\n> line four\n> ```" in export.export_topic_markdown(topic)


def test_anonymous_visitors_are_sent_to_log_in_to_export(client, topic):
    response = client.get(export_url(topic))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_the_export_has_the_briefing_prompts_outcomes_summary_insights_and_posts(topic, prompt, moderator, member):
    reply = make_post(prompt.thread, author=member, body="Hospitals will not front the cost.")
    outcomes.mark_key_insight(post=reply, by=moderator)
    outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="Coverage is years away.",
        open_questions="Will Shanghai pilot it?", dissent="", review_on=date(2025, 12, 1), now=NOW,
    )  # fmt: skip
    outcomes.save_outcome(
        topic=topic, author=moderator, takeaways="Access is the bottleneck.", open_questions="", dissent="",
        review_on=None, now=NOW,
    )  # fmt: skip
    other = make_thread(topic=topic, author=member, title="Day-care infusion", body="It halves the cost.")

    text = export.export_topic_markdown(topic)

    assert topic.briefing in text
    assert "### Will the NRDL cover CAR-T by 2027?" in text
    assert "Think of the **2024** round." in text
    assert "Status: open · published" in text
    assert "#### Outcome" in text and "Coverage is years away." in text and "Will Shanghai pilot it?" in text
    assert "To be reviewed on 01 Dec 2025." in text
    assert "## Summary" in text and "Access is the bottleneck." in text
    assert "## Key insights" in text and "Mei" in text
    assert "> Hospitals will not front the cost." in text
    assert f"### {other.title}" in text and "> It halves the cost." in text
    assert f"{reply.number}. Mei, {reply.created_at:%-d %b %Y}" in text
    assert f"[post {reply.number}]({reply.get_absolute_url()})" in text  # the key insight's link


def test_the_export_download_turns_the_sites_links_into_full_addresses(client, topic, prompt, moderator, member):
    reply = make_post(prompt.thread, author=member)
    outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways=f"See [post 2]({reply.get_absolute_url()}).",
        open_questions="", dissent="", review_on=None, now=NOW,
    )  # fmt: skip
    client.force_login(moderator)
    body = client.get(export_url(topic)).content.decode()
    assert f"See [post 2](http://testserver{reply.get_absolute_url()})." in body
    assert f"(http://testserver{topic.get_absolute_url()})" in body


def test_the_export_gives_poll_results_with_counts_percentages_and_turnout(topic, prompt, moderator, member):
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No", "Too early to say"], quorum=5)
    for label in ["Yes", "Yes", "No"]:
        voter = make_member(group=topic.group)
        vote(poll, voter, label, reason="Budget pressure." if label == "No" else "")
    close_prompt(prompt_id=prompt.pk, now=NOW)

    text = export.export_topic_markdown(topic)

    # Members: the moderator, Mei and the three voters.
    assert "| Yes | 2 | 67% |" in text
    assert "| No | 1 | 33% |" in text
    assert "| Too early to say | 0 | 0% |" in text
    assert "3 of 5 members voted." in text
    assert "Quorum of 5 not met" in text
    assert "Budget pressure." in text
    assert "Status: closed" in text


def test_under_the_chatham_house_rule_the_export_names_no_author_of_that_prompt(topic, moderator, member):
    prompt = make_open_prompt(topic, author=moderator, chatham_house=True)
    speaker = make_member(group=topic.group, display_name="Xiaoling Zhou")
    said = make_post(prompt.thread, author=speaker, body="Hospitals ration infusion slots.")
    quoting = "**Xiaoling Zhou** wrote:\n\n> Hospitals ration infusion slots.\n\nAs Xiaoling Zhou says, yes."
    make_post(prompt.thread, author=member, body=quoting)
    outcomes.mark_key_insight(post=said, by=moderator)
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"])
    vote(poll, speaker, "No", reason="Slots are the limit.")
    open_thread = make_thread(topic=topic, author=member, title="Open discussion", body="Named as usual.")

    text = export.export_topic_markdown(topic)

    assert "Xiaoling" not in text
    assert "Hospitals ration infusion slots." in text and "Slots are the limit." in text
    assert "A participant" in text
    assert "**A participant** wrote:" in text
    # The rule covers that prompt only: the topic's other threads keep their authors.
    assert f"### {open_thread.title}" in text and "Mei" in text


def test_the_export_leaves_out_removed_posts_and_unpublished_prompts(topic, prompt, moderator, member):
    removed = make_post(prompt.thread, author=member, body="Something regretted.")
    discussion_services.delete_post(post=removed, deleted_by=member)
    make_prompt(topic, author=moderator, title="A draft not yet asked?")

    text = export.export_topic_markdown(topic)

    assert "Something regretted." not in text
    assert "A draft not yet asked?" not in text


def test_the_export_view_returns_the_same_document(client, topic, prompt, moderator):
    client.force_login(moderator)
    body = client.get(export_url(topic)).content.decode()
    assert prompt.title in body and "## Prompts" in body
