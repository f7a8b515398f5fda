"""Search: what it finds, for whom, and that the index follows every change at once (SQLite and PostgreSQL)."""

import pytest
from django.db import connection
from django.utils import timezone

from discussions import flags, moderation, services
from discussions.models import SearchDocument
from discussions.search import index
from discussions.search.query import Filters, search
from discussions.search.text import search_terms
from tests import factories
from topics import outcomes
from topics.models import Prompt
from topics.services import create_topic

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's ts_rank")


def found(user, query, **filters):
    return [document.object_id for document in search(user=user, query=query, filters=Filters(**filters)).page]


def found_posts(user, query, **filters):
    results = search(user=user, query=query, filters=Filters(**filters))
    return [document.post for document in results.page if document.kind == SearchDocument.Kind.POST]


def test_chinese_runs_become_bigrams_and_latin_words_stay_words():
    terms = search_terms("CAR-T 细胞治疗 药 in CD19")
    assert terms.latin == ["car", "t", "in", "cd19"]
    assert terms.cjk == ["细胞", "胞治", "治疗", "药"]


def test_a_member_finds_a_post_by_a_word_in_it(thread, member):
    post = factories.make_post(thread, body="Reimbursement in Shanghai covers part of the price.")
    factories.make_post(thread, body="Nothing relevant here.")
    assert found_posts(member, "reimbursement") == [post]


def test_every_word_of_the_query_must_match(thread, member):
    both = factories.make_post(thread, body="CD19 therapy price in Beijing")
    factories.make_post(thread, body="CD19 therapy in Shanghai")
    assert found_posts(member, "cd19 price") == [both]


def test_a_chinese_query_finds_the_chinese_post_that_holds_it(thread, member):
    post = factories.make_post(thread, body="嵌合抗原受体T细胞治疗的价格在上海很高")
    factories.make_post(thread, body="细胞培养的治疗方案")  # 细胞 and 治疗, but not 细胞治疗 in a row
    assert found_posts(member, "细胞治疗") == [post]
    assert found_posts(member, "价格") == [post]
    assert found_posts(member, "的价") == [post]


def test_a_single_chinese_character_finds_the_words_that_start_with_it(thread, member):
    post = factories.make_post(thread, body="医保谈判")
    assert found_posts(member, "医") == [post]


def test_a_mixed_query_matches_english_and_chinese_together(thread, member):
    post = factories.make_post(thread, body="CAR-T 医保 reimbursement 谈判")
    factories.make_post(thread, body="reimbursement only")
    assert found_posts(member, "医保 reimbursement") == [post]


def test_a_thread_title_is_found_and_marked(topic, member):
    thread = factories.make_thread(topic, title="Hospital pricing in Guangzhou")
    results = search(user=member, query="guangzhou")
    assert [(d.kind, d.object_id) for d in results.page] == [("thread", thread.pk)]


def test_a_chinese_name_finds_a_post_that_mentions_it_and_its_author(topic, group, member):
    li = factories.make_member(group=group, username="limei", display_name="李梅")
    thread = factories.make_thread(topic, author=li, body="我们讨论一下医保")
    mention = factories.make_post(thread, author=member, body="同意 @李梅 的看法")
    assert found_posts(member, "李梅") == [mention]
    assert [p.thread for p in found_posts(member, "医保", author_ids=[li.pk])] == [thread]


# Who may see what.


def test_a_member_of_another_group_never_finds_a_private_groups_posts(private_thread, member):
    factories.make_post(private_thread, body="Confidential valuation of Legend Biotech")
    results = search(user=member, query="valuation")
    assert results.count == 0 and list(results.page) == []


def test_a_visitor_finds_only_public_groups(private_thread, thread, member):
    from django.contrib.auth.models import AnonymousUser

    public = factories.make_post(thread, body="valuation of the market")
    factories.make_post(private_thread, body="valuation of a private deal")
    assert found_posts(AnonymousUser(), "valuation") == [public]


