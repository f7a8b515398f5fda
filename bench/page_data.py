"""The page benchmark's data (bench/pages.py): a public group of members, one long thread and a topic of many threads.

Stored through the site's own services, as members' posts are, so that every column a page reads (rendered HTML,
counts, search index, subscriptions) is what the site itself would have written. The same seed gives the same
text every time.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

SENTENCES = [
    "Volume-based procurement will push **list prices** down, but provinces differ a lot in how fast they move.",
    "Our centre treats about 40 patients a year; the bottleneck is *manufacturing slots*, not demand or referrals.",
    "Commercial insurance covers about a third of the cost in Shanghai, and the *Huimin Bao* city plans help a little.",
    "Vein-to-vein time is still three to four weeks, which is **too long** for patients with aggressive disease.",
    "The solid tumour data presented at ASCO were *encouraging*, if early, and mostly from single-arm studies.",
    "Allogeneic products could cut the cost of goods by half, but **durability** remains the open question.",
    "Hospitals outside the tier-one cities rarely have the apheresis capacity that autologous products need.",
    "The NMPA has approved several domestic products since 2021, and each launched at a **lower price** than the last.",
    "Investors now ask about *outpatient administration* first: fewer bed days change the whole economics.",
    "Patient selection is becoming a queue: clinicians weigh **fitness for therapy** against waiting time.",
    "Export deals with Western partners bring upfront payments, but *royalty terms* vary widely between deals.",
    "Cytokine release syndrome is now managed routinely, which lets smaller centres take on **more patients**.",
]
LIST_ITEMS = [
    "price per infusion after the first year",
    "share of patients covered by commercial insurance",
    "manufacturing failure rate by site",
    "time from approval to the first hospital listing",
    "number of certified treatment centres per province",
    "relapse rate at twelve months",
    "out-of-pocket cost after city insurance plans",
    "capacity of the contract manufacturers",
]
LINKS = [
    ("the NMPA approval notices", "https://example.org/nmpa/approvals"),
    ("the provincial price list", "https://example.org/pricing/provinces"),
    ("the ASCO abstract", "https://example.org/asco/abstract"),
    ("the insurer's coverage table", "https://example.org/insurance/coverage"),
    ("the company's annual report", "https://example.org/reports/annual"),
]
QUESTIONS = [
    "How do provinces negotiate CAR-T prices?",
    "Which hospitals can run apheresis on site?",
    "Is outpatient administration safe at scale?",
    "What does a city insurance plan really cover?",
    "When will allogeneic products reach approval?",
    "How are manufacturing slots allocated?",
    "Which targets beyond CD19 look promising?",
    "What do export deals pay up front?",
]
BODY_LENGTH = 600  # characters of Markdown, about; a post is a few paragraphs of an evidence thread


def post_body(rng: random.Random, number: int) -> str:
    """About 600 characters of Markdown: two paragraphs with emphasis, a list and a link."""
    opening = " ".join(rng.sample(SENTENCES, 2))
    items = "\n".join(f"- {item}" for item in rng.sample(LIST_ITEMS, 3))
    label, url = rng.choice(LINKS)
    closing = f"See [{label}]({url}) for the figures behind point {number}."
    body = f"{opening}\n\nWhat I would track:\n\n{items}\n\n{closing}"
    while len(body) < BODY_LENGTH - 40:
        closing = f"{rng.choice(SENTENCES)} {closing}"
        body = f"{opening}\n\nWhat I would track:\n\n{items}\n\n{closing}"
    return body


@dataclass(frozen=True)
class Seeded:
    group_slug: str
    topic_slug: str  # the topic with many threads
    thread_path: str  # the long thread
    viewer_id: int  # a plain member (not a moderator), whose pages are measured
    viewer_name: str


def seed(*, members: int, posts: int, threads: int, seed_value: int = 11) -> Seeded:
    """A public group of `members`, a thread of `posts` posts in one topic and `threads` threads in another."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from discussions.services import publish_post, start_thread
    from groupsite.models import User
    from topics.models import Group, Membership
    from topics.services import add_member, create_topic

    rng = random.Random(seed_value)
    start = timezone.now() - timedelta(days=60)
    # No service creates a group (an administrator does, in the admin): as bench/digest.py does.
    group = Group.objects.create(
        name="China CAR-T market", slug="china-car-t", timezone="Asia/Shanghai",
        description="A public strategy discussion about CAR T-cell therapy in China.",
    )
    password = make_password(None)  # no one logs in with a password: sessions are made for them
    users = []
    for n in range(max(members, 2)):
        user = User.objects.create(
            username=f"reader{n}", email=f"reader{n}@example.org", display_name=f"Reader {n}", password=password,
            date_joined=start,
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        add_member(group=group, user=user, role=Membership.Role.OWNER if n == 0 else Membership.Role.MEMBER)
        users.append(user)
    Membership.objects.filter(group=group).update(joined_at=start)

    reports = create_topic(group=group, title="Market reports", slug="reports",
                           briefing="Long evidence threads: **market reports** and their discussion.")
    questions = create_topic(group=group, title="Reimbursement and pricing", slug="pricing",
                             briefing="Who pays for CAR-T, and how much: one question a thread.")

    moment = start
    for n in range(threads):
        moment += timedelta(minutes=37)
        thread = start_thread(topic=questions, author=rng.choice(users), title=f"{rng.choice(QUESTIONS)} ({n + 1})",
                              body=post_body(rng, 1), now=moment)
        for reply in range(rng.randrange(4)):
            moment += timedelta(minutes=3)
            publish_post(thread=thread, author=rng.choice(users), body=post_body(rng, reply + 2), now=moment)

    moment += timedelta(hours=1)
    long_thread = start_thread(topic=reports, author=users[0], title="China CAR-T market report, 2026",
                               body=post_body(rng, 1), now=moment)
    for number in range(2, posts + 1):
        moment += timedelta(minutes=11)
        publish_post(thread=long_thread, author=rng.choice(users), body=post_body(rng, number), now=moment)

    viewer = users[1]
    return Seeded(group_slug=group.slug, topic_slug=questions.slug, thread_path=long_thread.get_absolute_url(),
                  viewer_id=viewer.pk, viewer_name=viewer.public_name)


def member_session(user_id: int) -> str:
    """A logged-in session for the member, as a login would leave it, through the configured session engine."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from groupsite.models import User

    user = User.objects.get(pk=user_id)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key
