"""The thread page costs the same number of queries however many posts it shows."""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from discussions import reactions, services
from discussions.access import get_thread_for_user
from tests.factories import make_group, make_member, make_moderator, make_open_prompt, make_thread, make_topic
from tests.worlds import built_once
from topics.models import Outcome
from topics.polls import save_poll
from topics.prompts import prompt_of

# Issue 11's budget. Bookmarks and flags come with the posts (EXISTS columns), one grouped query brings the reaction
# counts and the reader's own reactions (discussions.reactions.reactions_on), the paginator takes the thread's
# post_count, and a visitor's page first asks where the thread lives (for its cache stamp).
MAX_VISITOR_QUERIES = 6
MAX_MEMBER_QUERIES = 10
# Without Redis (dev mode, the SQLite pass) a new viewer's view is still one UPDATE of the count: the view counter's
# own cost, pinned by tests/test_reads_write_nothing.py. With Redis it is buffered there and costs no query.
VIEW_COUNTING = ("view_count",)


def make_busy_thread(topic, posts: int):
    """A thread whose posts come from different members, and where every fifth one quotes, is edited or removed."""
    group = topic.group
    thread = make_thread(topic=topic, author=make_member(group=group))
    previous = thread.posts.get()
    for n in range(2, posts + 1):
        author = make_member(group=group)
        quoted = previous if n % 5 == 2 else None
        post = services.publish_post(thread=thread, author=author, body=f"Post {n}.", quoted_post=quoted)
        if n % 5 == 3:
            services.edit_post(post=post, editor=author, body=f"Post {n}, edited.")
        if n % 5 == 4:
            services.delete_post(post=post, deleted_by=author)
        previous = post
    return thread


