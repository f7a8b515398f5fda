"""Immediate notification emails: batched per thread, claimed once, readable, and honest about why they came."""

import re
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from discussions import mailing, notifications
from discussions.models import Notification
from discussions.services import publish_post
from groupsite.models import EmailChoice, NotificationKind
from tests import factories

Kind = NotificationKind
DELAY = timedelta(minutes=5)
NOW = timezone.now().replace(microsecond=0)
TITLE = "Which payment model works for CAR-T therapies in China’s tier-2 cities?"
SHORT_TITLE = "“Which payment model works for CAR-T therapies in…”"  # as subjects shorten it


def wants_at_once(user, *kinds):
    user.email_choices = {**user.email_choices, **{kind: EmailChoice.IMMEDIATELY for kind in kinds}}
    user.save(update_fields=["email_choices"])
    return user


def notify(user, *, kind=Kind.REPLY, post=None, thread=None, prompt=None, group=None, actor=None, at=NOW):
    """A notification waiting to be emailed, as discussions.notifications leaves it (or updates the one it made)."""
    thread = thread or (post.thread if post is not None else None)
    if group is None:
        group = thread.topic.group if thread is not None else prompt.topic.group
    fields = {
        "kind": kind,
        "actor": actor if actor is not None else (post.author if post is not None else None),
        "group": group,
        "thread": thread,
        "prompt": prompt,
        "created_at": at,
        "email_due_at": at + DELAY,
        "emailed_at": None,
    }
    if post is not None:
        notification, _ = Notification.objects.update_or_create(user=user, post=post, defaults=fields)
    elif prompt is not None:
        notification, _ = Notification.objects.update_or_create(
            user=user, prompt=prompt, kind=kind, post=None, defaults=fields
        )
    else:
        notification = Notification.objects.create(user=user, post=None, **fields)
    return notification


def reply(thread, body, *, author=None, at=NOW):
    author = author or factories.make_member(group=thread.topic.group)
    return publish_post(thread=thread, author=author, body=body, now=at)


@pytest.fixture
def reader(member):
    """Mei, who started the thread and asked to hear about replies at once."""
    return wants_at_once(member, Kind.REPLY, Kind.MENTION, Kind.QUOTE)


@pytest.fixture
def thread(topic, reader):
    return factories.make_thread(topic=topic, author=reader, title=TITLE)


@pytest.fixture
def replier(group):
    return factories.make_member(group=group, username="bo", display_name="Dr Bo Chen")


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


# Batching


def test_three_replies_in_one_thread_due_by_the_same_run_make_one_email_listing_all_three(reader, thread, mailoutbox):
    posts = [reply(thread, f"Point number {n}.", at=NOW + timedelta(seconds=20 * n)) for n in range(3)]
    for post in posts:
        notify(reader, post=post, at=post.created_at)
    sent = mailing.send_due_notification_emails(now=NOW + DELAY + timedelta(seconds=40))
    assert sent == 1
    [message] = mailoutbox
    assert message.to == [reader.email]
    for n in range(3):
        assert f"Point number {n}." in message.body
    assert Notification.objects.filter(user=reader, emailed_at=NOW + DELAY + timedelta(seconds=40)).count() == 3


def test_replies_in_different_threads_make_separate_emails(reader, topic, thread, mailoutbox):
    other = factories.make_thread(topic=topic, author=reader, title="Hospital listings in Guangdong")
    notify(reader, post=reply(thread, "In the first thread."))
    notify(reader, post=reply(other, "In the second thread."))
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 2
    bodies = sorted(message.body for message in mailoutbox)
    assert "In the first thread." in bodies[0] + bodies[1]
    assert all(("first" in body) != ("second" in body) for body in bodies)


def test_each_member_gets_their_own_email_about_the_same_thread(reader, thread, group, mailoutbox):
    other_reader = wants_at_once(factories.make_member(group=group), Kind.REPLY)
    post = reply(thread, "Something for both of you.")
    notify(reader, post=post)
    notify(other_reader, post=post)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    assert sorted(message.to[0] for message in mailoutbox) == sorted([reader.email, other_reader.email])


