from datetime import timedelta
from http import HTTPStatus

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import services, view_counts
from discussions.models import Post, Thread
from tests.factories import make_member, make_post, make_thread, make_topic


def new_thread_url(topic):
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


def test_a_member_sees_the_new_thread_form(client, topic, member):
    client.force_login(member)

    response = client.get(new_thread_url(topic))

    assert response.status_code == HTTPStatus.OK
    assert "Start a thread in Cost and reimbursement" in response.content.decode()


def test_a_member_starting_a_thread_is_redirected_to_it(client, topic, member):
    client.force_login(member)

    response = client.post(new_thread_url(topic), {"title": "Hospital budgets", "body": "How do they cope?"})

    thread = Thread.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()


def test_starting_a_thread_stores_the_opening_post_as_number_one(client, topic, member):
    client.force_login(member)

    client.post(new_thread_url(topic), {"title": "Hospital budgets", "body": "How do they *cope*?"})

    thread = Thread.objects.get()
    post = thread.posts.get()
    assert (thread.title, thread.topic, thread.author) == ("Hospital budgets", topic, member)
    assert (post.number, post.author, post.body) == (1, member, "How do they *cope*?")
    assert post.body_html == "<p>How do they <em>cope</em>?</p>"
    assert thread.post_count == 1


def test_starting_a_thread_counts_it_and_its_post_in_the_topic(client, topic, member):
    client.force_login(member)

    client.post(new_thread_url(topic), {"title": "Hospital budgets", "body": "How do they cope?"})

    topic.refresh_from_db()
    thread = Thread.objects.get()
    assert (topic.thread_count, topic.post_count) == (1, 1)
    assert topic.last_activity_at == thread.last_activity_at == thread.posts.get().created_at


def test_start_thread_dates_the_thread_its_post_and_the_topic_activity_now(topic, member):
    now = timezone.now() - timedelta(days=3)

    thread = services.start_thread(topic=topic, author=member, title="Budgets", body="Thoughts?", now=now)

    topic.refresh_from_db()
    assert thread.created_at == thread.last_activity_at == now
    assert thread.posts.get().created_at == now
    assert topic.last_activity_at == now


def test_a_reply_counts_in_the_thread_and_the_topic(topic, thread):
    make_post(thread=thread)

    thread.refresh_from_db()
    topic.refresh_from_db()
    assert (thread.post_count, thread.reply_count) == (2, 1)
    assert (topic.thread_count, topic.post_count) == (1, 2)


def test_posts_are_numbered_in_the_order_they_are_published(thread):
    second, third = make_post(thread=thread), make_post(thread=thread)

    assert list(thread.posts.values_list("number", flat=True)) == [1, 2, 3]
    assert (second.number, third.number) == (2, 3)


