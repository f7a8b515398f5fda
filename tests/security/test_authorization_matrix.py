"""The authorization matrix (issue 8, item 15): every URL pattern, every role, a public and a private group.

Each row of MATRIX names one URL pattern, says how to build its address from the objects of one group's scene
(see Scene) and which rule applies to each method tried: GET for pages, POST (with no data) for actions. A page
that takes its form by POST too is tried by GET, since its view checks access before it looks at the method;
pages whose view branches on the method first (join, invitation, unsubscribe) and the delete page are tried
both ways. A rule holds one code per role, in the order of ROLES, for the public group and for the private one.
The codes:

    ok     200: the page is shown
    go     past the permission check: 200, 301, 302 (not to a login page), 400 (the empty form) or 410
    login  302 to the login page (login_required answers so for any address, so nothing is revealed)
    403    forbidden: the person can see the group but may not do this
    404    hidden: a private group does not exist for anyone outside it (never 403)

Adding a URL pattern: `test_every_url_pattern_has_a_row_and_every_row_a_pattern` fails until MATRIX has a row
named like the pattern ("app:name"). Add one, e.g. `Row("app:name", ("thread.pk",), post=MODERATOR_ACTION)`: the
arguments are paths into Scene (add an object there if the page needs a new kind), and `get=` / `post=` pick
a rule below (or a new one). Rows that name a group's slug and then an object's pk are also tried across groups.

Adding a role (as the suspended and banned members were): add a Role to ROLES in authorization_world.py, with a
builder that makes that person for both groups. Until each rule gets a column for it, the rule's `later` codes
(public, private) apply; then add the column to the rules whose answer differs.

The world (both groups, their people and their scenes) is built once for the module; each case runs in a
transaction that is rolled back, so a member who leaves, a prompt that is published or a post that is deleted
are all back for the next case. The file makes some 1,750 requests in 1,658 cases: about 30 s of CPU on SQLite
(a third of it creating the test database and rendering templates), 45 s on this shared machine.
"""

from dataclasses import dataclass
from http import HTTPStatus
from operator import attrgetter

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.authorization_world import ROLES, Role, Scene, build_world

# Whole includes that are not the project's own: one entry each, checked on a few representative addresses.
ADMIN = "admin/ (Django admin)"
ALLAUTH = "accounts/ (allauth)"


# Expected answers.


@dataclass(frozen=True)
class Expect:
    code: str
    statuses: frozenset
    location: str | None = None  # a redirect must go here ("login") or anywhere but a login page ("go")

    def check(self, response) -> bool:
        if response.status_code not in self.statuses:
            return False
        if response.status_code not in (HTTPStatus.FOUND, HTTPStatus.MOVED_PERMANENTLY):
            return True
        to_login = any(response.url.startswith(url) for url in _login_urls())
        return to_login if self.location == "login" else not to_login


def _login_urls():
    return (resolve_url(settings.LOGIN_URL), reverse("admin:login"))


EXPECTATIONS = {
    expect.code: expect
    for expect in [
        Expect("ok", frozenset({200})),
        Expect("go", frozenset({200, 301, 302, 400, 410})),
        Expect("login", frozenset({302}), location="login"),
        Expect("403", frozenset({403})),
        Expect("404", frozenset({404})),
    ]
}


@dataclass(frozen=True)
class Rule:
    """One code per role (in ROLES order) for a public and a private group; `later` for roles added since."""

    public: str
    private: str
    later: tuple[str, str]

    def expected(self, role: Role, visibility: str) -> Expect:
        codes = (self.private if visibility == "private" else self.public).split()
        index = ROLES.index(role)
        code = codes[index] if index < len(codes) else self.later[visibility == "private"]
        return EXPECTATIONS[code]


