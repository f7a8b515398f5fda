"""Reactions on posts: toggling with and without JavaScript, counts, who reacted (and the Chatham House rule),
who may react, and the moderators' key-insight suggestions."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from discussions import reactions, services
from discussions.reactions import Reaction
from tests import factories
from topics import sanctions
from topics.models import Membership

INSIGHTFUL = Reaction.Kind.INSIGHTFUL
AGREE = Reaction.Kind.AGREE
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def answer(thread, topic):
    """A reply by someone other than `member`, who may react to it."""
    return factories.make_post(thread=thread, author=factories.make_member(group=topic.group, display_name="Wen"))


def react(client, post, kind=AGREE, on="1", **extra):
    return client.post(reverse("discussions:react", args=[post.pk]), {"kind": kind, "on": on}, **extra)


# Toggling and counts -------------------------------------------------------------------------------------


def test_a_member_s_reaction_is_given_then_taken_back(client, member, answer):
    client.force_login(member)

    react(client, answer, on="1")
    assert list(answer.reactions.values_list("user", "kind")) == [(member.pk, AGREE)]

    react(client, answer, on="0")
    assert not answer.reactions.exists()


def test_without_javascript_a_reaction_is_a_post_that_returns_to_the_post(client, member, answer):
    client.force_login(member)

    response = react(client, answer, kind=INSIGHTFUL)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == answer.get_absolute_url()
    page = client.get(response.url, follow=True)
    assert f"#post-{answer.pk}" in page.redirect_chain[-1][0]
    assert 'aria-pressed="true"' in page.content.decode()


def test_with_javascript_a_reaction_answers_json_with_the_new_count_and_state(client, member, moderator, answer):
    reactions.set_reaction(post=answer, user=moderator, kind=INSIGHTFUL, on=True)
    client.force_login(member)

    given = react(client, answer, kind=INSIGHTFUL, **JSON)
    taken_back = react(client, answer, kind=INSIGHTFUL, on="0", **JSON)

    assert given.status_code == HTTPStatus.OK
    assert given.json() == {"kind": INSIGHTFUL, "pressed": True, "count": 2}
    assert taken_back.json() == {"kind": INSIGHTFUL, "pressed": False, "count": 1}


def test_a_thread_page_button_asks_for_the_reaction_and_its_state_in_one_value(client, member, answer):
    """The thread page's buttons carry no hidden inputs: name="set" value="insightful:1" says both."""
    client.force_login(member)
    url = reverse("discussions:react", args=[answer.pk])

    given = client.post(url, {"set": f"{INSIGHTFUL}:1"}, **JSON)
    taken_back = client.post(url, {"set": f"{INSIGHTFUL}:0"}, **JSON)

    assert given.json() == {"kind": INSIGHTFUL, "pressed": True, "count": 1}
    assert taken_back.json() == {"kind": INSIGHTFUL, "pressed": False, "count": 0}
    assert not answer.reactions.exists()


