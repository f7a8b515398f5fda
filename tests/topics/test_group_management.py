"""Moderators run their group from the site: its settings, and its topics (added, edited and put in order)."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from topics import services
from topics.models import Group, Membership
from topics.views import manage


def make_owner(group):
    return factories.make_membership(group=group, role=Membership.Role.OWNER).user


def settings_url(group) -> str:
    return reverse("topics:group_settings", args=[group.slug])


def settings_data(group, **fields) -> dict:
    data = {
        "name": group.name,
        "description": group.description,
        "visibility": group.visibility,
        "membership_questions": group.membership_questions,
        "timezone": group.timezone,
        "evidence_stale_after_days": group.evidence_stale_after_days,
    }
    return data | fields


def new_topic_url(group) -> str:
    return reverse("topics:topic_new", args=[group.slug])


def edit_topic_url(topic) -> str:
    return reverse("topics:topic_edit", args=[topic.group.slug, topic.slug])


def move_url(topic) -> str:
    return reverse("topics:topic_move", args=[topic.group.slug, topic.pk])


def topic_data(**fields) -> dict:
    return {"title": "Hospital access", "slug": "", "briefing": "Which **tier-3** hospitals list CAR-T?"} | fields


def positions(group) -> list[tuple[str, int]]:
    return list(group.topics.order_by("position").values_list("slug", "position"))


# Group settings: who may open them


def test_anonymous_visitors_are_sent_to_log_in_for_the_settings(client, group):
    response = client.get(settings_url(group))

    assertRedirects(response, f"{reverse('account_login')}?next={settings_url(group)}", fetch_redirect_response=False)


def test_a_member_may_not_open_the_settings(client, group, member):
    client.force_login(member)

    assert client.get(settings_url(group)).status_code == HTTPStatus.FORBIDDEN


def test_an_outsider_may_not_open_a_public_groups_settings(client, group, outsider):
    client.force_login(outsider)

    assert client.get(settings_url(group)).status_code == HTTPStatus.FORBIDDEN


def test_a_private_groups_settings_are_not_found_by_outsiders(client, private_group, outsider):
    client.force_login(outsider)

    assert client.get(settings_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_a_moderator_sees_the_settings_with_the_current_values(client, group, moderator):
    client.force_login(moderator)

    response = client.get(settings_url(group))

    assert response.status_code == HTTPStatus.OK
    assertContains(response, 'value="China CAR-T market"')
    assertContains(response, '<option value="Asia/Shanghai">Asia/Shanghai (UTC+08:00)</option>', html=True)


def test_an_owner_sees_the_settings(client, group):
    client.force_login(make_owner(group))

    assert client.get(settings_url(group)).status_code == HTTPStatus.OK


def test_the_settings_tab_is_shown_to_moderators_only(client, group, member, moderator):
    client.force_login(member)
    assertNotContains(client.get(group.get_absolute_url()), settings_url(group))

    client.force_login(moderator)
    assertContains(client.get(group.get_absolute_url()), f'href="{settings_url(group)}"')


# Group settings: saving


def test_a_moderator_saves_the_groups_settings(client, group, moderator):
    client.force_login(moderator)
    data = settings_data(
        group,
        name="China CAR-T market watch",
        description="Prices, access and the pipeline.",
        membership_questions="  What is your role?  \n\n\nWhich city do you work in?\n",
        timezone="Asia/Shanghai",
        evidence_stale_after_days=90,
    )

    response = client.post(settings_url(group), data)

    assertRedirects(response, settings_url(group))
    group.refresh_from_db()
    assert group.name == "China CAR-T market watch"
    assert group.description == "Prices, access and the pipeline."
    assert group.membership_questions == "What is your role?\nWhich city do you work in?"
    assert group.timezone == "Asia/Shanghai"
    assert group.evidence_stale_after_days == 90


def test_the_slug_cannot_be_changed_from_the_settings(client, group, moderator):
    client.force_login(moderator)

    client.post(settings_url(group), settings_data(group, slug="somewhere-else"))

    assert Group.objects.filter(slug="china-car-t").exists()
    assert not Group.objects.filter(slug="somewhere-else").exists()


def test_a_member_cannot_save_the_settings(client, group, member):
    client.force_login(member)

    response = client.post(settings_url(group), settings_data(group, name="Taken over"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    group.refresh_from_db()
    assert group.name == "China CAR-T market"


def test_an_owner_can_make_a_public_group_private(client, group):
    client.force_login(make_owner(group))

    client.post(settings_url(group), settings_data(group, visibility=Group.Visibility.PRIVATE))

    group.refresh_from_db()
    assert group.visibility == Group.Visibility.PRIVATE


def test_a_moderator_who_changes_the_visibility_gets_a_form_error_and_nothing_is_saved(client, group, moderator):
    client.force_login(moderator)

    response = client.post(
        settings_url(group), settings_data(group, name="Renamed", visibility=Group.Visibility.PRIVATE)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["visibility"] == ["Only an owner can change who can see the group."]
    group.refresh_from_db()
    assert (group.visibility, group.name) == (Group.Visibility.PUBLIC, "China CAR-T market")


def test_the_visibility_error_shows_alongside_other_errors(client, group, moderator):
    client.force_login(moderator)

    response = client.post(settings_url(group), settings_data(group, name="", visibility=Group.Visibility.PRIVATE))

    assert set(response.context["form"].errors) == {"name", "visibility"}


def test_a_moderator_is_told_that_only_owners_change_the_visibility(client, group, moderator):
    client.force_login(moderator)

    assertContains(client.get(settings_url(group)), "Only an owner can change who can see the group.")


def test_an_unknown_time_zone_is_refused(client, group, moderator):
    client.force_login(moderator)

    response = client.post(settings_url(group), settings_data(group, timezone="Mars/Olympus_Mons"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "is not a time zone name" in response.context["form"].errors["timezone"][0]
    group.refresh_from_db()
    assert group.timezone == "UTC"


@pytest.mark.parametrize("days", [0, 3651, "soon"])
def test_the_staleness_threshold_must_be_between_one_day_and_ten_years(client, group, moderator, days):
    client.force_login(moderator)

    response = client.post(settings_url(group), settings_data(group, evidence_stale_after_days=days))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "evidence_stale_after_days" in response.context["form"].errors
    group.refresh_from_db()
    assert group.evidence_stale_after_days == 180


def test_a_group_needs_a_name(client, group, moderator):
    client.force_login(moderator)

    response = client.post(settings_url(group), settings_data(group, name=""))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    group.refresh_from_db()
    assert group.name == "China CAR-T market"


def test_the_service_refuses_a_visibility_change_by_a_moderator(group, moderator):
    membership = Membership.objects.get(group=group, user=moderator)

    with pytest.raises(ValidationError):
        services.update_group_settings(
            group=group, changed_by=membership, **settings_data(group, visibility=Group.Visibility.PRIVATE)
        )


def test_saving_unchanged_settings_changes_nothing(group, moderator):
    membership = Membership.objects.get(group=group, user=moderator)

    assert services.update_group_settings(group=group, changed_by=membership, **settings_data(group)) == []


# Topics: who may add and edit them


def test_the_new_topic_address_is_not_read_as_a_topic(group):
    assert resolve(new_topic_url(group)).func == manage.topic_new


def test_anonymous_visitors_are_sent_to_log_in_for_a_new_topic(client, group):
    response = client.get(new_topic_url(group))

    assertRedirects(response, f"{reverse('account_login')}?next={new_topic_url(group)}", fetch_redirect_response=False)


def test_a_member_may_not_add_a_topic(client, group, member):
    client.force_login(member)

    response = client.post(new_topic_url(group), topic_data())

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not group.topics.exists()


def test_a_private_groups_new_topic_page_is_not_found_by_outsiders(client, private_group, outsider):
    client.force_login(outsider)

    assert client.get(new_topic_url(private_group)).status_code == HTTPStatus.NOT_FOUND


def test_a_member_may_not_edit_a_topic(client, topic, member):
    client.force_login(member)

    response = client.post(edit_topic_url(topic), topic_data(title="Mine now", slug="cost"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    topic.refresh_from_db()
    assert topic.title == "Cost and reimbursement"


def test_a_private_groups_topic_edit_page_is_not_found_by_outsiders(client, private_group, outsider):
    topic = factories.make_topic(group=private_group)
    client.force_login(outsider)

    assert client.get(edit_topic_url(topic)).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_visitors_are_sent_to_log_in_to_edit_a_topic(client, topic):
    response = client.get(edit_topic_url(topic))

    assertRedirects(response, f"{reverse('account_login')}?next={edit_topic_url(topic)}", fetch_redirect_response=False)


def test_moderators_see_the_topic_links_and_members_do_not(client, group, topic, member, moderator):
    client.force_login(member)
    assertNotContains(client.get(group.get_absolute_url()), new_topic_url(group))
    assertNotContains(client.get(topic.get_absolute_url()), edit_topic_url(topic))

    client.force_login(moderator)
    assertContains(client.get(group.get_absolute_url()), new_topic_url(group))
    assertContains(client.get(topic.get_absolute_url()), edit_topic_url(topic))


# Topics: adding and editing


def test_a_moderator_adds_a_topic_at_the_end_with_a_slug_made_from_its_title(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(title="Hospital access & listing"))

    created = group.topics.get(title="Hospital access & listing")
    assertRedirects(response, created.get_absolute_url())
    assert created.slug == "hospital-access-listing"
    assert created.position == topic.position + 1


def test_a_new_topics_briefing_is_rendered_from_markdown(client, group, moderator):
    client.force_login(moderator)

    client.post(new_topic_url(group), topic_data(briefing="Which **tier-3** hospitals list CAR-T?"))

    assert group.topics.get().briefing_html == "<p>Which <strong>tier-3</strong> hospitals list CAR-T?</p>"


def test_a_moderator_may_choose_the_topics_slug(client, group, moderator):
    client.force_login(moderator)

    client.post(new_topic_url(group), topic_data(slug="access"))

    assert group.topics.get().slug == "access"


def test_a_slug_already_used_in_the_group_is_refused(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(slug="cost"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already uses the web address “cost”" in response.context["form"].errors["slug"][0]
    assert group.topics.count() == 1


def test_the_same_slug_may_be_used_in_another_group(client, topic, db):
    other_group = factories.make_group()
    client.force_login(factories.make_moderator(group=other_group))

    client.post(new_topic_url(other_group), topic_data(slug="cost"))

    assert other_group.topics.get().slug == "cost"


@pytest.mark.parametrize("fields", [{"slug": "new"}, {"title": "New", "slug": ""}])
def test_the_slug_new_is_reserved(client, group, moderator, fields):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(**fields))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "reserved" in response.context["form"].errors["slug"][0]
    assert not group.topics.exists()


def test_a_slug_error_shows_alongside_other_errors(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(slug="cost", briefing="[" * 1001))

    assert set(response.context["form"].errors) == {"slug", "briefing"}


def test_a_title_without_letters_needs_a_slug_typed_in(client, group, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(title="医保谈判", slug=""))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "slug" in response.context["form"].errors
    assert not group.topics.exists()


def test_a_briefing_that_cannot_be_rendered_is_refused(client, group, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(briefing="[" * 1001))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "square brackets" in response.context["form"].errors["briefing"][0]
    assert not group.topics.exists()


def test_previewing_a_briefing_shows_it_rendered_and_saves_nothing(client, group, moderator):
    client.force_login(moderator)

    response = client.post(new_topic_url(group), topic_data(briefing="A *careful* look.") | {"preview": "1"})

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "<em>careful</em>")
    assert not group.topics.exists()


def test_a_moderator_edits_a_topics_title_and_briefing(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(
        edit_topic_url(topic), topic_data(title="Cost, pricing and reimbursement", slug="cost", briefing="## Prices")
    )

    assertRedirects(response, topic.get_absolute_url())
    topic.refresh_from_db()
    assert topic.title == "Cost, pricing and reimbursement"
    assert topic.briefing_html == "<h2>Prices</h2>"


def test_the_edit_form_shows_the_topic_as_saved(client, topic, moderator):
    client.force_login(moderator)

    response = client.get(edit_topic_url(topic))

    assert response.status_code == HTTPStatus.OK
    assertContains(response, 'value="cost"')


def test_a_moderator_can_change_a_topics_slug(client, group, topic, moderator):
    client.force_login(moderator)

    response = client.post(edit_topic_url(topic), topic_data(title=topic.title, slug="pricing"))

    topic.refresh_from_db()
    assert topic.slug == "pricing"
    assertRedirects(response, reverse("topics:topic", args=[group.slug, "pricing"]))


def test_editing_a_topic_to_another_topics_slug_is_refused(client, group, topic, moderator):
    other = factories.make_topic(group=group, slug="access")
    client.force_login(moderator)

    response = client.post(edit_topic_url(other), topic_data(slug="cost"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "slug" in response.context["form"].errors
    other.refresh_from_db()
    assert other.slug == "access"


def test_editing_a_topic_to_the_reserved_slug_is_refused(client, topic, moderator):
    client.force_login(moderator)

    response = client.post(edit_topic_url(topic), topic_data(slug="new"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    topic.refresh_from_db()
    assert topic.slug == "cost"


def test_a_failed_edit_leaves_the_page_header_as_saved(client, topic, moderator):
    client.force_login(moderator)

    response = client.post(edit_topic_url(topic), topic_data(title="Half-typed", briefing="[" * 1001))

    assert response.context["topic"].title == "Cost and reimbursement"


# Topics: putting them in order


@pytest.fixture
def three_topics(group):
    # Gaps and a tie: moving renumbers the list 1..n in the order the group page shows.
    return [
        factories.make_topic(group=group, slug="alpha", title="Alpha", position=5),
        factories.make_topic(group=group, slug="beta", title="Beta", position=5),
        factories.make_topic(group=group, slug="gamma", title="Gamma", position=20),
    ]


def test_moving_a_topic_up_swaps_it_with_the_one_above(client, group, moderator, three_topics):
    client.force_login(moderator)

    response = client.post(move_url(three_topics[2]), {"direction": "up"})

    assertRedirects(response, f"{group.get_absolute_url()}#topic-{three_topics[2].pk}")
    assert positions(group) == [("alpha", 1), ("gamma", 2), ("beta", 3)]


def test_moving_a_topic_down_swaps_it_with_the_one_below(client, group, moderator, three_topics):
    client.force_login(moderator)

    client.post(move_url(three_topics[0]), {"direction": "down"})

    assert positions(group) == [("beta", 1), ("alpha", 2), ("gamma", 3)]


def test_moving_the_first_topic_up_changes_nothing(client, group, moderator, three_topics):
    client.force_login(moderator)

    response = client.post(move_url(three_topics[0]), {"direction": "up"})

    assert response.status_code == HTTPStatus.FOUND
    assert positions(group) == [("alpha", 5), ("beta", 5), ("gamma", 20)]


def test_moving_the_last_topic_down_changes_nothing(client, group, moderator, three_topics):
    client.force_login(moderator)

    client.post(move_url(three_topics[2]), {"direction": "down"})

    assert positions(group) == [("alpha", 5), ("beta", 5), ("gamma", 20)]


@pytest.mark.parametrize("data", [{"direction": "sideways"}, {}])
def test_a_move_needs_up_or_down(client, group, moderator, three_topics, data):
    client.force_login(moderator)

    response = client.post(move_url(three_topics[1]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert positions(group) == [("alpha", 5), ("beta", 5), ("gamma", 20)]


def test_moving_a_topic_only_answers_post(client, moderator, three_topics):
    client.force_login(moderator)

    assert client.get(move_url(three_topics[1])).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_member_may_not_move_a_topic(client, group, member, three_topics):
    client.force_login(member)

    response = client.post(move_url(three_topics[1]), {"direction": "up"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert positions(group) == [("alpha", 5), ("beta", 5), ("gamma", 20)]


def test_a_topic_of_another_group_cannot_be_moved_through_this_one(client, group, moderator):
    elsewhere = factories.make_topic()
    client.force_login(moderator)

    response = client.post(reverse("topics:topic_move", args=[group.slug, elsewhere.pk]), {"direction": "up"})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_private_groups_topics_cannot_be_moved_by_outsiders(client, private_group, outsider):
    topic = factories.make_topic(group=private_group)
    client.force_login(outsider)

    assert client.post(move_url(topic), {"direction": "up"}).status_code == HTTPStatus.NOT_FOUND


def test_the_group_page_offers_only_the_moves_that_do_something(client, group, moderator, three_topics):
    client.force_login(moderator)

    response = client.get(group.get_absolute_url())

    assertContains(response, 'name="direction" value="up"', count=2)
    assertContains(response, 'name="direction" value="down"', count=2)
