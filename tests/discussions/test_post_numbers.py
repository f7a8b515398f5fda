"""Post numbers, numbered pages and the jump to the first unread post (thread and topic pages)."""

import re

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from discussions import services
from discussions.models import ThreadRead
from groupsite.templatetags.pagination import page_numbers
from tests.factories import make_post, make_thread


def page_links(content: str) -> list[str]:
    """The pages a pagination bar offers, in order: numbers, "…" for a gap, "[n]" for the current page."""
    bar = re.search(r'<ol class="pagination__pages">(.*?)</ol>', content, re.S).group(1)
    links = []
    for item in re.findall(r"<li[^>]*>(.*?)</li>", bar, re.S):
        number = re.sub(r"<[^>]+>|Page", "", item).strip()
        links.append(f"[{number}]" if 'aria-current="page"' in item else number)
    return links


@pytest.fixture
def long_thread(thread, settings):
    """The thread with 12 posts, two to a page: six pages."""
    settings.POSTS_PER_PAGE = 2
    for _ in range(11):
        make_post(thread=thread)
    return thread


def test_each_post_shows_its_number_and_time_as_one_link_to_its_permalink(client, long_thread):
    post = long_thread.posts.get(number=4)

    content = client.get(long_thread.get_absolute_url(), {"page": 2}).content.decode()

    assert f'<a class="post__meta" href="{post.get_absolute_url()}" id="n4">#4 · <time datetime=' in content


def test_a_removed_post_keeps_its_number(client, long_thread, member):
    post = long_thread.posts.get(number=3)
    services.delete_post(post=post, deleted_by=member)

    content = client.get(long_thread.get_absolute_url(), {"page": 2}).content.decode()

    assert 'id="n3"' in content


def test_the_thread_page_numbers_its_pages_with_a_window_around_the_current_one(client, thread, settings):
    settings.POSTS_PER_PAGE = 1
    for _ in range(11):
        make_post(thread=thread)

    content = client.get(thread.get_absolute_url(), {"page": 6}).content.decode()

    assert page_links(content) == ["1", "…", "4", "5", "[6]", "7", "8", "…", "12"]
    assert 'href="?page=5" rel="prev"' in content
    assert 'href="?page=7" rel="next"' in content


def test_page_links_keep_the_role_filter(client, thread, member, settings):
    settings.POSTS_PER_PAGE = 1
    for _ in range(3):
        services.publish_post(thread=thread, author=member, body="A question?", role="question")

    content = client.get(thread.get_absolute_url(), {"role": "question"}).content.decode()

    assert page_links(content) == ["[1]", "2", "3"]
    assert 'href="?role=question&amp;page=3"' in content


def test_the_topic_page_numbers_its_pages(client, topic, settings):
    settings.THREADS_PER_PAGE = 1
    for _ in range(8):
        make_thread(topic=topic)

    content = client.get(topic.get_absolute_url(), {"page": 8}).content.decode()

    assert page_links(content) == ["1", "…", "6", "7", "[8]"]


def test_a_returning_member_can_jump_to_the_first_post_they_have_not_read(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=3)
    client.force_login(member)

    response = client.get(long_thread.get_absolute_url())

    assert response.context["first_unread"] == 4
    assert f'href="{long_thread.get_absolute_url()}?page=2#n4"' in response.content.decode()


def test_the_jump_lands_on_the_page_and_post_it_names(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=8)
    client.force_login(member)
    url = client.get(long_thread.get_absolute_url()).context["first_unread_url"]

    path, anchor = url.split("#")
    content = client.get(path).content.decode()

    assert anchor == "n9"
    assert 'id="n9"' in content


def test_there_is_no_jump_when_everything_is_read(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=12)
    client.force_login(member)

    response = client.get(long_thread.get_absolute_url())

    assert response.context["first_unread"] is None
    assert "Jump to the first unread post" not in response.content.decode()


def test_a_members_own_reply_is_not_unread_to_them(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=12)
    client.force_login(member)

    client.post(reverse("discussions:reply", args=[long_thread.pk]), {"body": "My own answer."})
    response = client.get(long_thread.get_absolute_url())

    assert response.context["first_unread"] is None
    assert "Jump to the first unread post" not in response.content.decode()


def test_posts_after_the_members_own_reply_are_still_new_to_them(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=2)
    make_post(thread=long_thread, author=member)
    make_post(thread=long_thread)
    client.force_login(member)

    assert client.get(long_thread.get_absolute_url()).context["first_unread"] == 14


def test_a_first_visit_opens_at_the_start_with_no_jump(client, long_thread, member):
    client.force_login(member)

    response = client.get(long_thread.get_absolute_url())

    assert response.context["first_unread"] is None


def test_the_topic_page_links_a_thread_with_new_posts_to_its_first_unread_one(client, long_thread, member):
    ThreadRead.objects.create(user=member, thread=long_thread, last_read_number=9)
    client.force_login(member)

    content = client.get(long_thread.topic.get_absolute_url()).content.decode()

    assert f'<a class="badge badge--unread" href="{long_thread.get_absolute_url()}?page=5#n10">3 new posts' in content


@pytest.mark.parametrize(
    ("current", "far"),
    [(4, [6]), (108, [106, 110]), (113, [111]), (1, [3])],
)
def test_a_phone_leaves_out_only_the_window_pages_next_to_an_ellipsis(current, far):
    page = Paginator(range(115), 1).get_page(current)

    assert [number for number, is_far in page_numbers(page) if is_far] == far
