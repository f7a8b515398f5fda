"""A reply or new thread sent after the session ended survives the login it leads to (issue 9, item 2)."""

from http import HTTPStatus

from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from discussions.models import Post, Thread
from tests import factories

TYPED = "Budgets in Shanghai hospitals are set each spring."


def log_in(client, user, next_url):
    """Log in through the login form, as a person does, and follow where it sends them."""
    return client.post(
        f"{reverse('account_login')}?next={next_url}",
        {"login": user.username, "password": factories.PASSWORD},
        follow=True,
    )


def test_a_reply_sent_after_the_session_ended_is_back_in_the_reply_box_after_login(client, thread, member):
    reply_url = reverse("discussions:reply", args=[thread.pk])
    response = client.post(reply_url, {"body": TYPED, "role": "evidence", "source_url": "https://example.org/b"})
    assertRedirects(response, f"{reverse('account_login')}?next={reply_url}", fetch_redirect_response=False)

    page = log_in(client, member, reply_url)
    assert page.redirect_chain[-1][0] == f"{thread.get_absolute_url()}#reply"
    assert page.status_code == HTTPStatus.OK
    assertContains(page, TYPED)  # in the reply box, not posted
    assertContains(page, "https://example.org/b")
    assertContains(page, "Your reply was kept while you logged in")
    assert page.context["form"].initial["role"] == "evidence"
    assert Post.objects.filter(thread=thread).count() == 1
    assertNotContains(client.get(thread.get_absolute_url()), TYPED)  # kept once, not for ever


def test_a_kept_reply_is_not_shown_to_someone_who_may_not_reply(client, thread, outsider):
    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": TYPED})
    page = log_in(client, outsider, reverse("discussions:reply", args=[thread.pk]))
    assert page.status_code == HTTPStatus.OK
    assertNotContains(page, TYPED)


def test_opening_the_reply_address_leads_to_the_reply_box_not_a_405(client, thread, member):
    client.force_login(member)
    response = client.get(reverse("discussions:reply", args=[thread.pk]))
    assertRedirects(response, f"{thread.get_absolute_url()}#reply", fetch_redirect_response=False)


def test_the_reply_address_of_a_hidden_thread_is_not_found(client, private_thread, member):
    client.force_login(member)
    response = client.get(reverse("discussions:reply", args=[private_thread.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_new_thread_sent_after_the_session_ended_is_back_in_the_form_after_login(client, topic, member):
    new_thread_url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])
    response = client.post(new_thread_url, {"title": "Hospital budgets", "body": TYPED})
    assertRedirects(response, f"{reverse('account_login')}?next={new_thread_url}", fetch_redirect_response=False)

    page = log_in(client, member, new_thread_url)
    assert page.redirect_chain[-1][0] == new_thread_url
    assertContains(page, 'value="Hospital budgets"')
    assertContains(page, TYPED)
    assertContains(page, "Your thread was kept while you logged in")
    assert not Thread.objects.exists()


def test_a_kept_reply_comes_back_as_text_not_markup(client, thread, member):
    hostile = '</textarea><script>alert(1)</script><img src=x onerror=alert(2)>'
    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": hostile})
    page = log_in(client, member, reverse("discussions:reply", args=[thread.pk]))
    assertContains(page, "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
    assertNotContains(page, "<script>alert(1)")
    assertNotContains(page, "<img src=x")