def test_a_private_groups_member_finds_its_posts(private_thread, private_member):
    post = factories.make_post(private_thread, body="valuation of a private deal")
    assert found_posts(private_member, "valuation") == [post]


def test_drafts_are_never_found_and_a_published_prompt_is(topic, member):
    draft = factories.make_prompt(topic, title="Draft question about tariffs")
    index.index_prompt(draft)
    assert found(member, "tariffs") == []
    published = factories.make_open_prompt(topic, title="Open question about tariffs")
    kinds = {(d.kind, d.object_id) for d in search(user=member, query="tariffs").page}
    assert ("prompt", published.pk) in kinds and ("prompt", draft.pk) not in kinds


# Chatham House.


def test_under_the_chatham_house_rule_a_hit_names_no_author_and_the_author_filter_finds_nothing(topic, group, member):
    prompt = factories.make_open_prompt(topic, chatham_house=True)
    speaker = factories.make_member(group=group, username="speaker", display_name="Speaker")
    post = factories.make_post(prompt.thread, author=speaker, body="Frank view on hospital budgets")
    [document] = search(user=member, query="budgets").page
    assert document.post == post and document.is_author_hidden
    assert found_posts(member, "budgets", author_ids=[speaker.pk]) == []
    open_thread = factories.make_thread(topic, author=speaker, body="Open view on hospital budgets")
    assert [p.thread for p in found_posts(member, "budgets", author_ids=[speaker.pk])] == [open_thread]


# The index follows each change at once.


def test_a_hidden_post_leaves_the_results_and_comes_back_when_unhidden(thread, member, moderator):
    post = factories.make_post(thread, body="A contested claim about tariffs")
    flags.hide_post(post=post, moderator=moderator)
    results = search(user=moderator, query="tariffs")
    assert results.count == 0
    flags.unhide_post(post=post, moderator=moderator)
    assert found_posts(member, "tariffs") == [post]


def test_a_removed_post_leaves_the_results(thread, member):
    post = factories.make_post(thread, author=member, body="Withdrawn figures on tariffs")
    services.delete_post(post=post, deleted_by=member)
    assert found_posts(member, "tariffs") == []


def test_a_post_hidden_by_flags_leaves_the_results(thread, group, member):
    group.flags_to_hide = 1
    group.save()
    post = factories.make_post(thread, body="Spam about tariffs")
    flags.flag_post(post=post, user=member, reason="spam")
    assert found_posts(member, "tariffs") == []


def test_an_edit_is_found_by_its_new_words_and_not_its_old(thread, member):
    post = factories.make_post(thread, author=member, body="Old words about tariffs")
    services.edit_post(post=post, editor=member, body="New words about 医保")
    assert found_posts(member, "tariffs") == []
    assert found_posts(member, "医保") == [post]


def test_a_renamed_and_moved_thread_is_found_by_its_new_title_in_its_new_topic(topic, group, member, moderator):
    thread = factories.make_thread(topic, title="First title")
    other = factories.make_topic(group=group)
    moderation.rename_thread(thread=thread, title="Renamed about tariffs")
    moderation.move_thread(thread=thread, topic=other)
    assert found(member, "tariffs", topic=other) == [thread.pk]
    assert found(member, "first") == []


def test_outcomes_and_briefings_are_found(topic, group, member, moderator):
    prompt = factories.make_open_prompt(topic)
    outcome = outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="Payers want outcome-based contracts",
        dissent="Some doubt 分期付款", now=timezone.now(),
    )
    briefed = create_topic(group=group, title="Market", slug="market", briefing="What is the 市场规模 in 2030?")
    assert found(member, "contracts") == [outcome.pk]
    assert found(member, "分期付款") == [outcome.pk]
    assert found(member, "市场规模") == [briefed.pk]


