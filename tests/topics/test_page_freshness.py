"""The topic, group and home pages come from the shared cache (topics/page_parts.py, groupsite/page_cache.py), and
every change shows on the next request: each test reads a page warm, changes something through the site's own
services or views, and reads it again, as a visitor and as a member."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions.models import ThreadRead
from groupsite import freshness
from topics import outcomes, sanctions, scheduling, services
from topics.models import Membership
from tests import factories

NOW = timezone.now()


def topic_url(topic) -> str:
    return reverse("topics:topic", args=[topic.group.slug, topic.slug])


def group_url(group) -> str:
    return reverse("topics:group", args=[group.slug])


def read(client, url) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


@pytest.fixture
def visitor():
    return Client()


@pytest.fixture
def readers(client, member, visitor):
    """A visitor and a signed-in member, each of whom has the page warm in the cache before the change."""
    client.force_login(member)
    return {"visitor": visitor, "member": client}


def read_warm(readers, url) -> None:
    for reader in readers.values():
        read(reader, url)
        read(reader, url)  # the second comes from the cache


def shows_at_once(readers, url, change, expected: str, gone: str | None = None) -> None:
    read_warm(readers, url)
    change()
    for name, reader in readers.items():
        page = read(reader, url)
        assert expected in page, f"the {name} still sees the page from before the change"
        if gone is not None:
            assert gone not in page, f"the {name} still sees the page from before the change"


# The topic page


def test_a_briefing_edit_shows_at_once(readers, topic):
    def change():
        services.update_topic(topic=topic, title="Costs, revisited", slug=topic.slug, briefing="A **new** briefing.")

    shows_at_once(readers, topic_url(topic), change, "<strong>new</strong> briefing", gone="Cost and reimbursement")


def test_a_topic_summary_shows_at_once(readers, topic, moderator):
    def change():
        outcomes.save_outcome(topic=topic, author=moderator, takeaways="Prices fall by half.", now=NOW)

    shows_at_once(readers, topic_url(topic), change, "Prices fall by half.")


def test_a_key_insight_shows_at_once(readers, topic, moderator, member):
    post = factories.make_post(factories.make_thread(topic, author=member), author=member, body="The insight itself.")

    def change():
        outcomes.mark_key_insight(post=post, by=moderator)

    shows_at_once(readers, topic_url(topic), change, "Key insights")


def test_a_prompt_closed_by_the_schedule_shows_closed_at_once(readers, topic, moderator):
    prompt = factories.make_open_prompt(topic, author=moderator, closes_at=NOW + timedelta(hours=1))

    def change():
        assert scheduling.close_due_prompts(now=NOW + timedelta(hours=2)) == [prompt.pk]

    shows_at_once(readers, topic_url(topic), change, '<span class="badge badge--muted">Closed</span>')


def test_a_role_change_shows_the_new_badge_beside_a_thread_starter_at_once(readers, topic, group, member):
    starter = factories.make_member(group=group, display_name="Ada Starter")
    factories.make_thread(topic, author=starter, title="Where prices go")
    owner = factories.make_membership(group=group, role=Membership.Role.OWNER)
    starter_membership = Membership.objects.get(group=group, user=starter)

    def change():
        services.change_role(membership=starter_membership, role=Membership.Role.MODERATOR, changed_by=owner)

    shows_at_once(readers, topic_url(topic), change, 'Ada Starter <span class="role-badge role-badge--moderator">')


def test_a_new_display_name_shows_at_once(readers, topic, member):
    factories.make_thread(topic, author=member, title="Where prices go")

    def change():
        response = readers["member"].post(reverse("edit_profile"), {"display_name": "Mei Renamed", "language": ""})
        assert response.status_code == HTTPStatus.FOUND

    shows_at_once(readers, topic_url(topic), change, "Mei Renamed")


# The group page and the home page


@pytest.mark.parametrize("page", ["group", "home"])
def test_a_new_group_description_shows_at_once(readers, group, moderator, page):
    owner = Membership.objects.get(user=moderator)
    owner.role = Membership.Role.OWNER
    owner.save()

    def change():
        services.update_group_settings(
            group=group, changed_by=owner, name="CAR-T market, renamed", description="Now with prices.",
            visibility=group.visibility, membership_questions="", timezone=group.timezone,
            evidence_stale_after_days=group.evidence_stale_after_days,
        )

    url = group_url(group) if page == "group" else reverse("topics:home")
    shows_at_once(readers, url, change, "CAR-T market, renamed")


def test_a_new_topic_shows_on_the_group_page_at_once(readers, group):
    def change():
        services.create_topic(group=group, title="Access in rural provinces", slug="rural", briefing="")

    shows_at_once(readers, group_url(group), change, "Access in rural provinces")


def test_moving_a_topic_up_shows_at_once(readers, group, topic):
    later = factories.make_topic(group=group, title="Later topic", slug="later", position=topic.position + 1)

    def change():
        assert services.move_topic(topic=later, direction="up")

    read_warm(readers, group_url(group))
    change()
    for reader in readers.values():
        page = read(reader, group_url(group))
        assert page.index("Later topic") < page.index("Cost and reimbursement")


@pytest.mark.parametrize("page", ["group", "home"])
def test_someone_joining_shows_in_the_member_count_at_once(readers, group, page):
    url = group_url(group) if page == "group" else reverse("topics:home")
    newcomer = factories.make_user()
    shows_at_once(readers, url, lambda: services.join_public_group(group=group, user=newcomer), "2 members")


@pytest.mark.parametrize("how", ["leave", "remove", "ban"])
def test_someone_going_shows_in_the_member_count_at_once(readers, group, moderator, how):
    leaver = factories.make_member(group=group)
    leaving = Membership.objects.get(user=leaver, group=group)
    by = Membership.objects.get(user=moderator, group=group)
    change = {
        "leave": lambda: services.leave_group(group=group, user=leaver),
        "remove": lambda: services.remove_member(membership=leaving, removed_by=by),
        "ban": lambda: sanctions.ban_member(membership=leaving, actor=by, reason="Spam.", now=NOW),
    }[how]
    shows_at_once(readers, group_url(group), change, "2 members", gone="3 members")


def test_a_prompt_published_by_the_schedule_shows_on_the_group_page_at_once(readers, group, topic, moderator):
    prompt = factories.make_prompt(
        topic, author=moderator, title="What will payers cover?", status="scheduled", publish_at=NOW
    )

    def change():
        assert scheduling.publish_due_prompts(now=NOW + timedelta(minutes=1)) == [prompt.pk]

    shows_at_once(readers, group_url(group), change, "What will payers cover?")


# Privacy


def test_a_group_made_private_is_closed_to_visitors_at_once_though_its_pages_were_cached(visitor, group, topic):
    owner = factories.make_membership(group=group, role=Membership.Role.OWNER)
    for url in (group_url(group), topic_url(topic)):
        read(visitor, url)
        read(visitor, url)
    home = read(visitor, reverse("topics:home"))
    assert group.name in home

    services.update_group_settings(
        group=group, changed_by=owner, name=group.name, description="", visibility="private",
        membership_questions="", timezone=group.timezone, evidence_stale_after_days=group.evidence_stale_after_days,
    )

    for url in (group_url(group), topic_url(topic)):
        assert visitor.get(url).status_code == HTTPStatus.NOT_FOUND
    assert group.name not in read(visitor, reverse("topics:home"))


# What is one reader's own never reaches another


def test_one_members_unread_badges_never_show_to_another(client, topic, member, group):
    thread = factories.make_thread(topic, author=member, title="Read halfway")
    factories.make_post(thread, author=member)
    factories.make_post(thread, author=member)
    ThreadRead.objects.create(user=member, thread=thread, last_read_number=1)
    other = factories.make_member(group=group)
    ThreadRead.objects.create(user=other, thread=thread, last_read_number=3)
    client.force_login(member)
    assert "2 new posts" in read(client, topic_url(topic))
    other_reader = Client()
    other_reader.force_login(other)
    assert "new post" not in read(other_reader, topic_url(topic))
    assert "new post" not in read(Client(), topic_url(topic))
    assert "2 new posts" in read(client, topic_url(topic))


@pytest.mark.parametrize("page", ["topic", "group"])
def test_a_moderators_links_and_token_never_reach_a_member_or_a_visitor(client, topic, group, member, moderator, page):
    url = topic_url(topic) if page == "topic" else group_url(group)
    factories.make_thread(topic, author=member)
    client.force_login(moderator)
    moderators_page = read(client, url)
    read(client, url)
    edit_link = reverse("topics:topic_edit", args=[group.slug, topic.slug])
    assert edit_link in moderators_page
    token = client.cookies["csrftoken"].value
    member_reader = Client()
    member_reader.force_login(member)
    members_page = read(member_reader, url)
    visitors_page = read(Client(), url)
    for other_page in (members_page, visitors_page):
        assert edit_link not in other_page
        assert token not in other_page
    assert "csrfmiddlewaretoken" not in visitors_page


def test_a_visitors_page_holds_nothing_of_a_member_who_read_it_first(client, topic, member):
    factories.make_thread(topic, author=member)
    client.force_login(member)
    read(client, topic_url(topic))
    page = read(Client(), topic_url(topic))
    assert "Log in to take part" in page and "Log out" not in page and member.username not in page


# Queries: constant in the number of threads, within the budget when warm


@pytest.mark.parametrize("threads", [5, 50])
@pytest.mark.parametrize("persona,most", [("visitor", 6), ("member", 10), ("moderator", 11)])
def test_the_topic_page_runs_few_queries_however_many_threads(
    client, settings, topic, member, moderator, django_assert_max_num_queries, threads, persona, most
):
    settings.THREADS_PER_PAGE = 50
    for _ in range(threads):
        factories.make_thread(topic, author=member)
    if persona != "visitor":
        client.force_login({"member": member, "moderator": moderator}[persona])
    read(client, topic_url(topic))
    with django_assert_max_num_queries(most):
        page = read(client, topic_url(topic))
    assert page.count('class="thread-row"') == threads


@pytest.mark.parametrize("persona,most", [("visitor", 1), ("member", 8)])
def test_the_group_page_runs_few_queries_when_warm(client, group, topic, member, django_assert_max_num_queries, persona, most):
    for _ in range(3):
        factories.make_topic(group=group)
    if persona == "member":
        client.force_login(member)
    read(client, group_url(group))
    with django_assert_max_num_queries(most):
        read(client, group_url(group))


def test_a_visitors_home_page_runs_one_query_when_warm(client, group, django_assert_num_queries):
    read(client, reverse("topics:home"))
    with django_assert_num_queries(1):
        read(client, reverse("topics:home"))


def test_a_reply_counted_by_its_thread_version_shows_in_its_row_at_once(client, topic, member):
    """The topic page's rows are kept per thread: moving a thread's version on makes its row anew."""
    thread = factories.make_thread(topic, author=member)
    client.force_login(member)
    assert "<dd>0</dd>" in read(client, topic_url(topic))
    factories.make_post(thread, author=member)
    freshness.changed(threads=[thread.pk], topics=[topic.pk], groups=[topic.group_id])  # as discussions/ does
    assert "<dd>1</dd>" in read(client, topic_url(topic))
