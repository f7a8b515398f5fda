"""Posts marked with the role they play in the argument; evidence with its source and date (issue #4, item 8)."""

from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Post, Thread
from tests.factories import make_member, make_thread, make_topic
from topics.outcomes import group_today

LAST_YEAR = date(2024, 3, 1)


def reply_url(thread):
    return reverse("discussions:reply", args=[thread.pk])


def edit_url(post):
    return reverse("discussions:edit_post", args=[post.pk])


def new_thread_url(topic):
    return reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])


def topic_url(topic):
    return reverse("topics:topic", args=[topic.group.slug, topic.slug])


def evidence(**fields):
    """Form data for an evidence reply; fields override or (with None) leave out a value."""
    data = {
        "body": "Sales grew 40%.",
        "role": "evidence",
        "source_url": "https://example.org/report",
        "evidence_as_of": "2024-03-01",
    } | fields
    return {name: value for name, value in data.items() if value is not None}


def publish(thread, role="", body="A post.", author=None, **fields):
    author = author or make_member(group=thread.topic.group)
    return services.publish_post(thread=thread, author=author, body=body, role=role, **fields)


def publish_evidence(thread, as_of: date, url="https://example.org/data", body="Data."):
    return publish(thread, role=Post.Role.EVIDENCE, body=body, source_url=url, evidence_as_of=as_of)


# Marking a post


def test_a_member_can_mark_a_reply_as_an_argument_for(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), {"body": "It saves lives.", "role": "for"})

    assert thread.posts.get(number=2).role == Post.Role.FOR


def test_a_reply_without_a_role_has_none(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), {"body": "Hmm."})

    assert thread.posts.get(number=2).role == ""


def test_the_opening_post_of_a_new_thread_can_carry_a_role(client, topic, member):
    client.force_login(member)

    client.post(new_thread_url(topic), {"title": "Cap prices?", "body": "Cap them at cost.", "role": "proposal"})

    assert Thread.objects.get().posts.get().role == Post.Role.PROPOSAL


def test_a_role_is_shown_as_a_label_on_the_post(client, thread):
    publish(thread, role=Post.Role.AGAINST, body="Too costly.")

    response = client.get(thread.get_absolute_url())

    assert '<span class="role-label role-label--against">Argument against</span>' in response.content.decode()


def test_a_role_that_does_not_exist_is_refused(client, thread, member):
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "Hmm.", "role": "rant"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert thread.posts.count() == 1


# Evidence


def test_an_evidence_reply_stores_its_source_and_date(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), evidence())

    post = thread.posts.get(number=2)
    assert (post.role, post.source_url, post.evidence_as_of) == ("evidence", "https://example.org/report", LAST_YEAR)


def test_an_evidence_post_shows_its_source_link_and_as_of_date(client, thread):
    publish_evidence(thread, as_of=LAST_YEAR, url="https://example.org/nrdl-2024")

    page = client.get(thread.get_absolute_url()).content.decode()

    assert '<a href="https://example.org/nrdl-2024" rel="nofollow ugc noopener">' in page
    assert "as of <time datetime=\"2024-03-01\">1 Mar 2024</time>" in page


def test_evidence_without_a_source_link_is_refused_with_a_clear_error(client, thread, member):
    client.force_login(member)

    response = client.post(reply_url(thread), evidence(source_url=None))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Evidence needs a link to its source." in response.content.decode()
    assert thread.posts.count() == 1


def test_evidence_without_an_as_of_date_is_refused_with_a_clear_error(client, thread, member):
    client.force_login(member)

    response = client.post(reply_url(thread), evidence(evidence_as_of=None))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Evidence needs the date its facts are from." in response.content.decode()
    assert thread.posts.count() == 1


def test_evidence_dated_in_the_future_is_refused(client, thread, member):
    client.force_login(member)
    tomorrow = group_today(thread.topic.group) + timedelta(days=1)

    response = client.post(reply_url(thread), evidence(evidence_as_of=tomorrow.isoformat()))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cannot be in the future" in response.content.decode()
    assert thread.posts.count() == 1


def test_evidence_dated_today_is_accepted(client, thread, member):
    client.force_login(member)
    today = group_today(thread.topic.group)

    client.post(reply_url(thread), evidence(evidence_as_of=today.isoformat()))

    assert thread.posts.get(number=2).evidence_as_of == today


@pytest.mark.parametrize("url", ["ftp://example.org/report.pdf", "javascript:alert(1)", "data:text/html,hi"])
def test_evidence_with_a_link_that_is_not_http_is_refused(client, thread, member, url):
    client.force_login(member)

    response = client.post(reply_url(thread), evidence(source_url=url))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Give a web address starting with http:// or https://." in response.content.decode()
    assert thread.posts.count() == 1