def test_filters_by_group_topic_date_and_role(topic, group, member):
    other_topic = factories.make_topic(group=group)
    thread = factories.make_thread(topic)
    elsewhere = factories.make_thread(other_topic)
    evidence = services.publish_post(thread=thread, author=member, body="Price data", role="evidence")
    services.publish_post(thread=elsewhere, author=member, body="Price talk")
    assert found_posts(member, "price", topic=topic) == [evidence]
    assert found_posts(member, "price", role="evidence") == [evidence]
    today = timezone.localdate()
    assert len(found_posts(member, "price", date_from=today, date_to=today)) == 2
    assert found_posts(member, "price", date_to=today.replace(year=today.year - 1)) == []


def test_rebuilding_the_index_finds_what_was_there(thread, member):
    post = factories.make_post(thread, body="Rebuilt index finds tariffs")
    SearchDocument.objects.all().delete()
    assert index.rebuild() >= 3
    assert found_posts(member, "tariffs") == [post]


def test_a_search_takes_a_constant_number_of_queries(thread, member, django_assert_max_num_queries):
    for n in range(30):
        factories.make_post(thread, body=f"Tariffs note {n}")
    with django_assert_max_num_queries(4):
        results = search(user=member, query="tariffs")
        [document.post.number for document in results.page]


# Ranking (PostgreSQL's ts_rank).


@on_postgresql
def test_a_title_match_ranks_above_a_match_in_the_text(topic, member):
    in_text = factories.make_thread(topic, title="Other", body="Notes on manufacturing")
    in_title = factories.make_thread(topic, title="Manufacturing", body="Notes")
    results = search(user=member, query="manufacturing")
    assert results.page[0].object_id == in_title.pk
    assert in_text.pk != in_title.pk


@on_postgresql
def test_more_matches_rank_higher(thread, member):
    once = factories.make_post(thread, body="Manufacturing cost, and other things entirely unrelated to it")
    often = factories.make_post(thread, body="Manufacturing, manufacturing sites and manufacturing cost")
    assert found_posts(member, "manufacturing") == [often, once]


@on_postgresql
def test_english_words_are_stemmed_on_postgresql(thread, member):
    post = factories.make_post(thread, body="The prices rose")
    assert found_posts(member, "price") == [post]
    assert found_posts(member, "pricing") == [post]


def test_a_prompt_keeps_its_chatham_house_thread_documents_marked(topic):
    prompt = factories.make_open_prompt(topic, chatham_house=True)
    assert Prompt.objects.get(pk=prompt.pk).thread_id
    assert all(SearchDocument.objects.filter(thread=prompt.thread).values_list("is_author_hidden", flat=True))


def test_a_moderators_version_in_the_other_language_is_found_by_either_language(topic, group, member, moderator):
    from topics import prompts
    from topics.bilingual_forms import PromptTranslationForm

    prompt = factories.make_open_prompt(topic, title="Who pays for CAR-T?", context="Budgets differ by province.")
    form = PromptTranslationForm(
        {"language": "en", "title_translated": "谁来支付CAR-T费用？", "context_translated": "各省的医保预算不同。"},
        instance=prompt,
    )
    assert form.is_valid(), form.errors
    prompts.save_prompt_translation(form=form)
    briefed = create_topic(
        group=group, title="Market", slug="market", briefing="The market size in 2030.",
        briefing_translated="二零三零年的市场规模。",
    )  # fmt: skip
    outcome = outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="Payers want contracts", now=timezone.now(),
        takeaways_translated="支付方希望签订合同",
    )  # fmt: skip

    assert prompt.pk in found(member, "医保预算") and prompt.pk in found(member, "budgets")
    assert found(member, "市场规模") == [briefed.pk]
    assert found(member, "签订合同") == [outcome.pk]


def test_a_prompt_with_the_longest_question_in_both_languages_is_indexed(topic, member):
    # PostgreSQL enforces the title column's length: the other language's question must not be added to it.
    prompt = factories.make_open_prompt(topic, title="Reimbursement " + "x" * 186)
    Prompt.objects.filter(pk=prompt.pk).update(title_translated="医保" * 100)
    index.index_prompt(Prompt.objects.get(pk=prompt.pk))
    assert prompt.pk in found(member, "医保") and prompt.pk in found(member, "reimbursement")