def queries_to_show(thread, user=None):
    """Queries for one first visit to the thread page, in a fresh session (so the view is counted each time)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(thread.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["page"].object_list) == thread.post_count  # every post on the one page
    return len([query for query in queries if not any(part in query["sql"] for part in VIEW_COUNTING)])


@pytest.fixture(scope="module")
def busy_threads(django_db_setup, django_db_blocker):
    """Built once for the module (about 3 s a test on a quiet machine); the tests only read them."""

    def build():
        topic = make_topic(group=make_group())
        return {
            "threads": (make_busy_thread(topic, posts=5), make_busy_thread(topic, posts=50)),
            "member": make_member(group=topic.group),
            "moderator": make_moderator(group=topic.group),
        }

    yield from built_once(django_db_blocker, build, POSTS_PER_PAGE=200)


@pytest.fixture
def small_and_large_threads(db, settings, busy_threads):
    settings.POSTS_PER_PAGE = 200
    return busy_threads["threads"]


@pytest.fixture
def member(busy_threads):
    return busy_threads["member"]


@pytest.fixture
def moderator(busy_threads):
    return busy_threads["moderator"]


def test_the_thread_page_costs_anonymous_visitors_the_same_queries_for_5_or_50_posts(small_and_large_threads):
    small, large = small_and_large_threads

    small_count, large_count = queries_to_show(small), queries_to_show(large)

    assert small_count == large_count
    assert large_count <= MAX_VISITOR_QUERIES


def test_the_thread_page_costs_members_the_same_queries_for_5_or_50_posts(small_and_large_threads, member):
    small, large = small_and_large_threads

    small_count, large_count = queries_to_show(small, member), queries_to_show(large, member)

    assert small_count == large_count
    assert large_count <= MAX_MEMBER_QUERIES


def test_the_thread_page_costs_moderators_the_same_queries_for_5_or_50_posts(small_and_large_threads, moderator):
    small, large = small_and_large_threads

    small_count, large_count = queries_to_show(small, moderator), queries_to_show(large, moderator)

    assert small_count == large_count
    assert large_count <= MAX_MEMBER_QUERIES


def test_a_reload_of_a_long_thread_stays_within_the_query_budget(
    client, small_and_large_threads, member, django_assert_max_num_queries
):
    _, large = small_and_large_threads
    client.force_login(member)
    client.get(large.get_absolute_url())

    with django_assert_max_num_queries(MAX_MEMBER_QUERIES):
        client.get(large.get_absolute_url())


# About 600 characters of Markdown, as in issue 11's measurements.
PARAGRAPH = (
    "Hospital budgets in **Shanghai** cover part of the price; the rest falls to commercial insurance "
    "([the 2024 report](https://example.org/report)), which few patients hold. Three payers said they "
    "would cover the therapy only with real-world data on relapse at two years, and one asked for an "
    "outcomes-based contract. The manufacturers answer that the data will take until 2027, and that "
    "the price already reflects a discount of about a third against the list price abroad. Volumes "
    "rose by 40% last year all the same, mostly in the eastern provinces."
)


@pytest.fixture(scope="module")
def built_thread_of_200_posts(django_db_setup, django_db_blocker):
    """Built once for the module (about 6 s on a quiet machine); the tests only read it."""

    def build():
        topic = make_topic(group=make_group())
        authors = [make_member(group=topic.group) for _ in range(20)]
        thread = make_thread(topic=topic, author=authors[0], body=PARAGRAPH)
        for n in range(199):
            services.publish_post(thread=thread, author=authors[n % 20], body=PARAGRAPH)
        thread.refresh_from_db()
        return thread

    yield from built_once(django_db_blocker, build, POSTS_PER_PAGE=200)


@pytest.fixture
def thread_of_200_posts(db, settings, built_thread_of_200_posts):
    settings.POSTS_PER_PAGE = 200
    return built_thread_of_200_posts


def test_the_page_of_200_posts_is_under_250_kb(thread_of_200_posts):
    response = Client().get(thread_of_200_posts.get_absolute_url())

    assert len(response.context["page"].object_list) == 200
    assert len(response.content) < 250_000  # 193 KB on 30 November (229 KB before the trim of issue 11, item 6)


def test_a_members_page_of_200_posts_is_under_250_kb_too(thread_of_200_posts):
    """A member's post carries one "React" link (its page, or reactions.js' picker, offers the four reactions, the
    bookmark and the flag) and "Quote"; reactions show only where given, as buttons of the page's one form (one
    CSRF token for the page)."""
    member = Client()
    group = thread_of_200_posts.topic.group
    member.force_login(make_member(group=group))
    some = thread_of_200_posts.posts.order_by("number")[:3]
    for post in some:
        reactions.set_reaction(post=post, user=make_member(group=group), kind="insightful", on=True)

    html = member.get(thread_of_200_posts.get_absolute_url()).content.decode()

    posts = html[html.index("<article") : html.rindex("</article>")]
    assert posts.count('">React</a>') == 200  # every other member's post
    assert posts.count('class="reaction" aria-pressed="false"') == 3  # a pill for each reaction given, no more
    assert "<form" not in posts and "csrfmiddlewaretoken" not in posts  # no form, no token, in any post
    assert '<form id="post-actions" method="post"><input type="hidden" name="csrfmiddlewaretoken"' in html
    assert len(html.encode()) < 250_000  # 216 KB on 30 November (481 KB with four reaction buttons a post)


@pytest.mark.django_db
def test_a_prompt_s_thread_comes_with_its_prompt_poll_and_outcome_and_a_plain_thread_asks_for_no_prompt(topic, moderator):
    prompt = make_open_prompt(topic=topic, author=moderator)
    save_poll(prompt=prompt, kind="choice", options=["Yes", "No"])
    Outcome.objects.create(topic=topic, prompt=prompt, takeaways="Prices fall.", author=moderator)
    plain = make_thread(topic=topic, author=moderator)

    with CaptureQueriesContext(connection) as plain_queries:
        thread, _ = get_thread_for_user(moderator, plain.pk)
        assert prompt_of(thread) is None
    with CaptureQueriesContext(connection) as prompt_queries:
        thread, _ = get_thread_for_user(moderator, prompt.thread_id)
        shown = prompt_of(thread)
        assert (shown.pk, shown.poll.kind, shown.outcome.takeaways) == (prompt.pk, "choice", "Prices fall.")
        assert shown.outcome.author.public_name == moderator.public_name and shown.thread is thread

    # The thread and the membership; a prompt's thread one more for its prompt, poll, outcome and author together.
    assert len(plain_queries) == 2
    assert len(prompt_queries) == 3
