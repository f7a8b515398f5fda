"""The simulated members of bench/load.py: threads that browse, post, reply, vote and open notifications over HTTP.

Standard library only, and no Django: it talks to the site the way a browser would (a session cookie, the CSRF
cookie and form field, following redirects after a write), and remembers every write the site acknowledged so that
bench/load.py can look for each one in the database afterwards.
"""

import http.client
import random
import re
import secrets
import string
import threading
import time as clock
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT_SECONDS = 30
MAX_REDIRECTS = 3
# What a member does next, and how often (weights). Reads dominate, as on any forum; about a fifth are writes.
ACTIONS = {
    "group page": 8,
    "topic page": 14,
    "thread page": 34,
    "notifications": 10,
    "reply": 10,
    "new thread": 2,
    "vote": 8,
}
UNREAD_NOTIFICATION = re.compile(r'notification--unread">\s*<form method="post" action="/notifications/(\d+)/read/"')
POST_LOCATION = re.compile(r"^/p/(\d+)/$")
THREAD_LOCATION = re.compile(r"^/t/(\d+)/")


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    session_key: str


@dataclass(frozen=True)
class Poll:
    group_slug: str
    prompt_id: int
    poll_id: int
    option_ids: tuple[int, ...]


@dataclass
class Plan:
    """What the members know before they start: who they are, and the site's group, topics, threads and polls."""

    members: list[Member]
    group_slug: str
    topic_slugs: list[str]
    threads: list[tuple[int, str]]  # (id, slug); threads started during the run are added
    polls: list[Poll]


@dataclass
class Sample:
    kind: str
    status: int | str  # an HTTP status, or the name of the exception when no answer came
    seconds: float


@dataclass
class Writes:
    """Writes the site acknowledged (a redirect to what was stored), and writes whose fate is unknown."""

    posts: list[dict] = field(default_factory=list)  # {"post_id", "thread_id", "user_id", "body"}
    threads: list[dict] = field(default_factory=list)  # {"thread_id", "topic_slug", "user_id", "title", "body"}
    votes: list[dict] = field(default_factory=list)  # in the order sent: {"poll_id", "user_id", "option_id", "reason"}
    notifications_read: list[dict] = field(default_factory=list)  # {"notification_id", "user_id"}
    unanswered: list[dict] = field(default_factory=list)  # a 5xx or no answer: stored or not, nobody knows
    refused: Counter = field(default_factory=Counter)  # kind -> 429s


