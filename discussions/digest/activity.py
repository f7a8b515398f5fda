"""What happened in a batch's groups since the earliest start of its members' digests, fetched once per batch,
and links to it."""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse

from discussions.emails import absolute
from discussions.models import Post, Thread
from discussions.reactions import insightful_count
from groupsite.models import User
from topics.models import Membership, Outcome, Poll, Prompt

# Threads, answers and insights are ranked for the whole batch first; each member's few come from this many of
# the top ones, less what they wrote or read.
ACTIVE_THREAD_CANDIDATES = 15
CANDIDATES_PER_GROUP = 20
NEW_MEMBERS_NAMED = 8


@lru_cache(maxsize=20_000)
def _path(name: str, args: tuple) -> str:
    """reverse(), remembered: a batch links the same posts for many members, and reversing is not free."""
    return reverse(name, args=args)


def post_url(post_id: int) -> str:
    return absolute(_path("discussions:post", (post_id,)))


@lru_cache(maxsize=20_000)
def _thread_path(thread_id: int, title: str) -> str:
    """Remembered too: the slug needs a Thread instance, which costs more than the rest of a prompt's item."""
    return _path("discussions:thread", (thread_id, Thread(pk=thread_id, title=title).slug))


def thread_url(thread_id: int, title: str) -> str:
    return absolute(_thread_path(thread_id, title))


@dataclass
class ThreadPosts:
    """The posts of one thread in the batch's window, in order: what active threads and links are made of."""

    thread_id: int
    title: str
    group_id: int
    topic_title: str
    is_prompt: bool
    chatham_house: bool
    numbers: list  # ascending
    post_ids: list
    authors: list
    created: list
    author_ids: set = field(default_factory=set)  # everyone who wrote in the window, None for a former member


