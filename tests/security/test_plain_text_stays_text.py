"""Text people type stays text on every page and in every HTML email (issue 8, item 1).

Hostile values go into a display name, the group, topic, thread and prompt titles, an outcome, a poll option and
a reply whose code span holds a tag; the pages and emails that repeat them are parsed, and no element may carry an
`on*` attribute, and no <script> or <img> element may come from what was typed.
"""

from datetime import timedelta
from html import unescape as html_unescape
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeData

from discussions import digest, mailing, reactions
from discussions import services as discussion_services
from discussions.models import Notification, Post
from discussions.reactions import Reaction
from groupsite.models import EmailChoice, NotificationKind
from tests import factories
from tests.worlds import built_once
from topics import outcomes, polls, scheduling, services
from topics.models import Membership, Prompt

IMG = "<img src=x onerror=alert(1)>"
BREAKOUT = '"><script>alert(2)</script>'
ENCODED_SCRIPT = "&lt;script&gt;alert(3)&lt;/script&gt;"
ENCODED_IMG = "&lt;img src=x onerror=alert(4)&gt;"


class _Elements(HTMLParser):
    """Every start tag of a document, with its attributes, and the text inside each <script>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_texts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_texts.append(data)


def assert_no_injected_markup(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    handlers = [(tag, name) for tag, attrs in parser.tags for name in attrs if name.lower().startswith("on")]
    assert handlers == [], f"event handler attributes: {handlers}"
    images = [attrs for tag, attrs in parser.tags if tag == "img" and attrs.get("src") == "x"]
    assert images == [], f"<img> elements from the input: {images}"
    assert not [text for text in parser.script_texts if "alert(" in text], "a <script> from the input"
    # Self-hosted scripts only: an injected <script> has no src or another one.
    foreign = [attrs for tag, attrs in parser.tags if tag == "script" and not attrs.get("src", "").startswith("/")]
    assert foreign == [], f"<script> elements from the input: {foreign}"


@pytest.fixture(scope="module")
def hostile_world(django_db_setup, django_db_blocker):
    """Built once for the module (a third of a second a test); each test runs in a transaction of its own within it."""
    yield from built_once(django_db_blocker, build_hostile_world)


@pytest.fixture
def now(hostile_world):
    return hostile_world["now"]


@pytest.fixture
def hostile(db, hostile_world):
    """The world's objects, fresh from the database for each test (a test may change one, e.g. a reader's language)."""
    return {name: type(value).objects.get(pk=value.pk) for name, value in hostile_world.items() if name != "now"}


def build_hostile_world():
    """A group where every field that is shown back holds a hostile value, and a reader with news waiting."""
    now = timezone.now().replace(microsecond=0)
    group = factories.make_group(name=f"Group {IMG}", slug="hostile-group")
    moderator = factories.make_moderator(group=group, username="mod", display_name=f"Mod {BREAKOUT}")
    reader = factories.make_member(group=group, username="reader", display_name="Reader")
    author = factories.make_member(group=group, username="author", display_name=f"{IMG} {BREAKOUT}")
    Membership.objects.update(joined_at=now - timedelta(days=30))
    newcomer = factories.make_member(group=group, display_name=f"New {ENCODED_IMG}")  # listed as a new member
    reader.email_choices = {kind: EmailChoice.IMMEDIATELY for kind in NotificationKind.values}
    reader.save(update_fields=["email_choices"])
    topic = factories.make_topic(
        group=group, title=f"Topic {BREAKOUT}", briefing=f"Briefing `{IMG}` {ENCODED_IMG}",
        briefing_translated=f"简报 `{IMG}` {ENCODED_IMG} {BREAKOUT}",
    )  # fmt: skip

    prompt = factories.make_prompt(
        topic, author=moderator, title=f"Prompt {IMG}", context=f"Context `{IMG}`",
        title_translated=f"问题 {IMG} {BREAKOUT}", context_translated=f"背景 `{IMG}` {ENCODED_SCRIPT}",
    )  # fmt: skip
    scheduling.publish_prompt(prompt_id=prompt.pk, now=now - timedelta(days=2), allowed_from=(Prompt.Status.DRAFT,))
    prompt.refresh_from_db()
    poll = polls.save_poll(prompt=prompt, kind="choice", options=[f"Option {IMG}", f"Option {BREAKOUT}"])
    polls.cast_vote(poll=poll, user=author, option_id=poll.options.first().pk, reason=f"Because {IMG}", now=now)
    answer = discussion_services.publish_post(
        thread=prompt.thread, author=author, now=now - timedelta(days=1),
        body=f"Code: `{IMG}` and {ENCODED_SCRIPT} and {ENCODED_IMG}",
    )  # fmt: skip
    Post.objects.filter(pk=answer.pk).update(is_key_insight=True)
    outcomes.save_outcome(
        topic=topic, prompt=prompt, author=moderator, now=now - timedelta(hours=2),
        takeaways=f"Takeaway `{IMG}` {ENCODED_SCRIPT}", open_questions="", dissent="",
        takeaways_translated=f"要点 `{IMG}` {ENCODED_IMG}",
    )  # fmt: skip

    thread = discussion_services.start_thread(
        topic=topic, author=author, title=f"Thread {IMG} {ENCODED_SCRIPT}", body=f"Opening `{BREAKOUT}`",
        now=now - timedelta(hours=3),
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):  # the mention's notification is made after the commit
        discussion_services.publish_post(
            thread=thread, author=author, now=now - timedelta(hours=1), body=f"@reader look: `{IMG}` {ENCODED_IMG}"
        )
    return {
        "group": group, "topic": topic, "prompt": prompt, "thread": thread, "moderator": moderator, "reader": reader,
        "author": author, "newcomer": newcomer, "now": now,
    }  # fmt: skip


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_the_digest_preview_shows_hostile_text_as_text(client, hostile):
    html = page(client, hostile["reader"], reverse("discussions:digest_preview"))

    assert "The email as plain text" in html  # the plain-text email is on the page
    assert_no_injected_markup(html)


def test_a_moderators_preview_of_a_members_digest_shows_hostile_text_as_text(client, hostile):
    url = reverse("discussions:member_digest_preview", args=[hostile["group"].slug, hostile["reader"].username])

    html = page(client, hostile["moderator"], url)

    assert "Best answers so far" in html
    assert_no_injected_markup(html)


def test_the_notifications_page_shows_hostile_text_as_text(client, hostile):
    html = page(client, hostile["reader"], reverse("discussions:notifications"))

    assert "mentioned you" in html
    assert_no_injected_markup(html)


@pytest.mark.parametrize("viewer", ["reader", "moderator"])
def test_the_pages_that_show_the_hostile_values_show_them_as_text(client, hostile, viewer):
    group, topic = hostile["group"], hostile["topic"]
    urls = [
        reverse("topics:home"),
        group.get_absolute_url(),
        topic.get_absolute_url(),
        reverse("topics:agenda", args=[group.slug]),
        reverse("topics:members", args=[group.slug]),
        reverse("topics:leave", args=[group.slug]),
        hostile["prompt"].thread.get_absolute_url(),  # the poll's options and reasons, the reply with a code span
        hostile["thread"].get_absolute_url(),
        reverse("profile", args=[hostile["author"].username]),
    ]
    for url in urls:
        assert_no_injected_markup(page(client, hostile[viewer], url))


def test_the_pages_in_chinese_show_the_hostile_chinese_versions_as_text(client, hostile):
    group, topic = hostile["group"], hostile["topic"]
    urls = [group.get_absolute_url(), topic.get_absolute_url(), reverse("topics:agenda", args=[group.slug])]
    client.force_login(hostile["reader"])
    for url in [*urls, hostile["prompt"].thread.get_absolute_url()]:
        for params in ({"lang": "zh-hans"}, {}):  # the switch, and a reader whose language is Chinese
            response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
            html = response.content.decode()

            assert response.status_code == HTTPStatus.OK
            assert "问题" in html or "简报" in html
            assert_no_injected_markup(html)


def test_the_digest_in_chinese_shows_the_hostile_chinese_versions_as_text(hostile, now):
    reader = hostile["reader"]

    with translation.override("zh-hans"):
        message = digest.build_digest_message(reader, digest.digest_context(reader, now=now))

    assert "问题" in message.body and "要点" in message.body
    assert_no_injected_markup(message.alternatives[0][0])


def test_a_new_prompt_email_in_chinese_shows_the_hostile_chinese_version_as_text(hostile):
    hostile["reader"].language = "zh-hans"  # an email is written in its reader's language, not the request's
    hostile["reader"].save(update_fields=["language"])
    notification = Notification.objects.create(
        user=hostile["reader"], kind=NotificationKind.PROMPT, group=hostile["group"], thread=hostile["prompt"].thread,
        prompt=hostile["prompt"], actor=hostile["moderator"],
    )  # fmt: skip
    hostile["reader"].language = "zh-hans"  # emails speak the member's language, whatever is active
    hostile["reader"].save(update_fields=["language"])

    message = mailing.build_notification_email([notification])

    assert "问题" in message.subject
    assert_no_injected_markup(message.alternatives[0][0])


@pytest.mark.parametrize("query", ["img onerror", IMG, BREAKOUT, "thread", "prompt", "briefing", "takeaway"])
def test_the_search_page_shows_hostile_text_as_text(client, hostile, query):
    from discussions.search import index

    index.rebuild()  # the topic's briefing was written directly, not through the services that index it
    client.force_login(hostile["reader"])
    response = client.get(reverse("discussions:search"), {"q": query, "author": BREAKOUT})
    assert response.status_code == HTTPStatus.OK
    assert_no_injected_markup(response.content.decode())
    response = client.get(reverse("discussions:search"), {"q": query})
    html = response.content.decode()
    assert "<mark>" in html  # the page marks what it found, with its own markup only
    assert_no_injected_markup(html)


def test_the_mention_suggestions_are_json_never_html(client, hostile):
    client.force_login(hostile["reader"])

    response = client.get(reverse("discussions:group_members_json", args=[hostile["group"].slug]), {"q": "au"})

    assert response["Content-Type"] == "application/json"
    assert response.json()["results"][0]["display_name"] == hostile["author"].display_name  # text, for textContent


def test_the_html_part_of_a_notification_email_shows_hostile_text_as_text(hostile, mailoutbox, now):
    mailing.send_due_notification_emails(now=now + timedelta(days=1))

    assert mailoutbox
    for message in mailoutbox:
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        assert_no_injected_markup(html)


def test_the_html_part_of_the_digest_email_shows_hostile_text_as_text(hostile, now):
    reader = hostile["reader"]

    message = digest.build_digest_message(reader, digest.digest_context(reader, now=now))

    assert_no_injected_markup(message.alternatives[0][0])


def test_the_plain_text_of_an_email_is_a_plain_string_not_safe_html(hostile, now):
    reader = hostile["reader"]

    message = digest.build_digest_message(reader, digest.digest_context(reader, now=now))

    assert IMG in message.body  # plain text: shown as typed, in an email client that does not read HTML
    assert not isinstance(message.body, SafeData)
    assert not isinstance(message.subject, SafeData)


def test_invitation_and_join_decision_emails_are_plain_strings(
    hostile, mailoutbox, now, django_capture_on_commit_callbacks
):
    group, moderator = hostile["group"], hostile["moderator"]
    applicant = factories.make_user(display_name=IMG)
    join_request = services.request_to_join(group=group, user=applicant, answers=[])
    with django_capture_on_commit_callbacks(execute=True):
        services.invite_by_email(group=group, email="guest@example.org", invited_by=moderator, now=now)
        services.decide_join_request(join_request=join_request, moderator=moderator, approve=False, now=now)

    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert not isinstance(message.body, SafeData)


def test_a_reply_or_thread_kept_through_a_login_comes_back_as_text(client, hostile):
    """What a logged-out person typed is put back in the form after their login (discussions/drafts.py)."""
    thread, topic = hostile["thread"], hostile["topic"]
    hostile_text = f"</textarea>{IMG} {BREAKOUT}"
    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": hostile_text, "source_url": BREAKOUT})
    new_thread_url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])
    client.post(new_thread_url, {"title": hostile_text, "body": hostile_text})

    for url in (thread.get_absolute_url(), new_thread_url):
        html = page(client, hostile["reader"], url)
        assert "kept while you logged in" in html
        assert_no_injected_markup(html)


def test_the_follow_up_page_and_the_reminder_it_sends_show_hostile_text_as_text(
    client, hostile, django_capture_on_commit_callbacks
):
    group, prompt = hostile["group"], hostile["prompt"]
    html = page(client, hostile["moderator"], reverse("topics:prompt_followup", args=[group.slug, prompt.pk]))
    assert "New &lt;img" in html or "New &amp;lt;img" in html  # the newcomer's name, listed as not answered yet
    assert_no_injected_markup(html)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("topics:prompt_remind", args=[group.slug, prompt.pk]))
    html = page(client, hostile["newcomer"], reverse("discussions:notifications"))

    assert "are waiting for your answer" in html
    assert_no_injected_markup(html)


def test_the_bookmarks_who_reacted_and_reaction_pages_show_hostile_text_as_text(client, hostile):
    """Bookmarked posts show their excerpt, group, topic, thread and author; who reacted shows members' names; a
    post's reaction page its author, its text and the thread in its breadcrumbs."""
    opening = hostile["thread"].posts.get(number=1)
    answer = hostile["prompt"].thread.posts.filter(author=hostile["author"]).get()
    for post in (opening, answer):
        reactions.set_bookmark(post=post, user=hostile["reader"], on=True)
        for reactor in (hostile["moderator"], hostile["newcomer"]):
            reactions.set_reaction(post=post, user=reactor, kind=Reaction.Kind.INSIGHTFUL, on=True)

    bookmarks = page(client, hostile["reader"], reverse("discussions:bookmarks"))
    assert hostile["thread"].title in html_unescape(bookmarks)
    assert_no_injected_markup(bookmarks)
    for viewer in ("reader", "moderator"):
        who = page(client, hostile[viewer], reverse("discussions:who_reacted", args=[opening.pk]))
        assert hostile["moderator"].display_name in html_unescape(who)
        assert_no_injected_markup(who)
    for post in (opening, answer):
        for viewer in ("reader", "moderator"):
            react_page = page(client, hostile[viewer], reverse("discussions:react", args=[post.pk]))
            assert post.thread.title in html_unescape(react_page)
            assert_no_injected_markup(react_page)
    # The moderator's topic page suggests the insightful posts as key insights, excerpts and titles included.
    assert_no_injected_markup(page(client, hostile["moderator"], hostile["topic"].get_absolute_url()))
