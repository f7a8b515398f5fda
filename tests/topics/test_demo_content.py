import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse

from discussions.models import Post, Thread
from groupsite.models import User
from topics.demo import DEMO_PASSWORD, load_demo_content
from topics.models import Group, Membership, Poll, PollOption, Prompt, Topic

pytestmark = pytest.mark.django_db

TOPIC_SLUGS = [
    "landscape",
    "cost-and-reimbursement",
    "quality-and-manufacturing",
    "solid-tumours",
    "globalization",
    "allogeneic",
]


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True  # the command refuses to run on a production configuration


def load_demo(*args) -> str:
    stdout = io.StringIO()
    call_command("load_demo", *args, stdout=stdout)
    return stdout.getvalue()


def counts() -> dict[str, int]:
    models = [Group, Topic, Thread, Post, User, Membership, EmailAddress, Prompt, Poll, PollOption]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.usefixtures("loaded_demo")
class TestTheLoadedDemo:
    """What one run of the command leaves, and what running it again does; the demo is loaded once for the class
    (a second or two), not per test."""

    @pytest.fixture(scope="class")
    @classmethod
    def loaded_demo(cls, django_db_setup, django_db_blocker):
        debug = override_settings(DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
        with django_db_blocker.unblock(), transaction.atomic(), debug:
            yield load_demo("--quiet")
            transaction.set_rollback(True)

    def test_quiet_prints_nothing(self, loaded_demo):
        assert loaded_demo == ""

    def test_the_command_creates_the_public_china_car_t_group(self):
        group = Group.objects.get(slug="china-car-t")
        assert (group.name, group.is_public) == ("China CAR-T Market", True)
        assert group.description

    def test_the_group_has_its_six_topics_in_order(self):
        topics = Group.objects.get(slug="china-car-t").topics.all()
        assert [topic.slug for topic in topics] == TOPIC_SLUGS

    def test_every_topic_briefing_is_rendered_with_a_list_of_open_questions(self):
        for topic in Topic.objects.filter(group__slug="china-car-t"):
            assert topic.briefing_html.count("<p>") >= 2, topic.slug
            assert "<ul>" in topic.briefing_html, topic.slug

    def test_the_demo_users_have_verified_primary_email_addresses(self):
        for username in ["moderator", "member"]:
            user = User.objects.get(username=username)
            assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()

    def test_the_demo_users_can_log_in_with_the_demo_password(self, client):
        assert client.login(username="moderator", password=DEMO_PASSWORD)
        assert client.login(username="member", password=DEMO_PASSWORD)

    def test_the_moderator_owns_the_group_and_the_member_is_a_plain_member(self):
        roles = dict(Membership.objects.filter(group__slug="china-car-t").values_list("user__username", "role"))
        assert roles == {"moderator": Membership.Role.OWNER, "member": Membership.Role.MEMBER}

    def test_the_command_starts_three_threads_and_one_reply(self):
        threads = Thread.objects.filter(topic__group__slug="china-car-t", prompt__isnull=True).annotate(
            posts_made=Count("posts")
        )
        assert sorted((thread.topic.slug, thread.posts_made) for thread in threads) == [
            ("cost-and-reimbursement", 2),
            ("quality-and-manufacturing", 1),
            ("solid-tumours", 1),
        ]

    def test_the_cost_thread_is_opened_by_the_moderator_and_answered_by_the_member(self):
        thread = Thread.objects.get(topic__slug="cost-and-reimbursement", prompt__isnull=True)
        assert [post.author.username for post in thread.posts.all()] == ["moderator", "member"]

    def test_opening_posts_end_with_a_question_to_the_group(self):
        for post in Post.objects.filter(number=1, thread__prompt__isnull=True):
            assert post.body.rstrip().endswith("?"), post.thread.title

    def test_thread_and_topic_counters_match_the_posts(self):
        for thread in Thread.objects.all():
            assert thread.post_count == thread.posts.count()
            assert list(thread.posts.values_list("number", flat=True)) == list(range(1, thread.post_count + 1))
        for topic in Topic.objects.all():
            assert topic.thread_count == topic.threads.count()
            assert topic.post_count == Post.objects.filter(thread__topic=topic).count()

    def test_running_the_command_twice_changes_no_counts(self):
        before = counts()
        load_demo("--quiet")
        assert counts() == before

    def test_running_it_again_creates_no_threads(self):
        assert load_demo_content()["created_threads"] == []

    def test_running_it_again_keeps_a_changed_password(self, client):
        moderator = User.objects.get(username="moderator")
        moderator.set_password("a new secret")
        moderator.save()
        load_demo("--quiet")
        assert client.login(username="moderator", password="a new secret")

    def test_running_it_again_restores_an_edited_briefing_and_its_html(self):
        Topic.objects.filter(slug="landscape").update(briefing="Scratch.", briefing_html="<p>Scratch.</p>")
        load_demo("--quiet")
        topic = Topic.objects.get(slug="landscape")
        assert "Scratch" not in topic.briefing_html
        assert "NMPA" in topic.briefing_html

    def test_every_topic_has_one_open_prompt_with_a_pinned_thread(self):
        open_prompts = Prompt.objects.filter(status=Prompt.Status.OPEN)
        assert sorted(open_prompts.values_list("topic__slug", flat=True)) == sorted(TOPIC_SLUGS)
        assert all(prompt.thread.is_pinned and prompt.closes_at for prompt in open_prompts)

    def test_a_few_prompts_are_scheduled_for_the_coming_weeks_at_nine_in_shanghai(self):
        scheduled = Prompt.objects.filter(status=Prompt.Status.SCHEDULED).order_by("publish_at")
        assert scheduled.count() == 3
        for prompt in scheduled:
            local = prompt.publish_at.astimezone(Group.objects.get().tzinfo)
            assert (local.hour, local.minute) == (9, 0)
            assert prompt.publish_at > prompt.created_at

    def test_the_demo_prompts_include_polls_and_a_chatham_house_prompt(self):
        assert set(Poll.objects.values_list("kind", flat=True)) == {"choice", "scale"}
        assert Prompt.objects.filter(chatham_house=True).count() == 1


def test_an_existing_group_with_the_slug_is_updated_rather_than_duplicated(group):
    load_demo("--quiet")
    group.refresh_from_db()
    assert Group.objects.filter(slug="china-car-t").count() == 1
    assert group.name == "China CAR-T Market"


def test_the_command_prints_the_group_address_and_the_demo_accounts():
    output = load_demo()
    assert reverse("topics:group", args=["china-car-t"]) in output
    assert f"moderator@example.org / {DEMO_PASSWORD}" in output
    assert f"member@example.org / {DEMO_PASSWORD}" in output


def test_the_command_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        load_demo("--quiet")
    assert not Group.objects.filter(slug="china-car-t").exists()
