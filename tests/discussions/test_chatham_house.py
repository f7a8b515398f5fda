"""Prompts run under the Chatham House rule: members see what was said, not who said it (issue #4, item 9)."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions import services
from tests.factories import make_member, make_moderator, make_open_prompt, make_thread

SECRET_NAME = "Wendy Whistleblower"


@pytest.fixture
def prompt(topic, moderator):
    return make_open_prompt(topic, author=moderator, chatham_house=True, title="What do payers really think?")


@pytest.fixture
def speaker(group):
    return make_member(group=group, username="wendy", display_name=SECRET_NAME, affiliation="Big Payer Inc")


@pytest.fixture
def said(prompt, speaker):
    return services.publish_post(thread=prompt.thread, author=speaker, body="They will not pay list price.")


def thread_page(client, thread, **params):
    response = client.get(thread.get_absolute_url(), params)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_members_see_what_was_said_but_not_who_said_it(client, said, member):
    client.force_login(member)

    page = thread_page(client, said.thread)

    assert "They will not pay list price." in page
    assert "A participant" in page
    assert SECRET_NAME not in page


def test_anonymous_visitors_do_not_see_who_said_it_either(client, said):
    page = thread_page(client, said.thread)

    assert "A participant" in page
    assert SECRET_NAME not in page


def test_members_see_no_profile_link_affiliation_or_initial(client, said, member):
    client.force_login(member)

    page = thread_page(client, said.thread)

    assert reverse("profile", args=["wendy"]) not in page
    assert "Big Payer Inc" not in page
    assert '<span class="avatar" aria-hidden="true">W</span>' not in page


def test_moderators_still_see_who_said_it_with_a_note(client, said, moderator):
    client.force_login(moderator)

    page = thread_page(client, said.thread)

    assert SECRET_NAME in page
    assert reverse("profile", args=["wendy"]) in page
    assert "Chatham House: only moderators see names." in page


def test_members_are_told_the_thread_runs_under_the_rule(client, said, member):
    client.force_login(member)

    assert "Chatham House rule: posts here show what was said, not who said it." in thread_page(client, said.thread)


def test_authors_see_their_own_posts_as_theirs(client, said, speaker):
    client.force_login(speaker)

    page = thread_page(client, said.thread)

    assert '<span class="post__author">You</span>' in page
    assert SECRET_NAME not in page.split('<div class="posts">', 1)[1]


def test_a_role_filtered_thread_keeps_the_authors_hidden(client, prompt, speaker, member):
    services.publish_post(thread=prompt.thread, author=speaker, body="Payers resist.", role="against")
    client.force_login(member)

    page = thread_page(client, prompt.thread, role="against")

    assert "Payers resist." in page
    assert SECRET_NAME not in page


def test_quoting_prefills_no_author_name_for_members(client, said, member):
    client.force_login(member)

    response = client.get(said.thread.get_absolute_url(), {"quote": said.pk})

    body = response.context["form"].initial["body"]
    assert body.startswith("**A participant** wrote:")
    assert SECRET_NAME not in body


def test_quoting_prefills_no_author_name_for_moderators_either(client, said, moderator):
    # The reply is read by everyone, so even a moderator's quote must not name the author.
    client.force_login(moderator)

    response = client.get(said.thread.get_absolute_url(), {"quote": said.pk})

    assert SECRET_NAME not in response.context["form"].initial["body"]


def test_quote_markdown_asks_the_thread_whether_to_name_the_author(said):
    assert services.quote_markdown(said).startswith("**A participant** wrote:")


def test_ordinary_threads_still_name_authors(client, topic, speaker, member):
    thread = make_thread(topic=topic, author=speaker)
    client.force_login(member)

    page = thread_page(client, thread)

    assert SECRET_NAME in page
    assert services.quote_markdown(thread.posts.get()).startswith(f"**{SECRET_NAME}** wrote:")


def test_prompts_without_the_rule_name_authors(client, topic, speaker, member):
    prompt = make_open_prompt(topic, chatham_house=False)
    services.publish_post(thread=prompt.thread, author=speaker, body="Open answer.")
    client.force_login(member)

    assert SECRET_NAME in thread_page(client, prompt.thread)


def test_the_thread_page_query_budget_holds_under_the_rule(client, said, member, django_assert_max_num_queries):
    for _ in range(10):
        services.publish_post(thread=said.thread, author=make_member(group=said.thread.topic.group), body="More.")
    client.force_login(member)
    client.get(said.thread.get_absolute_url())

    with django_assert_max_num_queries(12):
        client.get(said.thread.get_absolute_url())


# The profile page


def profile_page(client, user):
    response = client.get(reverse("profile", args=[user.username]))
    assert response.status_code == HTTPStatus.OK
    return response


def test_a_profile_does_not_list_chatham_house_posts_to_members(client, said, speaker, member):
    client.force_login(member)

    assert said not in profile_page(client, speaker).context["posts"]


def test_a_profile_does_not_list_chatham_house_posts_to_anonymous_visitors(client, said, speaker):
    assert said not in profile_page(client, speaker).context["posts"]


def test_a_profile_lists_chatham_house_posts_to_the_groups_moderators(client, said, speaker, moderator):
    client.force_login(moderator)

    assert said in profile_page(client, speaker).context["posts"]


def test_moderators_of_another_group_do_not_see_chatham_house_posts_on_a_profile(client, said, speaker):
    client.force_login(make_moderator())

    assert said not in profile_page(client, speaker).context["posts"]


def test_a_profile_still_lists_ordinary_posts(client, said, topic, speaker, member):
    ordinary = make_thread(topic=topic, author=speaker).posts.get()
    client.force_login(member)

    assert list(profile_page(client, speaker).context["posts"]) == [ordinary]


# A post's history


def history_page(client, post):
    response = client.get(reverse("discussions:post_revisions", args=[post.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_the_history_of_a_chatham_house_post_names_no_moderator_to_its_author(client, said, speaker, moderator):
    services.edit_post(post=said, editor=moderator, body="They will not pay list price, says a payer.")
    client.force_login(speaker)

    page = history_page(client, said)

    assert "By you in" in page
    assert "by a moderator" in page
    assert "Dr Moderator" not in page


def test_moderators_see_the_author_in_a_chatham_house_posts_history(client, said, moderator):
    services.edit_post(post=said, editor=moderator, body="Edited.")
    client.force_login(moderator)

    assert f"By {SECRET_NAME} in" in history_page(client, said)