def test_nothing_is_sent_before_the_first_notification_is_due(reader, thread, mailoutbox):
    notify(reader, post=reply(thread, "Not yet."))
    assert mailing.send_due_notification_emails(now=NOW + DELAY - timedelta(seconds=1)) == 0
    assert mailoutbox == []
    assert Notification.objects.get(user=reader).emailed_at is None


def test_a_reply_still_waiting_is_left_out_of_an_earlier_email_and_sent_at_its_own_time(reader, thread, mailoutbox):
    notify(reader, post=reply(thread, "The first reply."), at=NOW)
    later = notify(reader, post=reply(thread, "A reply a minute later."), at=NOW + timedelta(minutes=1))
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 1
    [first] = mailoutbox
    assert "The first reply." in first.body and "A reply a minute later." not in first.body
    assert mailing.send_due_notification_emails(now=later.email_due_at - timedelta(seconds=1)) == 0
    assert mailing.send_due_notification_emails(now=later.email_due_at) == 1
    assert "A reply a minute later." in mailoutbox[1].body and "The first reply." not in mailoutbox[1].body
    assert mailing.send_due_notification_emails(now=later.email_due_at + timedelta(minutes=1)) == 0
    assert len(mailoutbox) == 2


def test_a_notification_that_is_not_to_be_emailed_is_never_sent(reader, thread, mailoutbox):
    notification = notify(reader, post=reply(thread, "Only on the site."))
    Notification.objects.filter(pk=notification.pk).update(email_due_at=None)
    assert mailing.send_due_notification_emails(now=NOW + timedelta(days=1)) == 0
    assert mailoutbox == []


@pytest.mark.parametrize("choice", [EmailChoice.DIGEST, EmailChoice.NEVER])
def test_a_member_who_changed_their_mind_while_it_waited_gets_no_email(reader, thread, mailoutbox, choice):
    notification = notify(reader, post=reply(thread, "Changed my mind."))
    reader.email_choices = {Kind.REPLY: choice}
    reader.save(update_fields=["email_choices"])
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert mailoutbox == []
    notification.refresh_from_db()
    assert (notification.email_due_at, notification.emailed_at) == (None, None)  # not picked up again, still unread


def test_only_the_kinds_still_wanted_at_once_go_in_the_email(reader, thread, replier, mailoutbox):
    notify(reader, post=reply(thread, "A plain reply."))
    notify(reader, post=reply(thread, "Hello @mei.", author=replier), kind=Kind.MENTION)
    reader.email_choices = {Kind.REPLY: EmailChoice.DIGEST, Kind.MENTION: EmailChoice.IMMEDIATELY}
    reader.save(update_fields=["email_choices"])
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert "Hello @mei." in message.body
    assert "A plain reply." not in message.body
    assert message.subject == f"[China CAR-T market] Dr Bo Chen mentioned you in {SHORT_TITLE}"


