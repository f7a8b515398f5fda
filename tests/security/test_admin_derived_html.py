"""In the admin, derived HTML (posts', revisions', briefings', prompt contexts' and outcomes' *_html) is read-only:
only the Markdown renderer writes it, so a staff member cannot store unsanitized HTML (issue 8, item 13)."""

from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import services as discussion_services
from discussions.models import Post, PostRevision
from tests import factories
from topics import outcomes
from topics.models import Outcome, Prompt, Topic

HOSTILE_HTML = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


class _FormFields(HTMLParser):
    """The name/value pairs a browser would send for the admin's change form, as the page offers them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._textarea = self._select = None
        self._option_value = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self._add(name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.removeprefix("\n") if not self.data[self._textarea][-1] else data


def change_form(client, obj) -> dict[str, list[str]]:
    response = client.get(change_url(obj))
    assert response.status_code == HTTPStatus.OK
    parser = _FormFields()
    parser.feed(response.content.decode())
    return parser.data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def staff_client(client, db):
    client.force_login(factories.make_user(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def post(topic, member):
    thread = factories.make_thread(topic=topic, author=member)
    post = factories.make_post(thread=thread, author=member, body="First *words*.")
    discussion_services.edit_post(post=post, editor=member, body="Second *words*.")
    return post


@pytest.fixture
def prompt(topic, moderator):
    return factories.make_prompt(topic, author=moderator, context="Some *context*.")


@pytest.fixture
def outcome(prompt, topic, moderator):
    return outcomes.save_outcome(
        prompt=prompt, topic=topic, author=moderator, takeaways="A *takeaway*.", open_questions="Why?",
        dissent="None.", now=timezone.now(),
    )  # fmt: skip


def derived(obj) -> dict[str, str]:
    obj.refresh_from_db()
    return {field.name: getattr(obj, field.name) for field in obj._meta.fields if field.name.endswith("_html")}


def post_with_hostile_html(client, obj) -> None:
    data = change_form(client, obj)
    for name in derived(obj):
        data[name] = [HOSTILE_HTML]
    data["_save"] = ["Save"]
    response = client.post(change_url(obj), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]


@pytest.mark.parametrize(
    "kind",
    ["post", "revision", "topic", "prompt", "outcome"],
)
def test_posting_html_to_an_admin_change_form_does_not_change_the_stored_html(staff_client, kind, request):
    obj = {
        "post": lambda: request.getfixturevalue("post"),
        "revision": lambda: PostRevision.objects.get(post=request.getfixturevalue("post")),
        "topic": lambda: request.getfixturevalue("topic"),
        "prompt": lambda: request.getfixturevalue("prompt"),
        "outcome": lambda: request.getfixturevalue("outcome"),
    }[kind]()
    before = derived(obj)
    assert before and all("<em>" in html or html.startswith("<p>") for html in before.values() if html)

    post_with_hostile_html(staff_client, obj)

    assert derived(obj) == before


@pytest.mark.parametrize("model", [Post, PostRevision, Topic, Prompt, Outcome], ids=lambda model: model.__name__)
def test_the_admin_change_form_offers_no_field_for_derived_html(staff_client, post, prompt, outcome, model):
    obj = model.objects.first()

    fields = change_form(staff_client, obj)

    assert [name for name in fields if name.endswith("_html")] == []


def test_the_admin_shows_derived_html_only_as_escaped_text(staff_client, group):
    topic = factories.make_topic(group=group, briefing="A *briefing*.")

    page = staff_client.get(change_url(topic)).content.decode()

    assert "&lt;p&gt;A &lt;em&gt;briefing&lt;/em&gt;.&lt;/p&gt;" in page