# fmt: off
# One column per role, in ROLES order:
#             anonymous non_member applicant member author moderator owner staff other_owner suspended banned
ANYONE_PAGE = Rule(
    public="  ok        ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    private=" ok        ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    later=("ok", "ok"),
)
# The language switcher: a visitor's choice is a cookie, a member's also their profile's (groupsite.views).
ANYONE_ACTION = Rule(
    public="  go        go         go        go     go     go        go    go    go          go        go",
    private=" go        go         go        go     go     go        go    go    go          go        go",
    later=("go", "go"),
)
SIGNED_IN_PAGE = Rule(
    public="  login     ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    private=" login     ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    later=("ok", "ok"),
)
SIGNED_IN_ACTION = Rule(
    public="  login     go         go        go     go     go        go    go    go          go        go",
    private=" login     go         go        go     go     go        go    go    go          go        go",
    later=("go", "go"),
)
READ_PAGE = Rule(
    public="  ok        ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    private=" 404       404        404       ok     ok     ok        ok    404   404         ok        404",
    later=("ok", "404"),
)
# A public feed (feeds.urls): a feed reader has no session, so a private group's is a 404 for everyone.
PUBLIC_FEED = Rule(
    public="  ok        ok         ok        ok     ok     ok        ok    ok    ok          ok        ok",
    private=" 404       404        404       404    404    404       404   404   404         404       404",
    later=("ok", "404"),
)
# Permalinks: they redirect to the page the thing is on.
READ_LINK = Rule(
    public="  go        go         go        go     go     go        go    go    go          go        go",
    private=" 404       404        404       go     go     go        go    404   404         go        404",
    later=("go", "404"),
)
READER_ACTION = Rule(
    public="  login     go         go        go     go     go        go    go    go          go        go",
    private=" login     404        404       go     go     go        go    404   404         go        404",
    later=("go", "404"),
)
MEMBER_PAGE = Rule(
    public="  login     403        403       ok     ok     ok        ok    403   403         403       403",
    private=" login     404        404       ok     ok     ok        ok    404   404         403       404",
    later=("403", "404"),
)
# What members read, taken away whole (the topic export): a suspended member still reads.
MEMBER_READ_PAGE = Rule(
    public="  login     403        403       ok     ok     ok        ok    403   403         ok        403",
    private=" login     404        404       ok     ok     ok        ok    404   404         ok        404",
    later=("403", "404"),
)
MEMBER_ACTION = Rule(
    public="  login     403        403       go     go     go        go    403   403         403       403",
    private=" login     404        404       go     go     go        go    404   404         403       404",
    later=("403", "404"),
)
AUTHOR_PAGE = Rule(
    public="  login     403        403       403    ok     ok        ok    403   403         403       403",
    private=" login     404        404       403    ok     ok        ok    404   404         403       404",
    later=("403", "404"),
)
AUTHOR_ACTION = Rule(
    public="  login     403        403       403    go     go        go    403   403         403       403",
    private=" login     404        404       403    go     go        go    404   404         403       404",
    later=("403", "404"),
)
MODERATOR_PAGE = Rule(
    public="  login     403        403       403    403    ok        ok    403   403         403       403",
    private=" login     404        404       403    403    ok        ok    404   404         403       404",
    later=("403", "404"),
)
MODERATOR_ACTION = Rule(
    public="  login     403        403       403    403    go        go    403   403         403       403",
    private=" login     404        404       403    403    go        go    404   404         403       404",
    later=("403", "404"),
)
OWNER_ACTION = Rule(
    public="  login     403        403       403    403    403       go    403   403         403       403",
    private=" login     404        404       403    403    403       go    404   404         403       404",
    later=("403", "404"),
)
# Watching and muting concern only the member's own reading: a suspended member may still.
WATCH_ACTION = Rule(
    public="  login     403        403       go     go     go        go    403   403         go        403",
    private=" login     404        404       go     go     go        go    404   404         go        404",
    later=("403", "404"),
)
# Site staff only, whatever their groups.
STAFF_ACTION = Rule(
    public="  login     403        403       403    403    403       403   go    403         403       403",
    private=" login     403        403       403    403    403       403   go    403         403       403",
    later=("403", "403"),
)
# The member's own notification: anyone else's is a 404, whoever they are.
SELF_ONLY = Rule(
    public="  login     404        404       go     404    404       404   404   404         404       404",
    private=" login     404        404       go     404    404       404   404   404         404       404",
    later=("404", "404"),
)
# A private group's join page is the door outsiders knock at (README: Groups), so it answers them by design.
JOIN_DOOR = Rule(
    public="  login     go         go        go     go     go        go    go    go          go        go",
    private=" login     go         go        go     go     go        go    go    go          go        go",
    later=("go", "go"),
)
# The Django admin: staff only; a staff member without a model's permission is refused that model.
ADMIN_INDEX = Rule(
    public="  login     login      login     login  login  login     login ok    login       login     login",
    private=" login     login      login     login  login  login     login ok    login       login     login",
    later=("login", "login"),
)
ADMIN_MODEL = Rule(
    public="  login     login      login     login  login  login     login 403   login       login     login",
    private=" login     login      login     login  login  login     login 403   login       login     login",
    later=("login", "login"),
)
# allauth: its forms for visitors send signed-in people on; account management wants a login.
ACCOUNT_VISITOR = Rule(
    public="  ok        go         go        go     go     go        go    go    go          go        go",
    private=" ok        go         go        go     go     go        go    go    go          go        go",
    later=("go", "go"),
)
# fmt: on