def test_sending_twice_sends_once(reader, thread, mailoutbox):
    notify(reader, post=reply(thread, "Once only."))
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 1
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert mailing.send_due_notification_emails(now=NOW + DELAY + timedelta(hours=1)) == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_each_notification_once(mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writing transaction at a time, so runs cannot overlap")
    group = factories.make_group()
    topic = factories.make_topic(group=group)
    readers = [wants_at_once(factories.make_member(group=group), Kind.REPLY) for _ in range(8)]
    for person in readers:
        thread = factories.make_thread(topic=topic, author=person)
        for n in range(3):
            notify(person, post=reply(thread, f"Reply {n}."))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(mailing.send_due_notification_emails(now=NOW + DELAY))
        except Exception as error:  # surfaced below: an exception in a thread would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert sum(results) == len(readers)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(person.email for person in readers)
    assert not Notification.objects.filter(user__in=readers, emailed_at__isnull=True).exists()


def queries_to_send(reader, thread, replies: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(replies):
        notify(reader, post=reply(thread, f"Reply {n}."))
    with CaptureQueriesContext(connection) as queries:
        assert mailing.send_due_notification_emails(now=NOW + DELAY) == 1
    return len(queries)


def test_the_queries_for_an_email_do_not_grow_with_the_notifications_it_lists(reader, topic, thread, mailoutbox):
    one = queries_to_send(reader, thread, 1)
    other_thread = factories.make_thread(topic=topic, author=reader)
    assert queries_to_send(reader, other_thread, 12) == one


def test_a_batch_that_fails_to_build_is_claimed_again_by_the_next_run(reader, thread, mailoutbox, monkeypatch):
    notify(reader, post=reply(thread, "Try again."))

    def broken(notifications):
        raise RuntimeError("template missing")

    monkeypatch.setattr(mailing, "build_notification_email", broken)
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert Notification.objects.get(user=reader).emailed_at is None
    monkeypatch.undo()
    assert mailing.send_due_notification_emails(now=NOW + DELAY + timedelta(minutes=1)) == 1
    assert "Try again." in mailoutbox[0].body


def test_a_post_removed_while_waiting_is_left_out(reader, thread, mailoutbox):
    kept = reply(thread, "Still here.")
    removed = reply(thread, "Regrettable words.")
    notify(reader, post=kept)
    notify(reader, post=removed)
    removed.deleted_at = NOW
    removed.save(update_fields=["deleted_at"])
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert "Still here." in message.body
    assert "Regrettable" not in message.body + html_of(message)


def test_a_member_who_left_a_private_group_gets_no_email_about_it(private_group, mailoutbox):
    insider = wants_at_once(factories.make_member(group=private_group), Kind.REPLY)
    thread = factories.make_thread(topic=factories.make_topic(group=private_group), author=insider)
    notify(insider, post=reply(thread, "Confidential."))
    insider.memberships.all().delete()
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert mailoutbox == []


def test_a_member_without_an_address_gets_no_email(reader, thread, mailoutbox):
    notify(reader, post=reply(thread, "Nowhere to send."))
    reader.email = ""
    reader.save(update_fields=["email"])
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0


# The message itself


@pytest.fixture
def message(reader, thread, replier, mailoutbox):
    for n in range(3):
        notify(reader, post=reply(thread, f"**Reply** number {n}.", author=replier, at=NOW + timedelta(seconds=n)))
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [sent] = mailoutbox
    return sent


def test_the_subject_names_the_group_and_counts_the_replies(message):
    assert message.subject == f"[China CAR-T market] 3 new replies in {SHORT_TITLE}"


def test_the_email_is_multipart_with_text_and_html(message):
    wire = message.message()
    assert wire.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in wire.get_payload()] == ["text/plain", "text/html"]
    assert "Reply number 0." in message.body  # the text part has the words, not Markdown or HTML
    assert "<" not in message.body


def test_the_html_has_inline_styles_and_no_script_or_stylesheet(message):
    html = html_of(message)
    assert "style=" in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower() and "<style" not in html.lower()
    assert "<img" not in html.lower()


def test_every_link_is_absolute_and_each_reply_lands_on_its_permalink(message, reader):
    html = html_of(message)
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith(settings.SITE_URL + "/") for link in links)
    posts = Notification.objects.filter(user=reader).order_by("created_at").values_list("post_id", flat=True)
    for post_id in posts:
        permalink = settings.SITE_URL + reverse("discussions:post", args=[post_id])
        assert permalink == f"{settings.SITE_URL}/p/{post_id}/"
        assert permalink in html and permalink in message.body