@dataclass
class Results:
    samples: list[Sample]
    writes: Writes
    seconds: float
    members: int

    @property
    def server_errors(self) -> Counter:
        """5xx answers and requests that got no answer at all, by status."""
        return Counter(
            sample.status for sample in self.samples if isinstance(sample.status, str) or sample.status >= 500
        )

    @property
    def unexpected_client_errors(self) -> Counter:
        """4xx answers other than 429 (a rate limit): a simulated member should never send a bad request."""
        return Counter(
            sample.status
            for sample in self.samples
            if isinstance(sample.status, int) and 400 <= sample.status < 500 and sample.status != 429
        )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class SimulatedMember:
    def __init__(self, member: Member, plan: Plan, port: int, rng: random.Random, shared: "Shared"):
        self.member, self.plan, self.port, self.rng, self.shared = member, plan, port, rng, shared
        # Any 32 letters and digits make a valid CSRF secret; the form field may carry it unmasked.
        self.csrf = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))
        self.samples: list[Sample] = []
        self.writes = Writes()
        self.sequence = 0

    # HTTP ------------------------------------------------------------------------------------------------------

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        """One request on a fresh loopback connection; returns (status, location, text), status None on no answer."""
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": f"sessionid={self.member.session_key}; csrftoken={self.csrf}",
            "User-Agent": "roundtable-load/1",
        }
        body = None
        if form is not None:
            body = urlencode(form | {"csrfmiddlewaretoken": self.csrf}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = clock.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as error:
            self.samples.append(Sample(kind, error.__class__.__name__, clock.perf_counter() - started))
            return None, "", ""
        finally:
            connection.close()
        self.samples.append(Sample(kind, response.status, clock.perf_counter() - started))
        location = urlsplit(response.getheader("Location", "")).path if response.status in (301, 302, 303) else ""
        return response.status, location, text

    def get(self, kind: str, path: str) -> str:
        status, location, text = self.request(kind, "GET", path)
        hops = 0
        while location and hops < MAX_REDIRECTS:  # a browser follows redirects, e.g. an old slug to the current one
            status, location, text = self.request(kind_of(location), "GET", location)
            hops += 1
        return text if status == 200 else ""

    def post(self, kind: str, path: str, form: dict):
        """POST a form; on a redirect (the site's "done") read where it leads, as a browser would."""
        status, location, _ = self.request(kind, "POST", path, form)
        if status == 429:
            self.writes.refused[kind] += 1
        elif status is None or status >= 500:
            self.writes.unanswered.append({"kind": kind, "user_id": self.member.user_id, **form})
        if location:
            self.get(kind_of(location), location)
        return status, location

    # What members do -------------------------------------------------------------------------------------------

    def unique_text(self, what: str) -> str:
        self.sequence += 1
        return f"{what} {self.member.username}-{self.sequence}-{secrets.token_hex(4)}"

    def act(self, action: str) -> None:
        plan, rng = self.plan, self.rng
        if action == "group page":
            self.get(action, f"/g/{plan.group_slug}/")
        elif action == "topic page":
            self.get(action, f"/g/{plan.group_slug}/topics/{rng.choice(plan.topic_slugs)}/")
        elif action == "thread page":
            thread_id, slug = self.shared.random_thread(rng)
            query = f"?page={rng.choice([2, 3])}" if rng.random() < 0.2 else ""  # past the end: the last page
            self.get(action, f"/t/{thread_id}/{slug}/{query}")
        elif action == "notifications":
            unread = UNREAD_NOTIFICATION.findall(self.get(action, "/notifications/"))
            if unread:
                self.open_notification(int(rng.choice(unread)))
        elif action == "reply":
            self.reply()
        elif action == "new thread":
            self.start_thread()
        elif action == "vote":
            self.vote()

    def open_notification(self, notification_id: int) -> None:
        _, location = self.post("open notification", f"/notifications/{notification_id}/read/", {})
        if location:
            self.writes.notifications_read.append({"notification_id": notification_id, "user_id": self.member.user_id})

    def reply(self) -> None:
        thread_id, _ = self.shared.random_thread(self.rng)
        body = self.unique_text("Reply") + "\n\nI agree with the **second** point ([data](https://example.org))."
        _, location = self.post("reply", f"/threads/{thread_id}/reply/", {"body": body})
        if match := POST_LOCATION.match(location):
            self.writes.posts.append(
                {"post_id": int(match[1]), "thread_id": thread_id, "user_id": self.member.user_id, "body": body}
            )

    def start_thread(self) -> None:
        topic_slug = self.rng.choice(self.plan.topic_slugs)
        path = f"/g/{self.plan.group_slug}/topics/{topic_slug}/new/"
        self.get("new thread form", path)
        title = self.unique_text("Load test thread")
        body = f"{self.unique_text('Opening post')}\n\n- one point\n- another point"
        _, location = self.post("new thread", path, {"title": title, "body": body})
        if match := THREAD_LOCATION.match(location):
            thread_id = int(match[1])
            self.shared.add_thread(thread_id, location.split("/")[3])
            self.writes.threads.append(
                {"thread_id": thread_id, "topic_slug": topic_slug, "user_id": self.member.user_id, "title": title,
                 "body": body}
            )

    def vote(self) -> None:
        poll = self.rng.choice(self.plan.polls)
        option_id = self.rng.choice(poll.option_ids)
        reason = self.unique_text("Because")
        vote = {"poll_id": poll.poll_id, "user_id": self.member.user_id, "option_id": option_id, "reason": reason}
        path = f"/g/{poll.group_slug}/prompts/{poll.prompt_id}/vote/"
        status, location = self.post("vote", path, {"option": option_id, "reason": reason})
        if THREAD_LOCATION.match(location):
            self.writes.votes.append(vote)
        elif status is None or status >= 500:
            self.writes.unanswered[-1] |= vote  # its (poll, user) may hold this vote instead of the last acknowledged

    def run(self, deadline: float, think: float, budget: "Budget") -> None:
        names, weights = list(ACTIONS), list(ACTIONS.values())
        clock.sleep(self.rng.uniform(0, think))  # members arrive one by one, not all in the same instant
        while clock.monotonic() < deadline and budget.take():
            self.act(self.rng.choices(names, weights)[0])
            pause = self.rng.uniform(0, 2 * think)  # thinking and typing; 'think' seconds on average
            clock.sleep(max(0.0, min(pause, deadline - clock.monotonic())))


def kind_of(path: str) -> str:
    """The kind of a page reached by a redirect."""
    if path.startswith("/p/"):
        return "post permalink"
    if path.startswith("/t/"):
        return "thread page"
    return "other page"


class Shared:
    """The threads every member can find (those started during the run too)."""

    def __init__(self, threads: list[tuple[int, str]]):
        self.threads = list(threads)
        self.lock = threading.Lock()

    def random_thread(self, rng: random.Random) -> tuple[int, str]:
        with self.lock:
            return rng.choice(self.threads)

    def add_thread(self, thread_id: int, slug: str) -> None:
        with self.lock:
            self.threads.append((thread_id, slug))


class Budget:
    """A cap on the number of actions, so that a run is bounded in requests as well as in time."""

    def __init__(self, actions: int):
        self.left = actions
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0


def run_load(plan: Plan, *, port: int, seconds: float, think: float, max_actions: int = 200_000,
             seed: int = 17, stop: threading.Event | None = None) -> Results:
    """Every member of the plan acts in a thread of its own for `seconds`; returns what was measured."""
    shared, budget = Shared(plan.threads), Budget(max_actions)
    members = [
        SimulatedMember(member, plan, port, random.Random(seed * 1000 + index), shared)
        for index, member in enumerate(plan.members)
    ]
    started = clock.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=member.run, args=(deadline, think, budget), daemon=True, name=member.member.username)
        for member in members
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # short joins, so that Ctrl-C in the main thread is seen at once
            thread.join(timeout=0.5)
            if stop is not None and stop.is_set():
                break
    elapsed = clock.monotonic() - started
    writes = Writes()
    samples = []
    for member in members:
        samples += member.samples
        for name in ("posts", "threads", "votes", "notifications_read", "unanswered"):
            getattr(writes, name).extend(getattr(member.writes, name))
        writes.refused.update(member.writes.refused)
    return Results(samples=samples, writes=writes, seconds=elapsed, members=len(members))