@pytest.mark.parametrize("value", ["insightful", "insightful:", "insightful:2", ":1", "shrug:1", "insightful:1:1"])
def test_a_malformed_set_value_is_refused(client, member, answer, value):
    client.force_login(member)

    response = client.post(reverse("discussions:react", args=[answer.pk]), {"set": value}, **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not answer.reactions.exists()


def test_a_double_click_counts_once(client, member, answer):
    client.force_login(member)

    react(client, answer, kind=INSIGHTFUL, **JSON)
    second = react(client, answer, kind=INSIGHTFUL, **JSON)

    assert second.json()["count"] == 1
    assert answer.reactions.count() == 1


def test_the_thread_page_shows_each_post_s_counts_and_which_reactions_are_the_reader_s(client, member, moderator, answer):
    reactions.set_reaction(post=answer, user=moderator, kind=AGREE, on=True)
    reactions.set_reaction(post=answer, user=member, kind=AGREE, on=True)
    reactions.set_reaction(post=answer, user=moderator, kind=INSIGHTFUL, on=True)
    client.force_login(member)

    response = client.get(answer.thread.get_absolute_url())

    [shown] = [post for post in response.context["page"].object_list if post.pk == answer.pk]
    buttons = {button["kind"]: (button["count"], button["pressed"]) for button in shown.reaction_buttons}
    assert buttons == {AGREE: (2, True), INSIGHTFUL: (1, False), "needs_evidence": (0, False), "thanks": (0, False)}


def test_a_post_shows_only_the_reactions_it_has_and_one_react_link_to_its_page(client, member, moderator, answer):
    reactions.set_reaction(post=answer, user=moderator, kind=INSIGHTFUL, on=True)
    client.force_login(member)

    html = client.get(answer.thread.get_absolute_url()).content.decode()

    react_url = reverse("discussions:react", args=[answer.pk])
    post = html[html.index(f'id="post-{answer.pk}"') :]
    post = post[: post.index("</article>")]
    assert post.count('class="reaction"') == 1  # the Insightful pill: no button for what nobody gave
    assert 'value="insightful:1" class="reaction" aria-pressed="false" title="Insightful"' in post
    assert post.count(f'<a href="{react_url}">React</a>') == 1
    assert html.count('<template id="reaction-picker">') == 1  # the four kinds once a page, for reactions.js' picker
    assert 'value="needs_evidence:1"' in html[html.index('<template id="reaction-picker">') :]


def test_a_post_nobody_reacted_to_shows_no_reactions_at_all(client, member, answer):
    client.force_login(member)

    html = client.get(answer.thread.get_absolute_url()).content.decode()

    assert 'class="reactions"' not in html
    assert reverse("discussions:react", args=[answer.pk]) in html


def test_visitors_see_the_counts_but_no_buttons(client, member, answer):
    reactions.set_reaction(post=answer, user=member, kind=AGREE, on=True)

    html = client.get(answer.thread.get_absolute_url()).content.decode()

    assert "reaction--static" in html
    assert reverse("discussions:react", args=[answer.pk]) not in html


# Who reacted and the Chatham House rule ------------------------------------------------------------------


def test_the_who_reacted_page_names_those_who_reacted(client, member, moderator, answer):
    reactions.set_reaction(post=answer, user=member, kind=AGREE, on=True)

    html = client.get(reverse("discussions:who_reacted", args=[answer.pk])).content.decode()

    assert "Mei" in html


def chatham_answer(topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, chatham_house=True)
    return factories.make_post(thread=prompt.thread, author=factories.make_member(group=topic.group))


def test_under_the_chatham_house_rule_members_see_counts_not_who_reacted(client, topic, member, moderator):
    post = chatham_answer(topic, moderator)
    reactor = factories.make_member(group=topic.group, display_name="Zhang Reactor")
    reactions.set_reaction(post=post, user=reactor, kind=AGREE, on=True)
    client.force_login(member)

    who = client.get(reverse("discussions:who_reacted", args=[post.pk])).content.decode()
    thread_page = client.get(post.thread.get_absolute_url()).content.decode()

    assert "Zhang Reactor" not in who
    assert "1 participant" in who
    assert "Zhang Reactor" not in thread_page
    assert "Who reacted" not in thread_page


def test_under_the_chatham_house_rule_moderators_still_see_who_reacted(client, topic, moderator):
    post = chatham_answer(topic, moderator)
    reactions.set_reaction(post=post, user=factories.make_member(group=topic.group, display_name="Zhang"), kind=AGREE, on=True)
    client.force_login(moderator)

    assert "Zhang" in client.get(reverse("discussions:who_reacted", args=[post.pk])).content.decode()


def test_who_reacted_to_a_private_group_s_post_is_a_404_to_outsiders(client, outsider, private_thread):
    client.force_login(outsider)

    response = client.get(reverse("discussions:who_reacted", args=[private_thread.posts.get().pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND


# Who may react -------------------------------------------------------------------------------------------


def test_a_non_member_may_not_react(client, outsider, answer):
    client.force_login(outsider)

    response = react(client, answer)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Join the group" in response.content.decode()
    assert not answer.reactions.exists()


def test_a_non_member_of_a_private_group_is_told_nothing(client, outsider, private_thread):
    client.force_login(outsider)

    assert react(client, private_thread.posts.get()).status_code == HTTPStatus.NOT_FOUND


def suspend_for_a_day(group, member, moderator) -> None:
    now = timezone.now()
    sanctions.suspend_member(
        membership=Membership.objects.get(group=group, user=member),
        actor=Membership.objects.get(group=group, user=moderator),
        ends_at=now + timedelta(days=1),
        reason="Cooling off.",
        now=now,
    )


def test_a_suspended_member_may_not_react_and_is_told_why(client, group, member, moderator, answer):
    suspend_for_a_day(group, member, moderator)
    client.force_login(member)

    response = react(client, answer, **JSON)
    page = client.get(answer.thread.get_absolute_url()).content.decode()

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "suspended" in response.json()["error"]
    assert not answer.reactions.exists()
    assert reverse("discussions:react", args=[answer.pk]) not in page  # no buttons that would only answer 403


def test_a_member_may_not_react_to_their_own_post(client, member, thread):
    own = thread.posts.get()
    client.force_login(member)

    with_js = react(client, own, **JSON)
    without_js = react(client, own, follow=True)

    assert with_js.status_code == HTTPStatus.BAD_REQUEST
    assert with_js.json()["error"] == "You cannot react to your own post."
    assert "You cannot react to your own post." in without_js.content.decode()
    assert not own.reactions.exists()


def test_a_removed_post_takes_no_reactions(client, member, moderator, answer):
    services.delete_post(post=answer, deleted_by=moderator)
    client.force_login(member)

    response = react(client, answer, **JSON)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "removed" in response.json()["error"]
    assert not answer.reactions.exists()


def test_an_unknown_reaction_or_state_is_a_400(client, member, answer):
    client.force_login(member)

    assert react(client, answer, kind="love", **JSON).status_code == HTTPStatus.BAD_REQUEST
    assert react(client, answer, on="maybe", **JSON).status_code == HTTPStatus.BAD_REQUEST
    assert not answer.reactions.exists()


def test_reacting_takes_no_other_method_than_get_and_post(client, member, answer):
    client.force_login(member)

    response = client.put(reverse("discussions:react", args=[answer.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not answer.reactions.exists()


def test_reacting_too_often_is_refused_with_429(client, settings, member, answer):
    settings.REACTIONS_PER_HOUR = 2
    client.force_login(member)

    statuses = [react(client, answer, on=on, **JSON).status_code for on in ("1", "0", "1")]

    assert statuses == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]


def test_set_reaction_refuses_an_own_post_in_the_domain_too(member, thread):
    with pytest.raises(ValidationError):
        reactions.set_reaction(post=thread.posts.get(), user=member, kind=AGREE, on=True)


# The post's reaction page (where "React" leads without JavaScript) -------------------------------------------


def reaction_page(client, post):
    return client.get(reverse("discussions:react", args=[post.pk]))


def test_the_reaction_page_shows_the_post_and_all_four_buttons_with_the_reader_s_own_pressed(
    client, member, moderator, answer
):
    reactions.set_reaction(post=answer, user=member, kind=INSIGHTFUL, on=True)
    reactions.set_reaction(post=answer, user=moderator, kind=AGREE, on=True)
    client.force_login(member)

    response = reaction_page(client, answer)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert answer.body in html and "Wen" in html
    assert html.count('class="reaction"') == 4
    assert 'value="insightful:0" class="reaction" aria-pressed="true"' in html
    assert 'value="agree:1" class="reaction" aria-pressed="false"' in html
    assert reverse("discussions:bookmark", args=[answer.pk]) in html
    assert reverse("discussions:flag_post", args=[answer.pk]) in html


def test_a_button_of_the_reaction_page_gives_the_reaction_and_returns_to_the_post_in_its_thread(
    client, member, answer
):
    client.force_login(member)
    reaction_page(client, answer)

    response = client.post(reverse("discussions:react", args=[answer.pk]), {"set": "thanks:1"}, follow=True)

    assert response.redirect_chain[-1][0].endswith(f"#post-{answer.pk}")
    assert answer.reactions.get().kind == Reaction.Kind.THANKS


def test_the_reaction_page_is_for_members_only(client, outsider, answer, private_thread):
    assert reaction_page(client, answer).status_code == HTTPStatus.FOUND  # a visitor: to the login page
    client.force_login(outsider)

    assert reaction_page(client, answer).status_code == HTTPStatus.FORBIDDEN
    assert reaction_page(client, private_thread.posts.get()).status_code == HTTPStatus.NOT_FOUND


def test_the_reaction_page_of_an_own_post_shows_the_counts_and_why_there_are_no_buttons(client, member, thread):
    own = thread.posts.get()
    client.force_login(member)

    html = reaction_page(client, own).content.decode()

    assert "You cannot react to your own post." in html
    assert 'name="set"' not in html
    assert reverse("discussions:flag_post", args=[own.pk]) not in html


def test_a_suspended_member_sees_the_counts_on_the_reaction_page_and_why(client, group, member, moderator, answer):
    suspend_for_a_day(group, member, moderator)
    client.force_login(member)

    html = reaction_page(client, answer).content.decode()

    assert "suspended" in html and "Cooling off." in html
    assert 'name="set"' not in html
    assert reverse("discussions:flag_post", args=[answer.pk]) not in html


def test_the_reaction_page_of_a_removed_or_hidden_post_is_a_404_but_moderators_see_a_hidden_one(
    client, member, moderator, answer
):
    hidden = factories.make_post(thread=answer.thread, body="Hidden words.")
    hidden.hidden_at = timezone.now()
    hidden.save(update_fields=["hidden_at"])
    services.delete_post(post=answer, deleted_by=moderator)
    client.force_login(member)

    assert reaction_page(client, answer).status_code == HTTPStatus.NOT_FOUND
    assert reaction_page(client, hidden).status_code == HTTPStatus.NOT_FOUND
    client.force_login(moderator)
    html = reaction_page(client, hidden).content.decode()
    assert "Hidden words." in html and "takes no reactions" in html and 'name="set"' not in html


def test_under_the_chatham_house_rule_the_reaction_page_names_no_author_except_to_moderators(
    client, topic, member, moderator
):
    post = chatham_answer(topic, moderator)
    post.author.display_name = "Zhang Author"
    post.author.save(update_fields=["display_name"])
    client.force_login(member)

    for_member = reaction_page(client, post).content.decode()
    client.force_login(moderator)
    for_moderator = reaction_page(client, post).content.decode()

    assert "Zhang Author" not in for_member and "A participant" in for_member
    assert 'name="set"' in for_member
    assert "Zhang Author" in for_moderator


# Key-insight suggestions ---------------------------------------------------------------------------------


def test_moderators_see_the_most_insightful_posts_suggested_as_key_insights(client, topic, moderator, thread):
    voters = [factories.make_member(group=topic.group) for _ in range(3)]
    most = factories.make_post(thread=thread, body="Most insightful.")
    some = factories.make_post(thread=thread, body="Somewhat insightful.")
    already = factories.make_post(thread=thread, body="Already a key insight.")
    hidden = factories.make_post(thread=thread, body="Hidden by moderators.")
    for post, count in ((most, 3), (some, 1), (already, 3), (hidden, 3)):
        for voter in voters[:count]:
            reactions.set_reaction(post=post, user=voter, kind=INSIGHTFUL, on=True)
    already.is_key_insight = True
    already.save(update_fields=["is_key_insight"])
    hidden.hidden_at = timezone.now()
    hidden.save(update_fields=["hidden_at"])
    client.force_login(moderator)

    response = client.get(topic.get_absolute_url())

    assert [post.pk for post in response.context["suggested_insights"]] == [most.pk, some.pk]
    html = response.content.decode()
    assert "Suggested key insights" in html
    assert reverse("topics:key_insight", args=[most.pk]) in html


def test_members_do_not_see_key_insight_suggestions(client, topic, member, answer, moderator):
    reactions.set_reaction(post=answer, user=moderator, kind=INSIGHTFUL, on=True)
    client.force_login(member)

    response = client.get(topic.get_absolute_url())

    assert "suggested_insights" not in response.context
    assert "Suggested key insights" not in response.content.decode()