def test_the_email_has_list_id_and_one_click_unsubscribe_headers(message, group):
    wire = message.message()
    assert wire["List-Id"] == f"<{group.slug}.{settings.EMAIL_LIST_DOMAIN}>"
    assert re.fullmatch(rf"<{re.escape(settings.SITE_URL)}/unsubscribe/[^/>]+/>", wire["List-Unsubscribe"])
    assert wire["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert wire["Auto-Submitted"] == "auto-generated"


def test_the_footer_says_why_the_email_was_sent_and_how_to_stop_it(message):
    html = html_of(message)
    for part in (message.body, html):
        assert "because you watch this thread" in part
        assert "you chose to be emailed at once about replies in threads you watch" in part
    unsubscribe_url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url in message.body and unsubscribe_url in html
    preferences_url = settings.SITE_URL + reverse("discussions:email_preferences")
    assert preferences_url in message.body and preferences_url in html


def test_the_email_names_who_replied(message):
    assert "Dr Bo Chen replied" in message.body
    assert "Dr Bo Chen replied" in html_of(message)


def test_times_in_the_email_are_on_the_member_clock(reader, thread, mailoutbox):
    reader.timezone = "Asia/Shanghai"
    reader.save(update_fields=["timezone"])
    at = NOW.replace(hour=1, minute=30)  # 09:30 in Shanghai
    notify(reader, post=reply(thread, "Morning in Shanghai.", at=at), at=at)
    mailing.send_due_notification_emails(now=at + DELAY)
    assert "09:30 Shanghai time" in mailoutbox[0].body


def test_a_titles_only_group_sends_titles_and_links_but_no_post_text(reader, thread, group, replier, mailoutbox):
    group.emails_titles_only = True
    group.save(update_fields=["emails_titles_only"])
    post = reply(thread, "Our confidential pricing estimate.", author=replier)
    notify(reader, post=post)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    for part in (message.subject, message.body, html_of(message)):
        assert "confidential pricing" not in part
    assert "Which payment model" in message.body
    assert f"{settings.SITE_URL}/p/{post.pk}/" in message.body


def test_a_chatham_house_thread_never_names_who_wrote(reader, topic, group, replier, mailoutbox):
    prompt = factories.make_open_prompt(topic, chatham_house=True, title="What will payers accept?")
    post = reply(prompt.thread, "Frankly, @mei, nobody will pay.", author=replier)
    notify(reader, post=post, kind=Kind.MENTION)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    for part in (message.subject, message.body, html_of(message)):
        assert "Bo Chen" not in part and "bo" not in re.findall(r"\w+", part)
    assert message.subject == "[China CAR-T market] You were mentioned in “What will payers accept?”"
    assert "Frankly" in message.body


def test_post_text_reads_as_plain_text_in_the_text_part_and_is_escaped_in_the_html(reader, thread, mailoutbox):
    notify(reader, post=reply(thread, "Costs & benefits: *early* access if 5 < 7."))
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert "Costs & benefits: early access if 5 < 7." in message.body
    assert "Costs &amp; benefits: early access if 5 &lt; 7." in html_of(message)


def test_a_new_prompt_is_emailed_with_its_context(group, topic, member, mailoutbox):
    wants_at_once(member, Kind.PROMPT)
    prompt = factories.make_open_prompt(topic, title="Which indication first?", context="Think of **DLBCL**.")
    notify(member, kind=Kind.PROMPT, prompt=prompt, thread=prompt.thread, actor=prompt.author)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = [sent for sent in mailoutbox if sent.to == [member.email]]
    assert message.subject == "[China CAR-T market] New prompt: “Which indication first?”"
    assert "Think of DLBCL." in message.body
    assert settings.SITE_URL + prompt.thread.get_absolute_url() in message.body
    assert "because you are a member of this group" in message.body


def test_a_join_approval_is_not_emailed_twice(private_group, mailoutbox):
    """topics.services.decide_join_request already emailed the decision the moment it was made."""
    newcomer = factories.make_member(group=private_group)
    notification = notify(newcomer, kind=Kind.JOIN_APPROVED, group=private_group)
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.email_due_at is None


def test_a_notification_about_a_whole_group_is_emailed_with_a_link_to_it(private_group, mailoutbox, monkeypatch):
    monkeypatch.setattr(mailing, "EMAILED_ELSEWHERE", set())  # as if the decision were not emailed on its own
    newcomer = factories.make_member(group=private_group)
    notify(newcomer, kind=Kind.JOIN_APPROVED, group=private_group)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert message.subject == "[Investor circle] Welcome to Investor circle: your request to join was approved"
    assert settings.SITE_URL + private_group.get_absolute_url() in message.body
    assert "because you asked to join this group" in message.body


def test_a_prompt_reminder_names_the_prompt_and_when_it_closes(group, topic, member, mailoutbox):
    closes = NOW + timedelta(days=1)
    prompt = factories.make_open_prompt(topic, title="Which indication first?", closes_at=closes)
    notify(member, kind=Kind.REMINDER, prompt=prompt, thread=prompt.thread)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert message.subject == "[China CAR-T market] Closing soon: “Which indication first?”"
    assert f"{closes:%H:%M} UTC" in message.body


def test_the_unsubscribe_link_of_an_email_stops_the_kinds_it_is_about(reader, thread, replier, client, mailoutbox):
    notify(reader, post=reply(thread, "A reply."))
    notify(reader, post=reply(thread, "Hi @mei.", author=replier), kind=Kind.MENTION)
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    assert message.subject.startswith("[China CAR-T market] 2 new notifications in")
    client.post(message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.SITE_URL))
    reader.refresh_from_db()
    assert reader.email_choice(Kind.REPLY) == reader.email_choice(Kind.MENTION) == EmailChoice.NEVER
    assert reader.email_choice(Kind.QUOTE) == EmailChoice.IMMEDIATELY


