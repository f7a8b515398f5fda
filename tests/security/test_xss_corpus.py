"""The XSS proof: every hostile input, through the real forms, into every field that is shown back, then opened in
headless Chromium on every page that shows it, and every email's HTML part.

A page fails on a dialog, a call of the `xss()` sentinel, an element with an `on*` attribute, a javascript:,
vbscript: or data:text/html URL, a script, frame, object, embed, base or style element that the site did not put
there, or a Content-Security-Policy violation.

Short plain-text fields (names, titles) hold several payloads side by side, so that every payload reaches every
field in a few dozen objects rather than hundreds; Markdown fields take one payload per post, and the longer
Markdown fields (briefings, context, outcomes) a few payloads in separate blocks.
"""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import digest as digest_module
from discussions import reactions
from discussions.models import Flag, Notification, Post, Thread
from tests import factories
from tests.security.xss_corpus import ALL, pack
from topics.models import Group, Membership, Outcome, Prompt, Topic
from topics.sanctions import Sanction

pytestmark = [pytest.mark.browser, pytest.mark.one_pass, pytest.mark.django_db(transaction=True)]

PAYLOADS = [payload for _, payload in ALL]
# Forms refuse a NUL character outright, so a value holding one would keep its neighbours out of the field too.
PACKABLE = [payload for payload in PAYLOADS if "\x00" not in payload]

SENTINEL_SCRIPT = """
window.__xssCalls = [];
window.xss = function () { window.__xssCalls.push(String(new Error().stack).slice(0, 200)); };
"""

# Run in the page after it loads: everything in the DOM that could run script, except the site's own scripts.
DOM_CHECK = """
(isEmail) => {
  const bad = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "background", "lowsrc",
                         "dynsrc", "poster", "codebase", "cite", "ping", "manifest"];
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`${element.tagName} has ${name}`);
      if (name === "srcdoc") bad.push(`${element.tagName} has srcdoc`);
      if (name === "style" && !isEmail) bad.push(`${element.tagName} has a style attribute`);
      if (urlAttributes.includes(name) &&
          (value.startsWith("javascript:") || value.startsWith("vbscript:") || value.startsWith("data:text/html"))) {
        bad.push(`${element.tagName} ${name}=${attribute.value.slice(0, 60)}`);
      }
    }
  }
  for (const script of document.querySelectorAll("script")) {
    const src = script.getAttribute("src") || "";
    // Static files, and Django's JavaScript catalogue of the site's own words (groupsite/urls.py).
    if (!src.startsWith("/static/") && !src.startsWith("/jsi18n/?v=")) bad.push(`script ${script.outerHTML.slice(0, 80)}`);
  }
  const foreign = "iframe, frame, object, embed, base, meta[http-equiv], link[rel=import], svg script, math" +
                  (isEmail ? "" : ", style");
  for (const element of document.querySelectorAll(foreign)) {
    bad.push(`${element.tagName} element`);
  }
  for (const call of window.__xssCalls || []) bad.push(`xss() was called: ${call}`);
  return bad;
}
"""


# The outcomes of the first OUTCOMES_CYCLE prompts hold every payload between them (every 20th, in three sections).
OUTCOMES_CYCLE = 20
FOLLOW_UP_PAGES = 2
# A moderator's other-language version holds the same payloads as the original it sits beside, stored through the
# same renderer: a few pages through each `?lang=` switch prove its template path, the originals prove the payloads.
SWITCHED_PAGES = 3


def markdown_blocks(payloads, per_value: int) -> list[str]:
    return ["\n\n".join(payloads[i : i + per_value]) for i in range(0, len(payloads), per_value)]


class Site:
    """Submits forms as one person at a time and remembers how many submissions were refused."""

    def __init__(self):
        self.clients = {}  # one signed-in client per person: a login for each of ~1,000 forms cost a tenth of the world
        self.client = None
        self.accepted = 0
        self.refused = []

    def as_user(self, user):
        if user.pk not in self.clients:
            self.clients[user.pk] = Client()
            self.clients[user.pk].force_login(user)
        self.client = self.clients[user.pk]
        return self

    def post(self, url: str, data: dict):
        response = self.client.post(url, data)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER):
            self.accepted += 1
        else:
            form = (response.context or {}).get("form")
            self.refused.append((url, dict(form.errors) if form is not None else response.status_code))
        return response


