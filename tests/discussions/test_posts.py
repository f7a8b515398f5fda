from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Post, PostRevision
from tests.factories import make_member, make_post, make_thread


def reply_url(thread):
    return reverse("discussions:reply", args=[thread.pk])


def edit_url(post):
    return reverse("discussions:edit_post", args=[post.pk])


def delete_url(post):
    return reverse("discussions:delete_post", args=[post.pk])


def revisions_url(post):
    return reverse("discussions:post_revisions", args=[post.pk])


# Replying


def test_a_member_can_reply_to_an_open_thread(client, thread):
    replier = make_member(group=thread.topic.group)
    client.force_login(replier)

    client.post(reply_url(thread), {"body": "Agreed."})

    post = thread.posts.get(number=2)
    assert (post.author, post.body, post.body_html) == (replier, "Agreed.", "<p>Agreed.</p>")


def test_a_reply_redirects_to_its_permalink(client, thread, member):
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "Agreed."})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == thread.posts.get(number=2).get_absolute_url()


def test_a_reply_bumps_the_thread_activity(client, thread, member):
    before = thread.last_activity_at
    client.force_login(member)

    client.post(reply_url(thread), {"body": "Agreed."})

    thread.refresh_from_db()
    assert thread.last_activity_at > before
    assert thread.last_activity_at == thread.posts.get(number=2).created_at


def test_previewing_a_reply_shows_the_rendered_body(client, thread, member):
    client.force_login(member)

    response = client.post(reply_url(thread), {"body": "I *think* so.", "preview": "1"})

    assert response.status_code == HTTPStatus.OK
    assert "I <em>think</em> so." in response.content.decode()


def test_previewing_a_reply_stores_nothing(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), {"body": "I *think* so.", "preview": "1"})

    thread.refresh_from_db()
    assert thread.posts.count() == 1
    assert thread.post_count == 1


# Quoting


def test_quoting_a_post_prefills_the_reply_with_a_blockquote(client, thread, member):
    post = make_post(thread=thread, author=member, body="Prices will fall.\nSlowly.")
    client.force_login(member)

    response = client.get(thread.get_absolute_url(), {"quote": post.pk})

    assert response.context["form"].initial["body"] == "**Mei** wrote:\n\n> Prices will fall.\n> Slowly.\n\n"
    assert "&gt; Prices will fall." in response.content.decode()


def test_quoting_a_post_remembers_which_post_is_quoted(client, thread, member):
    post = make_post(thread=thread)
    client.force_login(member)

    response = client.get(thread.get_absolute_url(), {"quote": post.pk})

    assert f'<input type="hidden" name="quote" value="{post.pk}">' in response.content.decode()


def test_quoting_a_post_from_another_thread_prefills_nothing(client, thread, member):
    elsewhere = make_post(thread=make_thread(topic=thread.topic))
    client.force_login(member)

    response = client.get(thread.get_absolute_url(), {"quote": elsewhere.pk})

    assert "body" not in response.context["form"].initial
    assert response.context["quote_pk"] is None


def test_quoting_a_removed_post_prefills_nothing(client, thread, member, moderator):
    post = make_post(thread=thread, body="Regrettable words.")
    services.delete_post(post=post, deleted_by=moderator)
    client.force_login(member)

    response = client.get(thread.get_absolute_url(), {"quote": post.pk})

    assert "body" not in response.context["form"].initial
    assert "Regrettable words." not in response.content.decode()


def test_a_quote_reply_records_the_quoted_post(client, thread, member):
    quoted = make_post(thread=thread)
    client.force_login(member)

    client.post(reply_url(thread), {"body": "> Quoted\n\nAnswer.", "quote": quoted.pk})

    assert thread.posts.get(number=3).quoted_post == quoted


def test_a_plain_reply_quotes_nothing(client, thread, member):
    client.force_login(member)

    client.post(reply_url(thread), {"body": "Answer."})

    assert thread.posts.get(number=2).quoted_post is None


def test_quote_markdown_attributes_a_post_by_a_former_member(thread):
    post = make_post(thread=thread, body="Old words.")
    Post.objects.filter(pk=post.pk).update(author=None)
    post.refresh_from_db()

    assert services.quote_markdown(post) == "**a former member** wrote:\n\n> Old words.\n\n"


def test_quote_markdown_keeps_blank_lines_inside_the_quote(thread):
    post = make_post(thread=thread, author=thread.author, body="First.\n\nSecond.")

    assert services.quote_markdown(post) == "**Mei** wrote:\n\n> First.\n>\n> Second.\n\n"


# Permalinks


def test_a_permalink_on_the_first_page_goes_to_the_thread_at_the_post(client, thread):
    post = make_post(thread=thread)

    response = client.get(post.get_absolute_url())

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{thread.get_absolute_url()}#post-{post.pk}"