# The beat entry


def test_beat_runs_the_batcher_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["send-notification-emails"]
    assert entry == {"task": "discussions.tasks.send_due_notification_emails", "schedule": 60}


def test_the_task_sends_what_is_due_now(reader, thread, mailoutbox):
    from discussions.tasks import send_due_notification_emails

    notify(reader, post=reply(thread, "Due already."), at=timezone.now() - DELAY)
    assert send_due_notification_emails.delay().get() == 1
    assert len(mailoutbox) == 1


def test_a_notification_read_on_the_site_while_its_email_waited_is_not_emailed(reader, thread, mailoutbox):
    notification = notify(reader, post=reply(thread, "Seen already."))
    Notification.objects.filter(pk=notification.pk).update(read_at=NOW + timedelta(minutes=1))
    assert mailing.send_due_notification_emails(now=NOW + DELAY) == 0
    assert mailoutbox == []


def test_a_quote_marked_read_does_not_pull_a_later_mention_out_of_its_delay(reader, thread, replier, mailoutbox):
    quote = notify(reader, kind=Kind.QUOTE, post=reply(thread, "As you said.", author=replier), at=NOW)
    notifications.mark_read(notification=quote, now=NOW + timedelta(minutes=1))
    asking = reply(thread, "What do you think, @mei?", author=replier)
    mention = notify(reader, kind=Kind.MENTION, post=asking, at=NOW + timedelta(minutes=3))
    assert mailing.send_due_notification_emails(now=quote.email_due_at) == 0
    assert mailing.send_due_notification_emails(now=mention.email_due_at - timedelta(seconds=1)) == 0
    assert mailoutbox == []
    assert mailing.send_due_notification_emails(now=mention.email_due_at) == 1
    [message] = mailoutbox
    assert "What do you think, @mei?" in message.body and "As you said." not in message.body
    quote.refresh_from_db()
    assert (quote.email_due_at, quote.emailed_at) == (None, None)  # read, so never emailed and not looked at again


def test_a_quote_whose_post_the_member_read_before_it_was_made_is_not_emailed(reader, thread, replier, mailoutbox):
    post = reply(thread, "Quoting you before the task ran.", author=replier)
    notifications.mark_thread_read(user=reader, thread=thread, number=post.number, now=NOW)
    quote = notify(reader, kind=Kind.QUOTE, post=post, at=NOW + timedelta(seconds=1))
    assert quote.read_at is None  # made after the visit: only the read marker says it was seen
    later = reply(thread, "And @mei, one more thing.", author=replier)
    mention = notify(reader, kind=Kind.MENTION, post=later, at=NOW + timedelta(minutes=2))
    assert mailing.send_due_notification_emails(now=quote.email_due_at) == 0
    assert mailing.send_due_notification_emails(now=mention.email_due_at) == 1
    [message] = mailoutbox
    assert "And @mei, one more thing." in message.body and "Quoting you before the task ran." not in message.body


def test_a_notification_email_quotes_the_reply_as_text_without_what_it_quotes(reader, thread, mailoutbox):
    quoted = "**Mei** wrote:\n\n> My earlier point.\n\n| Drug | Price |\n| --- | --- |\n| Yescarta | 1.2M |\n\n**Agreed**."
    notify(reader, post=reply(thread, quoted))
    mailing.send_due_notification_emails(now=NOW + DELAY)
    [message] = mailoutbox
    for part in (message.body, html_of(message)):
        assert "Drug | Price; Yescarta | 1.2M Agreed." in part
        assert "My earlier point." not in part