class Activity:
    """Everything that happened in a batch's groups since the earliest start of its members' digests.

    Each query here is one per batch, whatever the number of members in it; the per-member work in
    `_member_digest` only reads these structures.
    """

    def __init__(self, *, group_ids: set[int], since: datetime, now: datetime):
        self.since, self.now = since, now
        self.prompts_by_group = defaultdict(list)
        self.prompts: list[Prompt] = []
        self.open_prompt_threads: dict[int, Prompt] = {}
        self.thread_posts: dict[int, ThreadPosts] = {}
        self.active_candidates = defaultdict(list)  # group id -> thread ids, most active first
        self.key_insights = defaultdict(list)  # group id -> post rows, newest first
        self.answers_by_thread = defaultdict(list)  # open prompt thread id -> (number, post id)
        self.best_answers = defaultdict(list)  # group id -> answer rows, best first
        self.outcomes_by_group = defaultdict(list)
        self.joined = defaultdict(list)  # group id -> (joined_at, user id, name), newest first
        self.joined_keys = defaultdict(list)  # group id -> -timestamp of each, ascending (for bisect)
        self._remembered = {}  # what many members' digests work out alike (remember)
        if not group_ids:
            return
        self._load_prompts(group_ids, since, now)
        self._load_posts(group_ids, since, now)
        self._load_answers()
        self._load_outcomes(group_ids, since, now)
        self._load_new_members(group_ids, since, now)

    def _load_prompts(self, group_ids, since, now):
        prompts = (
            Prompt.objects.filter(
                topic__group_id__in=group_ids,
                thread__isnull=False,
                status__in=[Prompt.Status.OPEN, Prompt.Status.CLOSED],
                published_at__lte=now,
            )
            .filter(Q(status=Prompt.Status.OPEN) | Q(published_at__gte=since))
            .annotate(has_poll=Exists(Poll.objects.filter(prompt=OuterRef("pk"))))
            .select_related("topic", "thread")
            .order_by("closes_at", "-published_at", "pk")
        )
        for prompt in prompts:
            self.prompts_by_group[prompt.topic.group_id].append(prompt)
        self.prompts = [prompt for prompts in self.prompts_by_group.values() for prompt in prompts]
        self.open_prompt_threads = {prompt.thread_id: prompt for prompt in self.prompts if prompt.is_open()}

    def _load_posts(self, group_ids, since, now):
        """The posts of the window in the threads a digest may show (the prompts', the active candidates'), and the
        key insights among all of them. Ranking the threads first keeps a batch from loading every post of the week
        in large groups (23,000 at 100,000 members), of which it shows a few threads."""
        window = Post.objects.filter(
            created_at__gte=since, created_at__lt=now, deleted_at__isnull=True, hidden_at__isnull=True
        )
        self._rank_threads(window.filter(thread__topic__group_id__in=group_ids), window)
        shown = {prompt.thread_id for prompt in self.prompts}
        shown.update(thread_id for candidates in self.active_candidates.values() for thread_id in candidates)
        rows = (
            window.filter(thread__topic__group_id__in=group_ids)
            .filter(Q(thread_id__in=shown) | Q(is_key_insight=True))
            .order_by("thread_id", "number")
            .values_list(
                "pk",
                "thread_id",
                "number",
                "author_id",
                "created_at",
                "is_key_insight",
                "thread__title",
                "thread__topic__group_id",
                "thread__topic__title",
                "thread__prompt__pk",
                "thread__prompt__chatham_house",
            )
        )
        for pk, thread_id, number, author_id, created_at, key, title, group_id, topic_title, prompt_id, chatham in rows:
            if key:
                self.key_insights[group_id].append(
                    {
                        "post_id": pk,
                        "thread_id": thread_id,
                        "number": number,
                        "author_id": author_id,
                        "created_at": created_at,
                        "title": title,
                        "chatham_house": bool(chatham),
                    }
                )
            if thread_id not in shown:
                continue
            posts = self.thread_posts.get(thread_id)
            if posts is None:
                posts = self.thread_posts[thread_id] = ThreadPosts(
                    thread_id, title, group_id, topic_title, prompt_id is not None, bool(chatham), [], [], [], []
                )
            posts.numbers.append(number)
            posts.post_ids.append(pk)
            posts.authors.append(author_id)
            posts.author_ids.add(author_id)
            posts.created.append(created_at)
        for insights in self.key_insights.values():
            insights.sort(key=lambda row: row["created_at"], reverse=True)
            del insights[CANDIDATES_PER_GROUP:]

    def _rank_threads(self, posts, window):
        """The most active threads of each group (prompts aside) by distinct participants, then replies, then the
        time of their last post in the window: a row per thread from the database rather than every post."""
        last_post = window.filter(thread_id=OuterRef("thread_id")).order_by("-number").values("created_at")[:1]
        rows = (
            posts.filter(thread__prompt__isnull=True)
            .values("thread_id", "thread__topic__group_id")
            .annotate(
                participants=Count("author_id", distinct=True),
                replies=Count("pk", filter=Q(number__gt=1)),
                last_post_at=Subquery(last_post),
            )
            .order_by()
            .values_list("thread_id", "thread__topic__group_id", "participants", "replies", "last_post_at")
        )
        ranked = defaultdict(list)
        for thread_id, group_id, participants, replies, last_post_at in rows:
            ranked[group_id].append((-participants, -replies, -last_post_at.timestamp(), thread_id))
        for group_id, keys in ranked.items():
            keys.sort()
            self.active_candidates[group_id] = [key[-1] for key in keys[:ACTIVE_THREAD_CANDIDATES]]

    def _load_answers(self):
        """Every answer in the open prompts, with how often it was quoted and found insightful (💡): links, and the
        best answers so far, ranked by both together."""
        if not self.open_prompt_threads:
            return
        rows = (
            Post.objects.shown().filter(thread_id__in=list(self.open_prompt_threads), number__gt=1)
            .annotate(
                quotes=Count("quoted_by", filter=Q(quoted_by__deleted_at__isnull=True)),
                insightful=insightful_count(),  # a subquery: it does not multiply the quotes' rows
            )
            .order_by("thread_id", "number")
            .values_list("pk", "thread_id", "number", "author_id", "is_key_insight", "created_at", "quotes", "insightful")
        )
        for pk, thread_id, number, author_id, key, created_at, quotes, insightful in rows:
            self.answers_by_thread[thread_id].append((number, pk))
            if key or quotes or insightful:
                prompt = self.open_prompt_threads[thread_id]
                self.best_answers[prompt.topic.group_id].append(
                    {
                        "post_id": pk,
                        "thread_id": thread_id,
                        "number": number,
                        "author_id": author_id,
                        "is_key_insight": key,
                        "quotes": quotes,
                        "insightful": insightful,
                        "created_at": created_at,
                        "prompt": prompt,
                    }
                )
        for answers in self.best_answers.values():
            answers.sort(
                key=lambda row: (
                    not row["is_key_insight"], -(row["quotes"] + row["insightful"]), -row["created_at"].timestamp()
                )
            )
            del answers[CANDIDATES_PER_GROUP:]

    def _load_outcomes(self, group_ids, since, now):
        outcomes = (
            Outcome.objects.filter(topic__group_id__in=group_ids, created_at__gte=since, created_at__lt=now)
            .select_related("topic__group", "prompt")
            .order_by("-created_at")
        )
        for outcome in outcomes:
            self.outcomes_by_group[outcome.topic.group_id].append(outcome)

    def _load_new_members(self, group_ids, since, now):
        rows = (
            Membership.objects.filter(group_id__in=group_ids, joined_at__gte=since, joined_at__lt=now)
            .order_by("-joined_at", "-pk")
            .values_list("group_id", "joined_at", "user_id", "user__display_name", "user__username")
        )
        for group_id, joined_at, user_id, display_name, username in rows:
            self.joined[group_id].append((joined_at, user_id, display_name or username))
            self.joined_keys[group_id].append(-joined_at.timestamp())

    def remember(self, key: tuple, make):
        """make(), worked out once per batch for `key`: what every member with the same key would work out alike
        (an outcome's item in one language, a group's link, a thread's posts since a given time)."""
        try:
            return self._remembered[key]
        except KeyError:
            value = self._remembered[key] = make()
            return value

    def first_unread(self, thread_id: int, last_read: int, user_id: int, since: datetime):
        """first_unread() in a thread of the batch: the same for every member who read as far, starts at the same
        time and wrote nothing in the window there, so it is worked out once for them."""
        posts = self.thread_posts.get(thread_id)
        if posts is None or user_id in posts.author_ids:
            return first_unread(posts, last_read, user_id, since)
        key = ("unread", thread_id, last_read, since)
        return self.remember(key, lambda: first_unread(posts, last_read, user_id, since))

    def window_counts(self, thread_id: int, since: datetime) -> tuple[int, int]:
        """(distinct participants, posts) of a thread since `since`."""

        def count():
            posts = self.thread_posts[thread_id]
            authors = [author for author, created in zip(posts.authors, posts.created) if created >= since]
            return len({author for author in authors if author is not None}), len(authors)

        return self.remember(("window", thread_id, since), count)

    def new_members(self, membership: Membership, *, since: datetime) -> tuple[list[str], int]:
        """The names of the newest members who joined since `since` (the member aside), and how many joined."""
        joined, keys = self.joined.get(membership.group_id, []), self.joined_keys.get(membership.group_id, [])
        count = bisect_right(keys, -since.timestamp())  # newest first: those in the window are a prefix
        if since <= membership.joined_at < self.now:
            count -= 1  # the member themselves
        names = []
        for _, member_id, name in joined:
            if len(names) == min(count, NEW_MEMBERS_NAMED):
                break
            if member_id != membership.user_id:
                names.append(name)
        return names, count


@dataclass
class Reader:
    """What one member has done, read and been told about, taken from the batch's queries."""

    user: User
    since: datetime
    frequency: str
    reads: dict  # thread id -> last read number
    answered: set  # ids of the prompts they answered, by replying or voting (topics.answers)
    voted: set  # prompt ids they voted on
    notices: list
    language: str = ""  # the digest's, set while it is composed


def first_unread(posts: ThreadPosts | None, last_read: int, user_id: int, since: datetime):
    """(post id of the first post in the window the member has not read and did not write, count of such posts)."""
    if posts is None:
        return None, 0
    first, count = None, 0
    for pk, number, author_id, created_at in zip(posts.post_ids, posts.numbers, posts.authors, posts.created):
        if number <= last_read or created_at < since or author_id == user_id:
            continue
        count += 1
        if first is None:
            first = pk
    return first, count