# The matrix: one row per URL name (per include for the admin and allauth).


@dataclass(frozen=True)
class Row:
    name: str
    args: tuple = ()  # paths into Scene, e.g. "group.slug"; or a function of the scene giving the address
    get: Rule | None = None
    post: Rule | None = None
    site: bool = False  # True when the address names no group: tried once, against the public rule
    sample: str = ""  # for includes: which representative address this is

    @property
    def id(self):
        return f"{self.name}[{self.sample}]" if self.sample else self.name

    def url(self, scene: Scene) -> str:
        if callable(self.args):
            return self.args(scene)
        return reverse(self.name, args=[attrgetter(path)(scene) for path in self.args])

    def checks(self):
        return [(method, rule) for method, rule in (("get", self.get), ("post", self.post)) if rule is not None]


G, GT = ("group.slug",), ("group.slug", "topic.slug")
MATRIX = [
    # The site, outside any group
    Row("topics:home", get=ANYONE_PAGE, site=True),
    Row("discussions:search", get=ANYONE_PAGE, site=True),  # results are scoped by test_search*.py
    Row("profile", ("post.author.username",), get=ANYONE_PAGE, site=True),
    Row("edit_profile", get=SIGNED_IN_PAGE, site=True),
    Row("set_language", post=ANYONE_ACTION, site=True),
    Row("javascript-catalog", get=ANYONE_PAGE, site=True),
    Row("discussions:preview", post=SIGNED_IN_ACTION, site=True),
    Row("discussions:unsubscribe", ("unsubscribe_token",), get=ANYONE_PAGE, post=ANYONE_PAGE, site=True),
    Row("discussions:email_preferences", get=SIGNED_IN_PAGE, site=True),
    Row("discussions:digest_preview", get=SIGNED_IN_PAGE, site=True),
    Row("discussions:notifications", get=SIGNED_IN_PAGE, site=True),
    Row("discussions:bookmarks", get=SIGNED_IN_PAGE, site=True),
    Row("discussions:notification_read", ("notification.pk",), post=SELF_ONLY, site=True),
    Row("discussions:notifications_read_all", post=SIGNED_IN_ACTION, site=True),
    Row("deactivate_account", ("member.username",), post=STAFF_ACTION, site=True),
    # Groups and membership
    Row("topics:group", G, get=READ_PAGE),
    Row("topics:members", G, get=READ_PAGE),
    Row("discussions:group_members_json", G, get=READ_PAGE),
    Row("topics:change_role", ("group.slug", "membership.pk"), post=OWNER_ACTION),
    Row("topics:remove_member", ("group.slug", "membership.pk"), post=MODERATOR_ACTION),
    Row("topics:sanction_member", ("group.slug", "membership.pk"), post=MODERATOR_ACTION),
    Row("topics:lift_sanction", ("group.slug", "sanction.pk"), post=MODERATOR_ACTION),
    Row("topics:audit_log", G, get=MODERATOR_PAGE),
    Row("topics:join", G, get=JOIN_DOOR, post=JOIN_DOOR),
    Row("topics:withdraw_join_request", G, post=JOIN_DOOR),
    Row("topics:leave", G, get=READER_ACTION, post=READER_ACTION),
    Row("topics:join_requests", G, get=MODERATOR_PAGE),
    Row("topics:decide_join_request", ("group.slug", "join_request.pk"), post=MODERATOR_ACTION),
    Row("topics:invitations", G, get=MODERATOR_PAGE),
    Row("topics:revoke_invitation", ("group.slug", "invitation.pk"), post=MODERATOR_ACTION),
    # The token is the key: whoever holds an invitation link sees its group, private or not.
    Row("topics:invitation", ("invitation.token",), get=ANYONE_PAGE, post=SIGNED_IN_ACTION),
    Row("topics:group_settings", G, get=MODERATOR_PAGE),
    Row("discussions:group_subscription", G, post=WATCH_ACTION),
    Row("discussions:member_digest_preview", ("group.slug", "member.username"), get=MODERATOR_PAGE),
    # Topics
    Row("topics:topic", GT, get=READ_PAGE),
    Row("topics:topic_new", G, get=MODERATOR_PAGE),
    Row("topics:topic_edit", GT, get=MODERATOR_PAGE),
    Row("topics:topic_move", ("group.slug", "topic.pk"), post=MODERATOR_ACTION),
    Row("discussions:topic_subscription", GT, post=WATCH_ACTION),
    Row("topics:topic_summary", GT, get=MODERATOR_PAGE),
    Row("topics:topic_summary_revisions", GT, get=READ_PAGE),
    Row("topics:topic_export", GT, get=MEMBER_READ_PAGE),
    # Threads and posts
    Row("discussions:new_thread", GT, get=MEMBER_PAGE),
    Row("discussions:thread_short", ("thread.pk",), get=READ_LINK),
    Row("discussions:thread", ("thread.pk", "thread.slug"), get=READ_PAGE),
    Row("discussions:reply", ("thread.pk",), get=READ_LINK, post=MEMBER_ACTION),  # GET: to the reply box
    Row("discussions:thread_subscription", ("thread.pk",), post=WATCH_ACTION),
    Row("discussions:pin_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:unpin_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:lock_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:unlock_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:rename_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:move_thread", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:set_slow_mode", ("thread.pk",), post=MODERATOR_ACTION),
    Row("discussions:post", ("post.pk",), get=READ_LINK),
    Row("discussions:edit_post", ("post.pk",), get=AUTHOR_PAGE),
    Row("discussions:delete_post", ("post.pk",), get=AUTHOR_PAGE, post=AUTHOR_ACTION),
    Row("discussions:post_revisions", ("post.pk",), get=AUTHOR_PAGE),
    Row("topics:key_insight", ("post.pk",), post=MODERATOR_ACTION),
    # Flags and the review queue
    Row("discussions:flag_post", ("post.pk",), get=MEMBER_PAGE),
    # The post's reaction page: a suspended member still reads it (the counts, and why there are no buttons).
    Row("discussions:react", ("post.pk",), get=MEMBER_READ_PAGE, post=MEMBER_ACTION),
    Row("discussions:who_reacted", ("post.pk",), get=READ_PAGE),
    Row("discussions:bookmark", ("post.pk",), post=WATCH_ACTION),  # a bookmark only concerns the member's reading
    Row("discussions:review_queue", G, get=MODERATOR_PAGE),
    Row("discussions:dismiss_flags", ("post.pk",), post=MODERATOR_ACTION),
    Row("discussions:hide_post", ("post.pk",), post=MODERATOR_ACTION),
    Row("discussions:unhide_post", ("post.pk",), post=MODERATOR_ACTION),
    Row("discussions:warn_author", ("post.pk",), post=MODERATOR_ACTION),
    # Prompts, polls, outcomes, the agenda
    Row("topics:agenda", G, get=READ_PAGE),
    Row("topics:programme", G, get=MODERATOR_PAGE),
    Row("topics:milestones", G, get=MODERATOR_PAGE),
    Row("topics:milestone_move", ("group.slug", "milestone.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_new", G, get=MODERATOR_PAGE),
    Row("topics:prompt_edit", ("group.slug", "draft_prompt.pk"), get=MODERATOR_PAGE),
    Row("topics:prompt_publish", ("group.slug", "draft_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_close", ("group.slug", "open_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_reopen", ("group.slug", "closed_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_duplicate", ("group.slug", "open_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_translation", ("group.slug", "open_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_delete", ("group.slug", "draft_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:prompt_followup", ("group.slug", "open_prompt.pk"), get=MODERATOR_PAGE),
    Row("topics:prompt_remind", ("group.slug", "open_prompt.pk"), post=MODERATOR_ACTION),
    Row("topics:vote", ("group.slug", "open_prompt.pk"), post=MEMBER_ACTION),
    Row("topics:prompt_outcome", ("group.slug", "open_prompt.pk"), get=MODERATOR_PAGE),
    Row("topics:prompt_outcome_revisions", ("group.slug", "open_prompt.pk"), get=READ_PAGE),
    Row("topics:insight", G, get=MODERATOR_PAGE),
    Row("topics:insight_csv", G, get=MODERATOR_PAGE),
    # Feeds: public ones for public groups; a member's secret address is the key, whoever holds it (discussions.feeds.access).
    Row("feeds:group", G, get=PUBLIC_FEED),
    Row("feeds:prompts", G, get=PUBLIC_FEED),
    Row("feeds:topic", GT, get=PUBLIC_FEED),
    Row("feeds:thread", ("thread.pk",), get=PUBLIC_FEED),
    Row("feeds:secret_group", ("group.slug", "feed_token.token"), get=ANYONE_PAGE),
    Row("feeds:secret_prompts", ("group.slug", "feed_token.token"), get=ANYONE_PAGE),
    Row("feeds:secret_topic", ("group.slug", "feed_token.token", "topic.slug"), get=ANYONE_PAGE),
    Row("feeds:secret_thread", ("group.slug", "feed_token.token", "thread.pk"), get=ANYONE_PAGE),
    Row("feeds:follow", G, get=READ_PAGE),
    Row("feeds:reset", G, post=WATCH_ACTION),  # a suspended member still reads, so still follows
    # Includes, on representative addresses
    Row(ADMIN, lambda scene: reverse("admin:index"), get=ADMIN_INDEX, site=True, sample="index"),
    Row(
        ADMIN,
        lambda scene: reverse("admin:topics_group_change", args=[scene.group.pk]),
        get=ADMIN_MODEL, site=True, sample="a group",
    ),
    # allauth's email confirmation pages, as the site words them (groupsite/account_views.py)
    Row("account_email_verification_sent", get=ANYONE_PAGE, site=True),
    Row("account_confirm_email", lambda scene: reverse("account_confirm_email", args=["no-such-key"]), get=ANYONE_PAGE,
        site=True),
    Row("account_resend_verification", post=SIGNED_IN_ACTION, site=True),  # nothing to resend: on to login or account
    Row(ALLAUTH, lambda scene: reverse("account_login"), get=ACCOUNT_VISITOR, site=True, sample="login"),
    Row(ALLAUTH, lambda scene: reverse("account_signup"), get=ACCOUNT_VISITOR, site=True, sample="signup"),
    Row(ALLAUTH, lambda scene: reverse("account_email"), get=SIGNED_IN_PAGE, site=True, sample="email"),
    Row(
        ALLAUTH, lambda scene: reverse("account_change_password"), get=SIGNED_IN_PAGE, site=True, sample="password"
    ),
]


def urlconf_entries() -> set[str]:
    """Every URL pattern's name ("app:name"); the admin and allauth as one entry each; unnamed ones by route."""
    entries = set()

    def walk(resolver, namespace, prefix):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    entries.add(ADMIN)
                elif getattr(pattern.urlconf_module, "__name__", "") == "allauth.urls":
                    entries.add(ALLAUTH)
                else:
                    inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
                    walk(pattern, inner, route)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                entries.add(name if pattern.name else f"(unnamed) {route}")

    walk(get_resolver(), None, "")
    return entries


def test_every_url_pattern_has_a_row_and_every_row_a_pattern():
    rows = {row.name for row in MATRIX}
    entries = urlconf_entries()
    without_a_row = sorted(entries - rows)  # add a row for each: see the top of this file
    assert without_a_row == []
    rows_without_a_pattern = sorted(rows - entries)
    assert rows_without_a_pattern == []


def test_no_row_is_listed_twice():
    ids = [row.id for row in MATRIX]
    assert len(ids) == len(set(ids))


# The cases.


# Each case runs in a transaction of its own, rolled back after it. Who may do what does not depend on the
# database, so the test command runs the matrix in one pass.
pytestmark = [pytest.mark.django_db, pytest.mark.one_pass]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, inside a transaction that is rolled back after its last case."""
    fast_hasher = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hasher:
        yield build_world()
        transaction.set_rollback(True)


def _cases():
    for row in MATRIX:
        for visibility in ("public",) if row.site else ("public", "private"):
            for role in ROLES:
                place = "site" if row.site else visibility
                yield pytest.param(row, role, visibility, id=f"{row.id}-{role}-{place}")


@pytest.mark.parametrize("row, role, visibility", list(_cases()))
def test_each_role_gets_the_expected_answer(row, role, visibility, world, client):
    scene = world.scenes[visibility]
    url = row.url(scene)
    for method, rule in row.checks():
        expected = rule.expected(role, visibility)
        if role.name in world.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role.name]
        response = getattr(client, method)(url)
        where = f" to {response.url}" if response.status_code in (301, 302) else ""
        assert expected.check(response), (
            f"{method.upper()} {url} as {role} ({visibility} group): expected {expected.code}, "
            f"got {response.status_code}{where}"
        )
        if expected.code == "404":  # hidden means not even named
            assert scene.group.name not in response.content.decode(), f"{method.upper()} {url} names the group"


def _rows_naming_a_group_object():
    """Rows whose address is a group's slug and then the id of something in that group."""
    for row in MATRIX:
        args = row.args if isinstance(row.args, tuple) else ()
        if args[:1] == ("group.slug",) and args[1:2] and args[1].endswith(".pk"):
            yield pytest.param(row, id=row.name)


@pytest.mark.parametrize("row", list(_rows_naming_a_group_object()))
def test_another_groups_object_is_not_found_through_this_groups_address(row, world, client):
    """An owner of both groups still cannot reach the private group's object through the public group's address."""
    public, private = world.scenes["public"], world.scenes["private"]
    url = reverse(row.name, args=[public.group.slug, *(attrgetter(path)(private) for path in row.args[1:])])
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["owner"]
    for method, _ in row.checks():
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, f"{method.upper()} {url}: got {response.status_code}"