def test_previewing_a_new_thread_shows_the_rendered_body(client, topic, member):
    client.force_login(member)

    response = client.post(
        new_thread_url(topic), {"title": "Budgets", "body": "Is **this** right?", "preview": "1"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "Is <strong>this</strong> right?" in response.content.decode()


def test_previewing_a_new_thread_stores_nothing(client, topic, member):
    client.force_login(member)

    client.post(new_thread_url(topic), {"title": "Budgets", "body": "Is **this** right?", "preview": "1"})

    topic.refresh_from_db()
    assert not Thread.objects.exists()
    assert not Post.objects.exists()
    assert (topic.thread_count, topic.post_count) == (0, 0)


def listed_ids(response) -> list[int]:
    """The threads of the topic page's list, in order (the page lists the fields it needs, topics/views/topic_page.py)."""
    return [row["pk"] for row in response.context["page"].object_list]


def test_the_topic_page_lists_threads_by_last_activity(client, topic, member):
    now = timezone.now()
    older = services.start_thread(topic=topic, author=member, title="Older", body="1", now=now - timedelta(hours=2))
    newer = services.start_thread(topic=topic, author=member, title="Newer", body="2", now=now - timedelta(hours=1))

    response = client.get(topic.get_absolute_url())

    assert listed_ids(response) == [newer.pk, older.pk]
    content = response.content.decode()
    assert content.index("Newer") < content.index("Older")


def test_a_reply_bumps_an_older_thread_to_the_top_of_the_topic_page(client, topic, member):
    now = timezone.now()
    older = services.start_thread(topic=topic, author=member, title="Older", body="1", now=now - timedelta(hours=2))
    newer = services.start_thread(topic=topic, author=member, title="Newer", body="2", now=now - timedelta(hours=1))
    services.publish_post(thread=older, author=member, body="Bump", now=now)

    response = client.get(topic.get_absolute_url())

    assert listed_ids(response) == [older.pk, newer.pk]


def test_pinned_threads_come_before_more_active_ones(topic, member):
    now = timezone.now()
    pinned = services.start_thread(topic=topic, author=member, title="Rules", body="1", now=now - timedelta(days=9))
    active = services.start_thread(topic=topic, author=member, title="News", body="2", now=now)
    Thread.objects.filter(pk=pinned.pk).update(is_pinned=True)

    assert list(Thread.objects.filter(topic=topic).by_activity()) == [pinned, active]


def test_the_topic_page_lists_only_its_own_threads(client, topic, thread):
    elsewhere = make_thread(topic=make_topic(group=topic.group), title="Elsewhere")

    response = client.get(topic.get_absolute_url())

    assert listed_ids(response) == [thread.pk]
    assert elsewhere.title not in response.content.decode()


def test_the_thread_page_shows_its_title_and_posts(client, thread):
    make_post(thread=thread, body="A *considered* reply.")

    response = client.get(thread.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Who pays for CAR-T?" in content
    assert "Opening thoughts." in content
    assert "A <em>considered</em> reply." in content


def test_the_thread_page_shows_the_reply_count(client, thread):
    make_post(thread=thread)
    make_post(thread=thread)

    response = client.get(thread.get_absolute_url())

    assert "2 replies" in response.content.decode()


def test_the_thread_page_shows_the_view_count(client, thread):
    Thread.objects.filter(pk=thread.pk).update(view_count=41)

    response = client.get(thread.get_absolute_url())

    # With Redis this view waits for the flush; without (dev mode) it is written at once, and shown.
    shown = 41 if view_counts.buffered() else 42
    assert f"{shown} views" in response.content.decode()


def test_a_visitors_view_is_counted_once_a_day(client, thread):
    client.get(thread.get_absolute_url())
    client.get(thread.get_absolute_url())
    view_counts.flush_view_counts()

    thread.refresh_from_db()
    assert thread.view_count == 1


def test_a_visitor_and_a_member_each_count_a_view(client, thread, member):
    client.get(thread.get_absolute_url())
    other = Client()
    other.force_login(member)
    other.get(thread.get_absolute_url())
    view_counts.flush_view_counts()

    thread.refresh_from_db()
    assert thread.view_count == 2


def test_the_short_thread_address_redirects_temporarily_to_the_full_one(client, thread):
    response = client.get(reverse("discussions:thread_short", args=[thread.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()


def test_a_thread_address_with_an_old_slug_redirects_to_the_current_one(client, thread):
    response = client.get(reverse("discussions:thread", args=[thread.pk, "old-title"]))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.get_absolute_url()


def test_a_thread_titled_without_latin_letters_still_has_an_address(client, topic, member):
    thread = make_thread(topic=topic, author=member, title="谁来付费？")

    response = client.get(thread.get_absolute_url())

    assert thread.get_absolute_url() == reverse("discussions:thread", args=[thread.pk, "thread"])
    assert response.status_code == HTTPStatus.OK


def test_a_thread_that_does_not_exist_is_not_found(client, db):
    response = client.get(reverse("discussions:thread", args=[404404, "missing"]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_first_page_of_a_long_thread_shows_the_earliest_posts(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    make_post(thread=thread, body="Second post.")
    make_post(thread=thread, body="Third post.")

    response = client.get(thread.get_absolute_url())

    content = response.content.decode()
    assert "Second post." in content
    assert "Third post." not in content
    assert '<a href="?page=1" aria-current="page">' in content


def test_later_posts_are_on_page_two(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    make_post(thread=thread, body="Second post.")
    make_post(thread=thread, body="Third post.")

    response = client.get(thread.get_absolute_url(), {"page": 2})

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Third post." in content
    assert "Second post." not in content
    assert '<a href="?page=2" aria-current="page">' in content


def test_a_page_past_the_end_shows_the_last_page(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    make_post(thread=thread, body="Second post.")
    make_post(thread=thread, body="Third post.")

    response = client.get(thread.get_absolute_url(), {"page": 99})

    assert response.context["page"].number == 2


def test_a_member_sees_the_reply_form(client, thread):
    client.force_login(make_member(group=thread.topic.group))

    response = client.get(thread.get_absolute_url())

    assert response.context["can_reply"] is True
    assert reverse("discussions:reply", args=[thread.pk]) in response.content.decode()