@pytest.fixture
def hostile_world(settings):
    """A group whose every text field that people fill in holds the corpus, put there through the site's forms."""
    settings.POSTS_PER_PAGE = 1000
    settings.THREADS_PER_PAGE = 1000
    settings.POSTS_PER_MINUTE = 100_000
    settings.NEW_THREADS_PER_HOUR = 100_000
    settings.PREVIEWS_PER_MINUTE = 100_000
    settings.FLAGS_PER_HOUR = 100_000
    settings.BOOKMARKS_PER_PAGE = 1000
    settings.SEARCHES_PER_MINUTE = 100_000
    site = Site()
    group = factories.make_group(name="Hostile input group", slug="hostile")
    owner = factories.make_user(username="owner", display_name="Group owner")
    Membership.objects.create(group=group, user=owner, role=Membership.Role.OWNER)
    reader = factories.make_member(group=group, username="reader", display_name="Reader")
    topic = factories.make_topic(group=group, title="Main topic", slug="main")

    # People: display names, affiliations and bios.
    names = pack(PACKABLE, 80)
    affiliations = pack(PACKABLE, 120)
    bios = pack(PACKABLE, 1000, separator="\n")
    people = []
    for index in range(max(len(names), len(affiliations), len(bios))):
        person = factories.make_member(group=group, username=f"hostile{index}")
        site.as_user(person).post(
            reverse("edit_profile"),
            {
                "display_name": names[index % len(names)],
                "affiliation": affiliations[index % len(affiliations)],
                "bio": bios[index % len(bios)],
            },
        )
        people.append(person)

    # The reader's thread collects one reply per payload, by the hostile people: bodies and authors on one page.
    site.as_user(reader).post(
        reverse("discussions:new_thread", args=[group.slug, topic.slug]), {"title": "Replies", "body": "Reply below."}
    )
    common = Thread.objects.get(title="Replies")
    for index, payload in enumerate(PAYLOADS):
        site.as_user(people[index % len(people)]).post(reverse("discussions:reply", args=[common.pk]), {"body": payload})
    # An edited post keeps the corpus in its history.
    edited = common.posts.filter(author=people[0]).first()
    for body in markdown_blocks(PAYLOADS, 40):
        site.as_user(people[0]).post(reverse("discussions:edit_post", args=[edited.pk]), {"body": body})

    # Thread titles and opening posts.
    for index, title in enumerate(pack(PACKABLE, 200)):
        site.as_user(people[index % len(people)]).post(
            reverse("discussions:new_thread", args=[group.slug, topic.slug]),
            {"title": title, "body": PAYLOADS[index % len(PAYLOADS)]},
        )

    # Topics: titles and briefings.
    briefings = markdown_blocks(PAYLOADS, 8)
    for index, title in enumerate(pack(PACKABLE, 120)):
        site.as_user(owner).post(
            reverse("topics:topic_new", args=[group.slug]),
            {
                "title": title,
                "slug": f"hostile-topic-{index}",
                "briefing": briefings[index % len(briefings)],
                "briefing_translated": briefings[index % len(briefings)],  # the other language's version
            },
        )

    # Prompts: questions, context, poll options and statements; votes with reasons; outcomes.
    contexts = markdown_blocks(PAYLOADS, 8)
    options = pack(PACKABLE, 200)
    statements = pack(PACKABLE, 300)
    questions = pack(PACKABLE, 200)
    for index, question in enumerate(questions):
        scale = index % 2 == 1
        site.as_user(owner).post(
            reverse("topics:prompt_new", args=[group.slug]),
            {
                "topic": topic.pk,
                "title": question,
                "context": contexts[index % len(contexts)],
                "title_translated": question,
                "context_translated": contexts[index % len(contexts)],
                "when": "now",
                "poll_kind": "scale" if scale else "choice",
                "poll_statement": statements[index % len(statements)] if scale else "",
                "poll_options": "" if scale else f"{options[index % len(options)]}\nSomething else",
                "poll_results_visibility": "always",
            },
        )
    assert not Prompt.objects.filter(topic=topic, title_translated="").exists(), "every prompt has its other version"
    reasons = pack(PACKABLE, 5000, separator="\n")
    for index, prompt in enumerate(Prompt.objects.filter(topic=topic).select_related("poll")):
        option = prompt.poll.options.first()
        site.as_user(people[index % len(people)]).post(
            reverse("topics:vote", args=[group.slug, prompt.pk]),
            {"option": option.pk, "reason": reasons[index % len(reasons)]},
        )
        sections = markdown_blocks(PAYLOADS[index % OUTCOMES_CYCLE :: OUTCOMES_CYCLE], 4)
        site.as_user(owner).post(
            reverse("topics:prompt_outcome", args=[group.slug, prompt.pk]),
            {
                "takeaways": sections[0],
                "open_questions": sections[1 % len(sections)],
                "dissent": sections[-1],
                # The other language's version has the same parts as the original, so it is accepted with it.
                "takeaways_translated": sections[0],
                "open_questions_translated": sections[1 % len(sections)],
                "dissent_translated": sections[-1],
            },
        )
    summaries = markdown_blocks(PAYLOADS, 10)
    site.as_user(owner).post(
        reverse("topics:topic_summary", args=[group.slug, topic.slug]),
        {"takeaways": summaries[0], "open_questions": summaries[1], "dissent": summaries[2],
         "takeaways_translated": summaries[0], "open_questions_translated": summaries[1], "dissent_translated": summaries[2]},
    )  # fmt: skip
    for body in summaries[3:6]:  # the summary's history
        site.as_user(owner).post(
            reverse("topics:topic_summary", args=[group.slug, topic.slug]),
            {"takeaways": body, "open_questions": "", "dissent": "", "takeaways_translated": body},
        )

    assert Outcome.objects.filter(topic=topic).exists()
    assert not Outcome.objects.filter(topic=topic, takeaways_translated="").exists(), "every outcome has its other version"
    assert not Topic.objects.filter(group=group, briefing_translated="").exclude(briefing="").exclude(pk=topic.pk).exists()

    # A moderator's reminder to answer the first prompt: its notification names the group and the prompt.
    first_prompt = Prompt.objects.filter(topic=topic).order_by("pk").first()
    site.as_user(owner).post(reverse("topics:prompt_remind", args=[group.slug, first_prompt.pk]), {})

    # Milestones.
    happens_at = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    for title in pack(PACKABLE, 200):
        site.as_user(owner).post(reverse("topics:milestones", args=[group.slug]), {"title": title, "happens_at": happens_at})

    # Private groups: names, descriptions and questions, and the answers of people who ask to join.
    private_groups = []
    answers = pack(PACKABLE, 2000, separator="\n")
    for index, name in enumerate(pack(PACKABLE, 120)):
        private = factories.make_group(slug=f"private-{index}", visibility=Group.Visibility.PRIVATE)
        Membership.objects.create(group=private, user=owner, role=Membership.Role.OWNER)
        # One question per line, so a payload's own line breaks become spaces here.
        one_line = [payload.replace("\n", " ") for payload in PACKABLE[index * 4 :][:12]]
        questions_text = "\n".join(pack(one_line, 300)[:10]) or "Why?"
        site.as_user(owner).post(
            reverse("topics:group_settings", args=[private.slug]),
            {
                "name": name,
                "description": "\n".join(pack(PACKABLE[index * 9 :][:30], 2000)[:1]),
                "visibility": "private",
                "membership_questions": questions_text,
                "timezone": "Asia/Shanghai",
                "evidence_stale_after_days": 180,
            },
        )
        private.refresh_from_db()
        data = {f"answer_{i}": answers[(index + i) % len(answers)] for i in range(len(private.question_list))}
        site.as_user(people[index % len(people)]).post(reverse("topics:join", args=[private.slug]), data)
        private_groups.append(private)
    # The main group's own name and description too (its moderators' pages show them everywhere).
    site.as_user(owner).post(
        reverse("topics:group_settings", args=[group.slug]),
        {
            "name": names[0],
            "description": "\n".join(PAYLOADS[:40]),
            "visibility": "public",
            "membership_questions": "\n".join(pack([p.replace("\n", " ") for p in PACKABLE[:20]], 300)[:10]),
            "timezone": "Asia/Shanghai",
            "evidence_stale_after_days": 180,
        },
    )
    group.refresh_from_db()

    # Reactions (who reacted shows their names) and the reader's bookmarks (excerpts of every post in the thread).
    # Their forms carry no text, so they are made through the same service calls as those forms make: ~300 forms
    # fewer, and nothing hostile that the forms would have carried left out.
    opening = common.posts.get(number=1)
    for person in people:
        if person.pk != opening.author_id:
            reactions.set_reaction(post=opening, user=person, kind="insightful", on=True)
    for post in common.posts.order_by("number"):
        reactions.set_bookmark(post=post, user=reader, on=True)

    # Moderation: flag details, hiding reasons, warnings to an author and the reasons for suspensions.
    replies = list(common.posts.filter(number__gt=1).exclude(author=people[0]).order_by("number"))
    for post, text in zip(replies, pack(PACKABLE, 500)):
        site.as_user(reader).post(reverse("discussions:flag_post", args=[post.pk]), {"reason": "other", "text": text})
    for post, reason in zip(reversed(replies), pack(PACKABLE, 500)):
        site.as_user(owner).post(reverse("discussions:hide_post", args=[post.pk]), {"reason": reason})
    for message in pack(PACKABLE, 2000, separator="\n"):
        site.as_user(owner).post(reverse("discussions:warn_author", args=[edited.pk]), {"message": message})
    suspended_people = people[1 : 1 + len(pack(PACKABLE, 2000, separator="\n"))]
    for person, reason in zip(suspended_people, pack(PACKABLE, 2000, separator="\n")):
        membership = Membership.objects.get(group=group, user=person)
        site.as_user(owner).post(
            reverse("topics:sanction_member", args=[group.slug, membership.pk]), {"duration": "7d", "reason": reason}
        )
    return {
        "site": site,
        "group": group,
        "topic": topic,
        "owner": owner,
        "reader": reader,
        "author": people[0],
        "suspended": suspended_people[0],
        "people": people,
        "common": common,
        "edited": edited,
        "private_groups": private_groups,
        "join_answers": answers,
    }