def format_report(results: Results) -> str:
    by_kind = defaultdict(list)
    for sample in results.samples:
        by_kind[sample.kind].append(sample.seconds * 1000)
    rows = sorted(by_kind.items(), key=lambda item: -len(item[1]))
    rows.append(("all", [sample.seconds * 1000 for sample in results.samples]))
    lines = [
        f"requests            {len(results.samples)} in {results.seconds:.1f} s: "
        f"{len(results.samples) / max(results.seconds, 0.001):.1f} per second",
        "",
        f"{'kind':<20}{'count':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   (milliseconds)",
    ]
    for kind, values in rows:
        values.sort()
        figures = "".join(f"{percentile(values, f):>8.0f}" for f in (0.50, 0.95, 0.99)) + f"{(values or [0])[-1]:>8.0f}"
        lines.append(f"{kind:<20}{len(values):>7}{figures}")
    statuses = Counter(sample.status for sample in results.samples)
    lines += [
        "",
        "responses by status " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items(), key=str)),
        f"server errors       {sum(results.server_errors.values())} (5xx and requests with no answer)",
        f"unexpected 4xx      {sum(results.unexpected_client_errors.values())} (429 rate limits are counted apart)",
    ]
    writes = results.writes
    refused = ", ".join(f"{kind}: {count}" for kind, count in sorted(writes.refused.items())) or "none"
    lines += [
        f"writes acknowledged {len(writes.posts)} replies, {len(writes.threads)} new threads, "
        f"{len(writes.votes)} votes, {len(writes.notifications_read)} notifications opened",
        f"refused with 429    {refused}",
    ]
    return "\n".join(lines)