def test_a_permalink_to_a_later_post_goes_to_its_page(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    make_post(thread=thread)
    third = make_post(thread=thread)

    response = client.get(third.get_absolute_url())

    assert response.url == f"{thread.get_absolute_url()}?page=2#post-{third.pk}"


def test_a_permalinked_post_is_on_the_page_it_points_to(client, settings, thread):
    settings.POSTS_PER_PAGE = 2
    make_post(thread=thread)
    third = make_post(thread=thread, body="Find me.")

    response = client.get(third.get_absolute_url(), follow=True)

    assert f'id="post-{third.pk}"' in response.content.decode()
    assert "Find me." in response.content.decode()


def test_page_of_counts_posts_per_page(thread):
    post = Post(thread=thread, number=21)

    assert services.page_of(post, per_page=20) == 2
    assert services.page_of(Post(thread=thread, number=20), per_page=20) == 1


def test_a_permalink_to_a_post_that_does_not_exist_is_not_found(client, db):
    response = client.get(reverse("discussions:post", args=[404404]))

    assert response.status_code == HTTPStatus.NOT_FOUND


# Editing


def test_an_author_editing_a_post_updates_its_html(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    response = client.post(edit_url(post), {"body": "Revised **thoughts**."})

    post.refresh_from_db()
    assert response.url == post.get_absolute_url()
    assert post.body == "Revised **thoughts**."
    assert post.body_html == "<p>Revised <strong>thoughts</strong>.</p>"
    assert post.edited_at is not None


def test_an_edit_keeps_the_old_body_as_a_revision(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    client.post(edit_url(post), {"body": "Revised thoughts."})

    revision = post.revisions.get()
    assert (revision.body, revision.body_html) == ("Opening thoughts.", "<p>Opening thoughts.</p>")
    assert (revision.written_at, revision.replaced_by) == (post.created_at, member)


def test_an_edited_post_is_marked_edited_on_the_thread_page(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)
    client.post(edit_url(post), {"body": "Revised thoughts."})

    response = client.get(thread.get_absolute_url())

    content = response.content.decode()
    assert "Revised thoughts." in content
    assert "Opening thoughts." not in content
    assert ">edited</span>" in content


def test_an_unedited_post_is_not_marked_edited(client, thread):
    response = client.get(thread.get_absolute_url())

    assert ">edited</span>" not in response.content.decode()


def test_saving_an_unchanged_body_makes_no_revision(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    client.post(edit_url(post), {"body": "Opening thoughts."})

    post.refresh_from_db()
    assert not PostRevision.objects.exists()
    assert post.edited_at is None


def test_edit_post_says_whether_anything_changed(thread, member):
    post = thread.posts.get()

    assert services.edit_post(post=post, editor=member, body="Opening thoughts.") is False
    assert services.edit_post(post=post, editor=member, body="New thoughts.") is True


def test_a_second_edit_dates_its_revision_from_the_first_edit(thread, member):
    post = thread.posts.get()
    first_edit = timezone.now()
    services.edit_post(post=post, editor=member, body="Second version.", now=first_edit)

    services.edit_post(post=post, editor=member, body="Third version.")

    newest = post.revisions.first()
    assert (newest.body, newest.written_at) == ("Second version.", first_edit)
    assert post.revisions.count() == 2


def test_the_edit_page_shows_the_current_body(client, thread, member):
    client.force_login(member)

    response = client.get(edit_url(thread.posts.get()))

    assert response.status_code == HTTPStatus.OK
    assert "Opening thoughts." in response.content.decode()


def test_previewing_an_edit_changes_nothing(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    response = client.post(edit_url(post), {"body": "Draft *edit*.", "preview": "1"})

    post.refresh_from_db()
    assert "Draft <em>edit</em>." in response.content.decode()
    assert post.body == "Opening thoughts."
    assert not post.revisions.exists()


def test_another_member_cannot_edit_a_post(client, thread):
    post = thread.posts.get()
    client.force_login(make_member(group=thread.topic.group))

    response = client.post(edit_url(post), {"body": "Hijacked."})

    post.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert post.body == "Opening thoughts."


def test_another_member_cannot_open_the_edit_page(client, thread):
    client.force_login(make_member(group=thread.topic.group))

    response = client.get(edit_url(thread.posts.get()))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_another_member_sees_no_edit_link(client, thread):
    client.force_login(make_member(group=thread.topic.group))

    response = client.get(thread.get_absolute_url())

    assert edit_url(thread.posts.get()) not in response.content.decode()


def test_the_author_sees_an_edit_link(client, thread, member):
    client.force_login(member)

    response = client.get(thread.get_absolute_url())

    assert edit_url(thread.posts.get()) in response.content.decode()


def test_a_moderator_can_edit_a_members_post(client, thread, moderator):
    post = thread.posts.get()
    client.force_login(moderator)

    client.post(edit_url(post), {"body": "Trimmed by a moderator."})

    post.refresh_from_db()
    assert post.body == "Trimmed by a moderator."
    assert post.revisions.get().replaced_by == moderator


def test_an_author_who_left_the_group_cannot_edit(client, thread, member):
    member.memberships.all().delete()
    client.force_login(member)

    response = client.post(edit_url(thread.posts.get()), {"body": "After leaving."})

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_a_removed_post_cannot_be_edited(client, thread, member):
    post = thread.posts.get()
    services.delete_post(post=post, deleted_by=member)
    client.force_login(member)

    response = client.post(edit_url(post), {"body": "Back again."})

    assert response.status_code == HTTPStatus.FORBIDDEN


# Revisions


def test_a_moderator_can_see_a_posts_revisions(client, thread, member, moderator):
    post = thread.posts.get()
    services.edit_post(post=post, editor=member, body="Second thoughts.")
    client.force_login(moderator)

    response = client.get(revisions_url(post))

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Opening thoughts." in content
    assert "Second thoughts." in content


def test_the_author_can_see_their_posts_revisions(client, thread, member):
    post = thread.posts.get()
    services.edit_post(post=post, editor=member, body="Second thoughts.")
    client.force_login(member)

    response = client.get(revisions_url(post))

    assert response.status_code == HTTPStatus.OK
    assert "Opening thoughts." in response.content.decode()


def test_another_member_cannot_see_a_posts_revisions(client, thread, member):
    post = thread.posts.get()
    services.edit_post(post=post, editor=member, body="Second thoughts.")
    client.force_login(make_member(group=thread.topic.group))

    response = client.get(revisions_url(post))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_an_outsider_cannot_see_a_posts_revisions(client, thread, outsider):
    client.force_login(outsider)

    response = client.get(revisions_url(thread.posts.get()))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_are_sent_to_log_in_for_revisions(client, thread):
    url = revisions_url(thread.posts.get())

    response = client.get(url)

    assert response.url == f"{reverse('account_login')}?next={url}"


# Deleting


def test_the_delete_page_asks_for_confirmation(client, thread, member):
    post = thread.posts.get()
    client.force_login(member)

    response = client.get(delete_url(post))

    post.refresh_from_db()
    assert response.status_code == HTTPStatus.OK
    assert "Delete this post?" in response.content.decode()
    assert post.deleted_at is None


def test_deleting_a_post_keeps_its_row_and_marks_it_removed(client, thread, member):
    post = make_post(thread=thread, author=member, body="Second thoughts.")
    client.force_login(member)

    response = client.post(delete_url(post))

    post.refresh_from_db()
    assert response.url == post.get_absolute_url()
    assert post.deleted_at is not None
    assert post.deleted_by == member
    assert post.body == "Second thoughts."


def test_a_removed_post_shows_as_removed_without_its_text(client, thread, member):
    post = make_post(thread=thread, author=member, body="Regrettable words.")
    client.force_login(member)
    client.post(delete_url(post))

    response = client.get(thread.get_absolute_url())

    content = response.content.decode()
    assert f'id="post-{post.pk}"' in content
    assert "Post removed" in content
    assert "Regrettable words." not in content


def test_removing_a_post_keeps_the_numbering_of_later_posts(thread, member):
    second = make_post(thread=thread)
    services.delete_post(post=second, deleted_by=member)

    third = make_post(thread=thread)

    assert third.number == 3


def test_delete_post_says_whether_anything_changed(thread, member):
    post = thread.posts.get()

    assert services.delete_post(post=post, deleted_by=member) is True
    assert services.delete_post(post=post, deleted_by=member) is False


def test_another_member_cannot_delete_a_post(client, thread):
    post = thread.posts.get()
    client.force_login(make_member(group=thread.topic.group))

    response = client.post(delete_url(post))

    post.refresh_from_db()
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert post.deleted_at is None


def test_a_moderator_can_delete_a_members_post(client, thread, moderator):
    post = make_post(thread=thread, body="Off topic.")
    client.force_login(moderator)

    client.post(delete_url(post))

    post.refresh_from_db()
    assert post.deleted_by == moderator


def test_a_post_removed_by_a_moderator_says_so(client, thread, moderator):
    post = make_post(thread=thread, body="Off topic.")
    services.delete_post(post=post, deleted_by=moderator)

    response = client.get(thread.get_absolute_url())

    assert "Post removed by a moderator." in response.content.decode()


# Preview endpoint


def test_the_preview_endpoint_returns_sanitized_html(client, member):
    client.force_login(member)

    response = client.post(reverse("discussions:preview"), {"body": "**Hi** <script>alert(1)</script>"})

    assert response.status_code == HTTPStatus.OK
    assert response.content.decode() == "<p><strong>Hi</strong> alert(1)</p>"


def test_the_preview_endpoint_links_bare_urls_like_a_saved_post(client, member):
    client.force_login(member)

    response = client.post(reverse("discussions:preview"), {"body": "https://example.org"})

    assert 'rel="nofollow ugc noopener"' in response.content.decode()


def test_the_preview_endpoint_refuses_an_empty_body(client, member):
    client.force_login(member)

    response = client.post(reverse("discussions:preview"), {"body": "   "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.content.decode() == "Write something before posting."


def test_the_preview_endpoint_sends_anonymous_visitors_to_log_in(client, db):
    response = client.post(reverse("discussions:preview"), {"body": "Hi"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_the_preview_endpoint_only_takes_posts(client, member):
    client.force_login(member)

    response = client.get(reverse("discussions:preview"), {"body": "Hi"})

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
