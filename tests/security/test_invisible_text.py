"""Text made only of invisible characters is empty: every required field says so, and nothing is stored."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from discussions.models import Post, Thread
from groupsite.text import clean_text
from tests import factories
from topics.models import JoinRequest, Membership, Milestone, Outcome, Poll, Prompt, Vote

INVISIBLE = "\u200b\u200b"  # two zero-width spaces


def prompt_data(topic, **fields) -> dict:
    data = {
        "topic": topic.pk,
        "title": "Will provincial pricing converge by 2027?",
        "context": "Consider the tenders.",
        "when": "draft",
        "poll_kind": "",
        "poll_statement": "",
        "poll_options": "",
        "poll_results_visibility": Poll.Results.AFTER_VOTING,
    }
    return data | fields


@pytest.fixture
def owner(group):
    return factories.make_membership(group=group, role=Membership.Role.OWNER).user


# The thirteen required fields that took zero-width spaces (issue 8, item 4).


def test_a_thread_title_of_zero_width_spaces_is_refused(client, topic, member):
    client.force_login(member)
    url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])

    response = client.post(url, {"title": INVISIBLE, "body": "A fine opening post."})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["title"] == ["Give the thread a title."]
    assert not Thread.objects.exists()


def test_a_thread_body_of_zero_width_spaces_is_refused(client, topic, member):
    client.force_login(member)
    url = reverse("discussions:new_thread", args=[topic.group.slug, topic.slug])

    response = client.post(url, {"title": "A fine title", "body": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["body"] == ["Write the opening post."]
    assert not Thread.objects.exists()


def test_a_reply_of_zero_width_spaces_is_refused(client, topic, member):
    thread = factories.make_thread(topic=topic)
    client.force_login(member)

    response = client.post(reverse("discussions:reply", args=[thread.pk]), {"body": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["body"] == ["Write something before posting."]
    assert thread.posts.count() == 1


def test_an_edit_to_zero_width_spaces_is_refused(client, topic, member):
    post = factories.make_thread(topic=topic, author=member, body="What I said.").posts.get()
    client.force_login(member)

    response = client.post(reverse("discussions:edit_post", args=[post.pk]), {"body": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["body"] == ["Write something before posting."]
    assert Post.objects.get(pk=post.pk).body == "What I said."


def test_a_rename_to_zero_width_spaces_is_refused(client, topic, moderator):
    thread = factories.make_thread(topic=topic, title="Pricing")
    client.force_login(moderator)

    response = client.post(reverse("discussions:rename_thread", args=[thread.pk]), {"title": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["thread_tools"]["rename_form"].errors["title"] == ["Give the thread a title."]
    assert Thread.objects.get(pk=thread.pk).title == "Pricing"


def test_a_prompt_title_of_zero_width_spaces_is_refused(client, topic, moderator):
    client.force_login(moderator)

    response = client.post(reverse("topics:prompt_new", args=[topic.group.slug]), prompt_data(topic, title=INVISIBLE))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["title"] == ["This field is required."]
    assert not Prompt.objects.exists()


def test_a_poll_option_of_zero_width_spaces_is_refused(client, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(topic, poll_kind=Poll.Kind.CHOICE, poll_options=f"Yes\n{INVISIBLE}\nNo")

    response = client.post(reverse("topics:prompt_new", args=[topic.group.slug]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["poll_options"] == [
        "Option 2 is empty: write it or remove the blank line."
    ]
    assert not Prompt.objects.exists()


def test_a_poll_statement_of_zero_width_spaces_is_refused(client, topic, moderator):
    client.force_login(moderator)
    data = prompt_data(topic, poll_kind=Poll.Kind.SCALE, poll_statement=INVISIBLE)

    response = client.post(reverse("topics:prompt_new", args=[topic.group.slug]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["poll_statement"] == ["Write the statement members agree or disagree with."]
    assert not Prompt.objects.exists()


def test_an_outcome_of_zero_width_spaces_is_refused(client, topic, moderator):
    prompt = factories.make_open_prompt(topic)
    client.force_login(moderator)
    url = reverse("topics:prompt_outcome", args=[topic.group.slug, prompt.pk])

    response = client.post(url, {"takeaways": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["takeaways"] == ["Write the key takeaways."]
    assert not Outcome.objects.exists()


def test_a_summary_of_zero_width_spaces_is_refused(client, topic, moderator):
    client.force_login(moderator)
    url = reverse("topics:topic_summary", args=[topic.group.slug, topic.slug])

    response = client.post(url, {"takeaways": INVISIBLE})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["takeaways"] == ["Write the key takeaways."]
    assert not Outcome.objects.exists()


def test_a_group_name_of_zero_width_spaces_is_refused(client, group, owner):
    client.force_login(owner)
    data = {
        "name": INVISIBLE,
        "description": "",
        "visibility": group.visibility,
        "membership_questions": "",
        "timezone": group.timezone,
        "evidence_stale_after_days": group.evidence_stale_after_days,
    }

    response = client.post(reverse("topics:group_settings", args=[group.slug]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["name"] == ["This field is required."]
    group.refresh_from_db()
    assert group.name == "China CAR-T market"


def test_a_join_answer_of_zero_width_spaces_is_refused(client, private_group, outsider):
    client.force_login(outsider)
    url = reverse("topics:join", args=[private_group.slug])

    response = client.post(url, {"answer_0": INVISIBLE, "answer_1": "To learn."})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["answer_0"] == ["Please answer this question."]
    assert not JoinRequest.objects.exists()


def test_a_milestone_title_of_zero_width_spaces_is_refused(client, group, moderator):
    client.force_login(moderator)
    url = reverse("topics:milestones", args=[group.slug])

    response = client.post(url, {"title": INVISIBLE, "happens_at": "2030-09-01T08:00"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["title"] == ["This field is required."]
    assert not Milestone.objects.exists()


# Other fields, and what cleaning keeps.


def test_a_topic_title_of_zero_width_spaces_is_refused(client, group, moderator):
    client.force_login(moderator)

    data = {"title": INVISIBLE, "slug": "x", "briefing": ""}

    response = client.post(reverse("topics:topic_new", args=[group.slug]), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["title"] == ["This field is required."]


def test_a_required_vote_reason_of_zero_width_spaces_is_refused(client, topic, member):
    prompt = factories.make_open_prompt(topic)
    poll = Poll.objects.create(prompt=prompt, kind=Poll.Kind.SCALE, statement="Prices fall.", reason_required=True)
    option = poll.options.create(label="Agree", position=0)
    client.force_login(member)

    response = client.post(
        reverse("topics:vote", args=[topic.group.slug, prompt.pk]), {"option": option.pk, "reason": INVISIBLE}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "reason" in response.context["vote_errors"]
    assert not Vote.objects.exists()


def test_a_vote_reason_is_stored_without_control_or_bidirectional_characters(client, topic, member):
    prompt = factories.make_open_prompt(topic)
    poll = Poll.objects.create(prompt=prompt, kind=Poll.Kind.SCALE, statement="Prices fall.")
    option = poll.options.create(label="Agree", position=0)
    client.force_login(member)

    client.post(
        reverse("topics:vote", args=[topic.group.slug, prompt.pk]),
        {"option": option.pk, "reason": "Tenders\x07 show \u202eit\u202c."},
    )

    assert Vote.objects.get().reason == "Tenders show it."


def test_a_vote_reason_with_a_nul_byte_is_refused(client, topic, member):
    prompt = factories.make_open_prompt(topic)
    poll = Poll.objects.create(prompt=prompt, kind=Poll.Kind.SCALE, statement="Prices fall.")
    option = poll.options.create(label="Agree", position=0)
    client.force_login(member)

    response = client.post(
        reverse("topics:vote", args=[topic.group.slug, prompt.pk]), {"option": option.pk, "reason": "Tenders\x00."}
    )

    # The request is refused whole, before the vote view (groupsite.middleware.RefuseMalformedTextMiddleware).
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Vote.objects.exists()


def test_a_vote_for_a_superscript_digit_is_a_form_error(client, topic, member):
    prompt = factories.make_open_prompt(topic)
    Poll.objects.create(prompt=prompt, kind=Poll.Kind.SCALE, statement="Prices fall.")
    client.force_login(member)

    response = client.post(reverse("topics:vote", args=[topic.group.slug, prompt.pk]), {"option": "²"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["vote_errors"]["option"] == ["Choose one of the options."]


def test_a_reply_keeps_its_line_breaks_and_loses_its_control_characters(client, topic, member):
    thread = factories.make_thread(topic=topic)
    client.force_login(member)

    client.post(reverse("discussions:reply", args=[thread.pk]), {"body": "First\x07 line\r\n\r\n\tSecond\u2066 line"})

    assert thread.posts.last().body == "First line\n\n\tSecond line"


def test_a_thread_title_is_stored_nfc_normalised_on_one_line():
    assert clean_text("Cafe\u0301\n  pricing\u00a0 ") == "Café pricing"


def test_zero_width_joiners_inside_words_and_emoji_survive():
    persian, family = "می\u200cخواهم", "\U0001f469\u200d\U0001f469\u200d\U0001f467"

    assert clean_text(f"{persian} {family}") == f"{persian} {family}"


def test_zero_width_joiners_outside_words_are_removed():
    assert clean_text("\u200dword\u200c \u200d") == "word"


def test_every_text_field_of_the_sites_forms_is_cleaned():
    import importlib
    import pkgutil

    from django import forms

    from groupsite.text import CleanCharField

    apps = ("discussions", "groupsite", "topics")
    for app in apps:  # every module, so that every form class is defined
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" not in module.name and not module.name.endswith((".dev", ".celery", ".wsgi", ".asgi")):
                importlib.import_module(module.name)

    def all_subclasses(cls):
        for subclass in cls.__subclasses__():
            yield subclass
            yield from all_subclasses(subclass)

    # A select of zone names, which the model validates; an option id, which only ASCII digits may spell; a
    # password, checked against its hash exactly as typed (cleaning it would lock out whoever chose such characters).
    chosen_not_typed = {"GroupSettingsForm.timezone", "VoteForm.option", "LoginForm.password"}
    checked_elsewhere = (CleanCharField, forms.EmailField, forms.URLField, forms.SlugField)
    plain_text_fields = set()
    for form_class in set(all_subclasses(forms.BaseForm)):
        if form_class.__module__.split(".")[0] in apps:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.CharField) and not isinstance(field, checked_elsewhere):
                    plain_text_fields.add(f"{form_class.__name__}.{name}")

    assert plain_text_fields == chosen_not_typed


def test_a_suspension_reason_of_zero_width_spaces_is_refused(client, group, moderator, member):
    from topics.models import Sanction

    client.force_login(moderator)
    membership = Membership.objects.get(group=group, user=member)

    response = client.post(
        reverse("topics:sanction_member", args=[group.slug, membership.pk]), {"duration": "1d", "reason": INVISIBLE}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Sanction.objects.exists()