def pages_to_open(world) -> list[tuple[str, str]]:
    """(who, path) for every page that shows what the hostile world holds."""
    group, topic, common = world["group"], world["topic"], world["common"]
    pages = [
        ("reader", reverse("topics:home")),
        ("reader", group.get_absolute_url()),
        ("reader", reverse("topics:members", args=[group.slug])),
        ("reader", reverse("topics:agenda", args=[group.slug])),
        ("reader", reverse("topics:leave", args=[group.slug])),
        ("reader", topic.get_absolute_url()),
        ("reader", common.get_absolute_url()),
        ("reader", reverse("feeds:follow", args=[group.slug]) + f"?thread={common.pk}"),
        ("reader", reverse("discussions:notifications")),
        ("reader", reverse("discussions:digest_preview")),
        ("reader", reverse("discussions:bookmarks")),
        ("reader", reverse("discussions:who_reacted", args=[common.posts.get(number=1).pk])),
        ("reader", reverse("discussions:react", args=[common.posts.get(number=1).pk])),
        ("owner", topic.get_absolute_url()),  # the key insights suggested from members' reactions
        ("owner", reverse("topics:insight", args=[group.slug])),
        ("owner", reverse("topics:milestones", args=[group.slug])),
        ("owner", reverse("topics:agenda", args=[group.slug])),
        ("owner", reverse("discussions:post_revisions", args=[world["edited"].pk])),
        ("owner", reverse("topics:topic_summary_revisions", args=[group.slug, topic.slug])),
        ("owner", reverse("discussions:member_digest_preview", args=[group.slug, world["reader"].username])),
        ("owner", reverse("topics:home")),
        ("owner", common.get_absolute_url()),
        ("owner", reverse("topics:members", args=[group.slug])),
        ("owner", reverse("discussions:review_queue", args=[group.slug])),
        ("owner", reverse("topics:audit_log", args=[group.slug])),
        ("author", reverse("discussions:notifications")),
        ("author", common.get_absolute_url()),
        ("suspended", group.get_absolute_url()),
        ("suspended", common.get_absolute_url()),
    ]
    # The other language's versions of briefings, prompts and outcomes, shown through the page's switch.
    for url in (group.get_absolute_url(), reverse("topics:agenda", args=[group.slug]), topic.get_absolute_url()):
        pages.append(("reader", f"{url}?lang=zh-hans"))
    for index, other in enumerate(Topic.objects.filter(group=group).exclude(pk=topic.pk).order_by("pk")):
        pages.append(("reader", other.get_absolute_url()))
        if index < SWITCHED_PAGES:
            pages.append(("reader", f"{other.get_absolute_url()}?lang=zh-hans"))
    for thread in Thread.objects.filter(topic=topic).exclude(pk=common.pk):
        pages.append(("reader", thread.get_absolute_url()))
    # Every prompt's title is on its thread page (above) and the agenda. The outcomes of the first OUTCOMES_CYCLE
    # prompts already hold every payload, and every follow-up page lists the same people: those suffice.
    prompts = Prompt.objects.filter(topic=topic).exclude(thread=None).order_by("pk")
    for index, prompt in enumerate(prompts):
        if index < SWITCHED_PAGES:
            pages.append(("reader", f"{prompt.thread.get_absolute_url()}?lang=zh-hans"))
        if index < OUTCOMES_CYCLE:
            pages.append(("owner", reverse("topics:prompt_outcome_revisions", args=[group.slug, prompt.pk])))
            pages.append(("owner", reverse("topics:prompt_outcome", args=[group.slug, prompt.pk])))
        if index < FOLLOW_UP_PAGES:
            pages.append(("owner", reverse("topics:prompt_followup", args=[group.slug, prompt.pk])))
    for person in world["people"]:
        pages.append(("reader", person.get_absolute_url()))
    # Each private group's name is on its own page and settings; the answers of those asking to join all sit in the
    # first few groups' requests (see hostile_world).
    for index, private in enumerate(world["private_groups"]):
        pages.append(("owner", private.get_absolute_url()))
        pages.append(("owner", reverse("topics:group_settings", args=[private.slug])))
        if index < len(world["join_answers"]):
            pages.append(("owner", reverse("topics:join_requests", args=[private.slug])))
    pages.append(("owner", reverse("topics:group_settings", args=[group.slug])))
    # Search: snippets, titles and authors of hits from the hostile posts, and hostile queries echoed back.
    for query in ["xss", "alert", "img", "svg", "javascript", "script"] + pack(PACKABLE, 200)[:4]:
        pages.append(("reader", f"{reverse('discussions:search')}?{urlencode({'q': query})}"))
    return pages