def test_a_new_thread_marked_as_evidence_needs_a_source_too(client, topic, member):
    client.force_login(member)

    response = client.post(new_thread_url(topic), {"title": "Prices", "body": "Down 20%.", "role": "evidence"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Thread.objects.exists()


def test_a_post_that_is_not_evidence_keeps_no_source(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), evidence(role="question"))

    post = thread.posts.get(number=2)
    assert (post.role, post.source_url, post.evidence_as_of) == ("question", "", None)


def test_publishing_a_non_evidence_post_with_a_source_drops_the_source(thread, member):
    post = publish(
        thread, role=Post.Role.FOR, author=member, source_url="https://example.org", evidence_as_of=LAST_YEAR
    )

    post.refresh_from_db()
    assert (post.source_url, post.evidence_as_of) == ("", None)


# Editing


def test_the_author_can_change_a_posts_role_when_editing(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    client.post(edit_url(post), {"body": post.body, "role": "question"})

    post.refresh_from_db()
    assert post.role == Post.Role.QUESTION


def test_the_edit_form_starts_with_the_posts_role_and_source(client, thread, member):
    post = publish_evidence(thread, as_of=LAST_YEAR, url="https://example.org/r")
    Post.objects.filter(pk=post.pk).update(author=member)
    client.force_login(member)

    page = client.get(edit_url(post)).content.decode()

    assert '<option value="evidence" selected>' in page
    assert 'value="https://example.org/r"' in page
    assert 'value="2024-03-01"' in page


def test_editing_evidence_into_another_role_clears_its_source(client, thread, member):
    post = publish_evidence(thread, as_of=LAST_YEAR)
    Post.objects.filter(pk=post.pk).update(author=member)
    client.force_login(member)

    client.post(edit_url(post), evidence(body=post.body, role="for"))

    post.refresh_from_db()
    assert (post.role, post.source_url, post.evidence_as_of) == ("for", "", None)


def test_editing_a_post_into_evidence_without_a_source_is_refused(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    response = client.post(edit_url(post), {"body": post.body, "role": "evidence"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    post.refresh_from_db()
    assert post.role == ""


def test_editing_only_the_role_keeps_no_revision_of_the_unchanged_text(thread, member):
    post = thread.posts.get()

    changed = services.edit_post(post=post, editor=member, body=post.body, role=Post.Role.PROPOSAL)

    assert changed
    assert not post.revisions.exists()


def test_an_edit_that_names_no_role_keeps_the_posts_role(thread):
    post = publish_evidence(thread, as_of=LAST_YEAR)

    services.edit_post(post=post, editor=post.author, body="Data, corrected.")

    post.refresh_from_db()
    assert (post.role, post.evidence_as_of, post.body) == ("evidence", LAST_YEAR, "Data, corrected.")


# Filtering a thread by role


def test_a_thread_filtered_to_evidence_shows_only_evidence(client, thread):
    publish_evidence(thread, as_of=LAST_YEAR, body="The evidence post.")
    publish(thread, role=Post.Role.FOR, body="The argument post.")

    response = client.get(thread.get_absolute_url(), {"role": "evidence"})

    assert response.status_code == HTTPStatus.OK
    assert [post.body for post in response.context["page"].object_list] == ["The evidence post."]


def test_the_role_filter_links_show_how_many_posts_each_role_has(client, thread):
    publish_evidence(thread, as_of=LAST_YEAR)
    publish(thread, role=Post.Role.FOR)
    publish(thread, role=Post.Role.FOR)
    publish(thread, role=Post.Role.QUESTION)

    response = client.get(thread.get_absolute_url())

    counts = {item["label"]: item["count"] for item in response.context["role_filters"]}
    assert counts == {"All": 5, "Evidence": 1, "For": 2, "Against": 0, "Questions": 1, "Proposals": 0}
    assert f'<a href="{thread.get_absolute_url()}?role=for">For <span class="role-filter__count">(2)</span></a>' in (
        response.content.decode()
    )


def test_removed_posts_are_neither_counted_nor_shown_in_a_role(client, thread):
    removed = publish(thread, role=Post.Role.AGAINST)
    services.delete_post(post=removed, deleted_by=removed.author)

    response = client.get(thread.get_absolute_url(), {"role": "against"})

    assert list(response.context["page"].object_list) == []
    assert "No posts with this role yet." in response.content.decode()
    assert {item["label"]: item["count"] for item in response.context["role_filters"]}["Against"] == 0


def test_the_active_role_filter_is_marked_as_the_current_page(client, thread):
    response = client.get(thread.get_absolute_url(), {"role": "question"})

    assert 'aria-current="page" class="role-filter__active">Questions' in response.content.decode()


def test_an_unknown_role_filter_is_a_bad_request_with_a_clear_message(client, thread):
    response = client.get(thread.get_absolute_url(), {"role": "rant"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "There is no such role to filter by" in response.content.decode()


def test_an_empty_role_filter_shows_every_post(client, thread):
    publish(thread, role=Post.Role.FOR)

    response = client.get(thread.get_absolute_url(), {"role": ""})

    assert len(response.context["page"].object_list) == 2


def test_pages_of_a_filtered_thread_keep_the_filter(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    for n in range(3):
        publish_evidence(thread, as_of=LAST_YEAR, body=f"Evidence {n}.")
        publish(thread, role=Post.Role.FOR)

    first = client.get(thread.get_absolute_url(), {"role": "evidence"})
    second = client.get(thread.get_absolute_url(), {"role": "evidence", "page": 2})

    assert 'href="?role=evidence&amp;page=2" rel="next"' in first.content.decode()
    assert [post.body for post in second.context["page"].object_list] == ["Evidence 2."]


def test_a_filtered_thread_page_costs_the_same_queries_for_few_or_many_posts(client, settings, topic):
    settings.POSTS_PER_PAGE = 200
    small, large = make_thread(topic=topic), make_thread(topic=topic)
    publish_evidence(small, as_of=LAST_YEAR)
    for _ in range(30):
        publish_evidence(large, as_of=LAST_YEAR)
        publish(large, role=Post.Role.QUESTION)

    def queries(thread):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(thread.get_absolute_url(), {"role": "evidence"}).status_code == HTTPStatus.OK
        return len(captured)

    assert queries(small) == queries(large)


# The topic page's evidence


def test_the_topic_page_lists_its_evidence_oldest_first(client, topic, thread):
    publish_evidence(thread, as_of=date(2024, 6, 1), body="Middle.")
    publish_evidence(thread, as_of=date(2023, 1, 1), body="Oldest.")
    publish_evidence(make_thread(topic=topic), as_of=date(2025, 1, 1), body="Newest.")

    response = client.get(topic_url(topic))

    assert [post.body for post in response.context["evidence"]] == ["Oldest.", "Middle.", "Newest."]


def test_the_topic_page_shows_each_pieces_source_thread_and_date(client, topic, thread):
    post = publish_evidence(thread, as_of=LAST_YEAR, url="https://example.org/nhsa")

    page = client.get(topic_url(topic)).content.decode()

    assert '<a class="evidence-item__source" href="https://example.org/nhsa" rel="nofollow ugc noopener">' in page
    assert f'<a href="{post.get_absolute_url()}">Who pays for CAR-T?</a>' in page
    assert 'As of <time datetime="2024-03-01">1 Mar 2024</time>' in page


def test_evidence_older_than_the_groups_threshold_is_flagged_possibly_stale(client, topic, thread):
    topic.group.evidence_stale_after_days = 30
    topic.group.save()
    today = group_today(topic.group)
    publish_evidence(thread, as_of=today - timedelta(days=31), body="Stale.")
    publish_evidence(thread, as_of=today - timedelta(days=30), body="Just fresh.")

    response = client.get(topic_url(topic))

    flags = {post.body: post.is_possibly_stale for post in response.context["evidence"]}
    assert flags == {"Stale.": True, "Just fresh.": False}
    assert response.content.decode().count("Possibly stale</span>") == 1


def test_removed_evidence_is_not_listed_on_the_topic_page(client, topic, thread):
    post = publish_evidence(thread, as_of=LAST_YEAR)
    services.delete_post(post=post, deleted_by=post.author)

    response = client.get(topic_url(topic))

    assert response.context["evidence"] == []


def test_evidence_from_another_topic_is_not_listed(client, topic, thread):
    publish_evidence(make_thread(topic=make_topic(group=topic.group)), as_of=LAST_YEAR)

    response = client.get(topic_url(topic))

    assert response.context["evidence"] == []


def test_the_topic_page_costs_the_same_queries_with_one_or_many_pieces_of_evidence(client, topic, thread):
    def queries():
        cache.clear()  # the page made afresh, not read from the cache: the cost of rendering it
        with CaptureQueriesContext(connection) as captured:
            assert client.get(topic_url(topic)).status_code == HTTPStatus.OK
        return len(captured)

    publish_evidence(thread, as_of=LAST_YEAR)
    one = queries()
    for n in range(20):
        publish_evidence(make_thread(topic=topic), as_of=timezone.localdate() - timedelta(days=n))

    assert queries() == one
