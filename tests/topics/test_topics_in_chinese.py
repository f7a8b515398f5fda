"""The topics pages with their strings wrapped for translation: they still read the same in English, they render in
Chinese (a translation whose placeholders do not match its English would fail here), and a form's error comes back
in the reader's language because it is translated when raised, not when the module loads."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories
from topics import outcomes, polls
from topics.forms import PromptForm
from topics.models import Milestone, Poll

# Proofs about the pages' translations, like tests/test_translations.py: they run in one pass.
pytestmark = pytest.mark.one_pass

ONE_OPTION = "A single-choice poll needs at least two options, one per line."


@pytest.fixture
def world(group, topic, moderator, member):
    """A group with a topic summary, a key insight and an open prompt whose poll has a vote and a reason."""
    prompt = factories.make_open_prompt(topic, title="Will the NRDL list a CAR-T by 2026?", author=moderator)
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.CHOICE, options=["Yes", "No"], quorum=3)
    polls.cast_vote(poll=poll, user=member, option_id=poll.options.first().pk, reason="Prices fell.", now=timezone.now())
    post = factories.make_post(prompt.thread, author=member, body="Hospital budgets decide it.")
    outcomes.mark_key_insight(post=post, by=moderator)
    outcomes.save_outcome(prompt=None, topic=topic, author=moderator, now=timezone.now(), takeaways="Budgets first.")
    Milestone.objects.create(group=group, title="NRDL decision", happens_at=timezone.now() + timedelta(days=9))
    return {"group": group, "topic": topic, "prompt": prompt, "moderator": moderator}


def page_urls(world) -> dict[str, str]:
    group, topic, prompt = world["group"], world["topic"], world["prompt"]
    slug = group.slug
    return {
        "group": reverse("topics:group", args=[slug]),
        "topic": reverse("topics:topic", args=[slug, topic.slug]),
        "agenda": reverse("topics:agenda", args=[slug]),
        "prompt thread": prompt.thread.get_absolute_url(),
        "prompt form": reverse("topics:prompt_edit", args=[slug, prompt.pk]),
        "new prompt": reverse("topics:prompt_new", args=[slug]),
        "programme": reverse("topics:programme", args=[slug]),
        "milestones": reverse("topics:milestones", args=[slug]),
        "members": reverse("topics:members", args=[slug]),
        "invitations": reverse("topics:invitations", args=[slug]),
        "insight": reverse("topics:insight", args=[slug]),
        "settings": reverse("topics:group_settings", args=[slug]),
        "outcome form": reverse("topics:prompt_outcome", args=[slug, prompt.pk]),
        "summary history": reverse("topics:topic_summary_revisions", args=[slug, topic.slug]),
        "home": reverse("topics:home"),
    }


# What each page says in English, as before its strings were wrapped.
ENGLISH = {
    "group": "Strategic topics",
    "topic": "Key insights",
    "agenda": "Open now",
    "prompt thread": "Where do you stand?",
    "prompt form": "Record what the group concluded.",
    "new prompt": "The question",
    "programme": "Prompt programme",
    "milestones": "Add milestone",
    "members": ">Remove</button>",
    "invitations": "Invite by email",
    "insight": "Prompt response rates",
    "settings": "Who can see and join it",
    "outcome form": "Copy a link into the text to show which post a point rests on.",
    "summary history": "History of the summary",
    "home": "Structured, facilitated discussions among professionals.",
}


def test_the_topics_pages_still_read_in_english(client, world):
    client.force_login(world["moderator"])
    for name, url in page_urls(world).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-gb")
        assert response.status_code == HTTPStatus.OK, name
        assert ENGLISH[name] in response.content.decode(), name


def test_the_poll_counts_its_votes_and_quorum_in_english(client, world):
    client.force_login(world["moderator"])
    page = client.get(page_urls(world)["prompt thread"], HTTP_ACCEPT_LANGUAGE="en-gb").content.decode()
    assert "1 of 2 members voted." in page
    assert "<strong>100%</strong> · 1 vote<" in page
    assert "<strong>0%</strong> · 0 votes<" in page
    assert "Quorum of 3: 2 more votes needed for a conclusive result." in page


def test_the_topics_pages_render_in_chinese(client, world):
    """Every wrapped sentence goes through the zh-hans catalogue, whatever it holds at the time."""
    client.force_login(world["moderator"])
    for name, url in page_urls(world).items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == HTTPStatus.OK, name
        assert response["Content-Language"] == "zh-hans", name


def test_a_prompt_form_error_comes_back_in_chinese(group, topic):
    data = {"topic": topic.pk, "title": "Which payment model?", "when": "draft", "poll_kind": "choice",
            "poll_options": "Only one", "poll_results_visibility": "after_voting"}
    with translation.override("zh-hans"):
        form = PromptForm(data, group=group, now=timezone.now())
        assert not form.is_valid()
        assert form.errors["poll_options"] == ["单选投票至少需要两个选项，每行一个。"]
    with translation.override("en-gb"):
        form = PromptForm(data, group=group, now=timezone.now())
        assert not form.is_valid()
        assert form.errors["poll_options"] == [ONE_OPTION]




def test_a_scale_polls_labels_are_stored_in_english_and_read_in_each_readers_language(client, topic, moderator, member):
    prompt = factories.make_open_prompt(topic, title="CAR-T prices will fall", author=moderator)
    poll = polls.save_poll(prompt=prompt, kind=Poll.Kind.SCALE, options=[], statement="Prices fall by 2027.")
    client.force_login(member)

    chinese = client.get(prompt.thread.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(prompt.thread.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en-gb").content.decode()

    assert list(poll.options.values_list("label", flat=True))[0] == "Strongly disagree"
    assert "非常不赞同" in chinese and "既不赞同也不反对" in chinese and "Strongly disagree" not in chinese
    assert "Strongly disagree" in english and "非常不赞同" not in english


def test_the_watch_explanation_on_a_group_page_is_in_chinese(client, group, member):
    client.force_login(member)

    page = client.get(reverse("topics:group", args=[group.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "未关注：关注后，这个小组中的每个新讨论串都会通知您。" in page
    assert "Not watching" not in page
