"""The search page: results with where each lives and a permalink, filters, clear messages for bad input, limits."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import flags
from tests import factories

SEARCH = reverse("discussions:search")


def get(client, user=None, **params):
    if user is not None:
        client.force_login(user)
    return client.get(SEARCH, params)


def test_a_hit_shows_where_it_lives_and_links_to_the_posts_permalink(client, thread, member):
    post = factories.make_post(thread, body="Hospital tariffs in Shanghai")
    response = get(client, member, q="tariffs")
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert f'href="{post.get_absolute_url()}"' in html
    assert thread.topic.group.name in html and thread.topic.title in html and thread.title in html
    assert f"#{post.number}" in html
    assert "<mark>tariffs</mark>" in html
    assert "1 result for" in html


def test_a_chinese_query_marks_the_chinese_words_in_the_snippet(client, thread, member):
    factories.make_post(thread, body="嵌合抗原受体T细胞治疗的价格")
    html = get(client, member, q="细胞治疗").content.decode()
    assert "<mark>细胞治疗</mark>" in html


def test_a_private_groups_hit_title_and_count_never_reach_an_outsider(client, private_thread, outsider):
    factories.make_post(private_thread, body="Secret valuation numbers")
    html = get(client, outsider, q="valuation").content.decode()
    assert "Secret" not in html and private_thread.title not in html
    assert private_thread.topic.group.name not in html  # not even among the group filter's choices
    assert "0 results" in html


def test_an_outsider_cannot_scope_a_search_to_a_private_group(client, private_thread, outsider):
    response = get(client, outsider, q="valuation", group=private_thread.topic.group.slug)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert private_thread.topic.group.name not in response.content.decode()


def test_a_chatham_house_hit_names_no_author(client, topic, group, member):
    prompt = factories.make_open_prompt(topic, chatham_house=True)
    speaker = factories.make_member(group=group, username="speaker", display_name="Zhang Wei")
    factories.make_post(prompt.thread, author=speaker, body="Candid words on budgets")
    html = get(client, member, q="budgets").content.decode()
    assert "Candid" in html and "Zhang Wei" not in html
    html = get(client, member, q="budgets", author="speaker").content.decode()
    assert "Candid" not in html


def test_the_author_filter_takes_a_chinese_display_name(client, thread, group, member):
    li = factories.make_member(group=group, username="limei", display_name="李梅")
    factories.make_post(thread, author=li, body="医保谈判的进展")
    factories.make_post(thread, author=member, body="医保谈判 too")
    html = get(client, member, q="医保", author="李梅").content.decode()
    assert "1 result for" in html and "进展" in html


def test_a_hidden_post_disappears_from_the_page_at_once(client, thread, member, moderator):
    post = factories.make_post(thread, body="Disputed tariffs")
    flags.hide_post(post=post, moderator=moderator)
    html = get(client, moderator, q="tariffs").content.decode()
    assert "Disputed" not in html and "0 results" in html


def test_an_empty_query_asks_for_a_word(client, member):
    response = get(client, member, q="  ")
    assert response.status_code == HTTPStatus.OK
    assert "Type a word or a name to search for." in response.content.decode()


def test_a_query_of_punctuation_says_so(client, member):
    response = get(client, member, q="?!…")
    assert response.status_code == HTTPStatus.OK
    assert "only punctuation" in response.content.decode()


def test_the_page_without_a_query_shows_the_form(client, db):
    response = client.get(SEARCH)
    assert response.status_code == HTTPStatus.OK
    assert 'name="q"' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 201},
        {"q": "tariffs", "group": "no-such-group"},
        {"q": "tariffs", "date_from": "yesterday"},
        {"q": "tariffs", "date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"q": "tariffs", "role": "villain"},
        {"q": "tariffs", "topic": "cost"},
    ],
)
def test_a_bad_filter_or_an_over_long_query_is_a_clear_400(client, group, member, params):
    response = get(client, member, **params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'class="field__errors"' in response.content.decode()


def test_a_topic_filter_within_its_group(client, topic, group, member):
    post = factories.make_post(factories.make_thread(topic), body="tariffs here")
    factories.make_post(factories.make_thread(factories.make_topic(group=group)), body="tariffs there")
    html = get(client, member, q="tariffs", group=group.slug, topic=topic.slug).content.decode()
    assert "1 result for" in html and post.get_absolute_url() in html


def test_results_are_paged_and_the_next_page_keeps_the_query_and_filters(client, thread, group, member):
    for n in range(25):
        factories.make_post(thread, body=f"Tariffs note {n}")
    html = get(client, member, q="tariffs", group=group.slug).content.decode()
    assert "25 results for" in html
    assert f"?q=tariffs&amp;group={group.slug}&amp;page=2" in html
    second = get(client, member, q="tariffs", group=group.slug, page=2).content.decode()
    assert second.count('class="search-hit"') == 5


def test_the_page_takes_a_constant_number_of_queries(client, thread, member, django_assert_max_num_queries):
    for n in range(30):
        factories.make_post(thread, body=f"Tariffs note {n}")
    client.force_login(member)
    client.get(SEARCH, {"q": "tariffs"})
    with django_assert_max_num_queries(12):
        client.get(SEARCH, {"q": "tariffs"})


def test_searching_too_fast_is_refused_with_429(client, settings, member, within_one_rate_window):
    settings.SEARCHES_PER_MINUTE = 2
    client.force_login(member)
    statuses = [client.get(SEARCH, {"q": "tariffs"}).status_code for _ in range(3)]
    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_the_header_and_group_pages_offer_a_search_box(client, group, member):
    client.force_login(member)
    html = client.get(group.get_absolute_url()).content.decode()
    assert f'action="{SEARCH}"' in html
    assert f'name="group" value="{group.slug}"' in html