class Watch:
    """What a page did that a safe page never does."""

    def __init__(self, page):
        self.page = page
        self.events = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: None)  # a payload's broken script is not itself a hole

    def _dialog(self, dialog):
        self.events.append(f"dialog {dialog.type}: {dialog.message[:60]}")
        dialog.dismiss()

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.events.append(f"CSP: {text[:160]}")

    def check(self, where: str, *, email: bool = False) -> list[tuple[str, str]]:
        """What went wrong on the page just loaded: (where, what) pairs. HTML emails may carry inline styles."""
        found = [(where, event) for event in self.events]
        self.events.clear()
        found += [(where, problem) for problem in self.page.evaluate(DOM_CHECK, email)]
        return found


def browser_page(chromium, live_server, user):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(SENTINEL_SCRIPT)
    host = urlparse(live_server.url).hostname
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def test_no_hostile_input_runs_or_leaves_active_markup_on_any_page(chromium, live_server, hostile_world, mailoutbox):
    world = hostile_world
    site = world["site"]
    # Most submissions went in: the proof is about what is shown, so the corpus must really be stored.
    assert site.accepted > 4 * len(site.refused), (site.accepted, site.refused[:20])
    assert Post.objects.filter(thread=world["common"]).count() > len(PAYLOADS) * 0.9
    assert Flag.objects.exists() and Post.objects.filter(hidden_at__isnull=False).exists()
    assert Notification.objects.filter(user=world["author"], kind=Notification.Kind.WARNING).exists()
    assert Sanction.objects.filter(user=world["suspended"]).exists()

    problems = []
    contexts = {}
    try:
        for who in ("reader", "owner", "author", "suspended"):
            contexts[who] = browser_page(chromium, live_server, world[who])
        watches = {who: Watch(page) for who, (_, page) in contexts.items()}
        for who, path in pages_to_open(world):
            _, page = contexts[who]
            response = page.goto(live_server.url + path, wait_until="load")
            assert response.status < 500, f"{path} answered {response.status}"
            problems += watches[who].check(f"{who} {path}")

        # Every email the world caused, and the digest that the reader would get now.
        reader = world["reader"]
        digest_context = digest_module.digest_context(reader, now=timezone.now())
        assert digest_context is not None, "the reader's digest should hold the hostile world"
        messages = [*mailoutbox, digest_module.build_digest_message(reader, digest_context)]
        _, page = contexts["reader"]
        page.goto("about:blank")  # an email is not a page of the site: its inline styles are not the site's policy's business
        for number, message in enumerate(messages):
            for html, mimetype in getattr(message, "alternatives", []):
                if mimetype != "text/html":
                    continue
                page.set_content(html, wait_until="load")
                problems += watches["reader"].check(f"email {number} ({message.subject[:50]})", email=True)
    finally:
        for context, _ in contexts.values():
            context.close()
    by_page = {}
    for where, what in problems:
        by_page.setdefault(where, []).append(what)
    assert not by_page, "\n".join(f"{where} ({len(found)}): {found[:3]}" for where, found in by_page.items())
