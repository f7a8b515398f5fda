"""What goes in each member's digest: their groups' prompts, best answers, key insights, outcomes, active threads
and what was addressed to them, less what they wrote or already read.
"""

import logging
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext, pgettext

from discussions import excerpts
from discussions.digest.activity import Activity, Reader, post_url, thread_url
from discussions.digest.notices import addressed_item, unread_notices
from discussions.digest.schedule import covered_since, latest_deliveries, zone_named
from discussions.emails import DIGEST_SCOPE, absolute, build_email
from discussions.models import Post, ThreadRead
from discussions.templatetags.digest_tags import REUSED
from groupsite import languages
from groupsite.mail import mark_bulk
from groupsite.models import DigestFrequency, User
from topics import answers, bilingual
from topics.models import Membership, Prompt, Vote

logger = logging.getLogger(__name__)

CLOSING_SOON = timedelta(hours=48)

# How much of each kind a group's section shows.
PROMPTS_SHOWN = 6
BEST_ANSWERS_SHOWN = 3
KEY_INSIGHTS_SHOWN = 5
ACTIVE_THREADS_SHOWN = 5
ADDRESSED_SHOWN = 10
EXCERPT_CHARS = 240


def excerpt(body_html: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a post as plain text, without what it quotes (the reader wants the new words)."""
    return excerpts.excerpt(body_html, limit)


def join_names(names: list[str]) -> str:
    return languages.join_words(names)


def _title(prompt: Prompt, activity: Activity, reader: Reader) -> str:
    """The prompt's title in the member's language (topics.bilingual)."""
    return activity.remember(("title", prompt.pk, reader.language), lambda: bilingual.text(prompt, "title"))


def _prompt_item(prompt: Prompt, activity: Activity, reader: Reader) -> dict:
    thread = prompt.thread
    last_read = reader.reads.get(thread.pk, 0)
    unread_answers = max(thread.post_count - max(last_read, 1), 0)
    url = thread_url(thread.pk, thread.title)
    if last_read:
        answers = activity.answers_by_thread.get(thread.pk)
        if answers:
            index = bisect_left(answers, (last_read + 1, 0))
            if index < len(answers):
                url = post_url(answers[index][1])
        else:
            first, _ = activity.first_unread(thread.pk, last_read, reader.user.pk, reader.since)
            if first is not None:
                url = post_url(first)
    return {
        "title": _title(prompt, activity, reader),
        "topic": prompt.topic.title,
        "url": url,
        "is_open": prompt.is_open(),
        "is_new": prompt.published_at is not None and prompt.published_at >= reader.since,
        "closes_at": prompt.closes_at,
        "answered": prompt.pk in reader.answered,  # replied or voted (topics.answers)
        "has_poll": prompt.has_poll,
        "voted": prompt.pk in reader.voted,
        "unread_answers": unread_answers,
        "unread": thread.post_count > last_read,
    }


def _author_name(author_id, names: dict, chatham_house: bool) -> str:
    if chatham_house:
        return ""  # the Chatham House rule: what was said, never who said it
    return names.get(author_id, "a former member")


@dataclass
class _Texts:
    """Authors' names and post excerpts fetched for the batch, and whether a group allows post text in email."""

    names: dict
    bodies: dict

    def excerpt(self, post_id, group) -> str:
        return "" if group.emails_titles_only else self.bodies.get(post_id, "")


def _prompt_lists(group, reader: Reader, activity: Activity) -> tuple[list, list]:
    """(the period's prompts with something unread, open prompts closing soon that the member has not answered)."""
    prompts, closing_soon = [], []
    now = activity.now
    for prompt in activity.prompts_by_group.get(group.pk, []):
        if not prompt.is_open() and (prompt.published_at is None or prompt.published_at < reader.since):
            continue
        item = _prompt_item(prompt, activity, reader)
        closes_soon = prompt.closes_at is not None and now < prompt.closes_at <= now + CLOSING_SOON
        if prompt.is_open() and closes_soon and not item["answered"]:
            closing_soon.append(item)
        elif item["unread"]:
            prompts.append(item)
    return prompts[:PROMPTS_SHOWN], closing_soon


def _unseen(row: dict, reader: Reader) -> bool:
    """Neither written nor already read by the member."""
    return row["author_id"] != reader.user.pk and row["number"] > reader.reads.get(row["thread_id"], 0)


def _best_answers(group, reader: Reader, activity: Activity, texts: _Texts) -> list:
    answers = []
    for row in activity.best_answers.get(group.pk, []):
        if len(answers) == BEST_ANSWERS_SHOWN:
            break
        if not _unseen(row, reader):
            continue
        prompt = row["prompt"]
        answers.append(
            {
                "post_id": row["post_id"],
                "url": post_url(row["post_id"]),
                "prompt": _title(prompt, activity, reader),
                "author": _author_name(row["author_id"], texts.names, prompt.chatham_house),
                "is_key_insight": row["is_key_insight"],
                "quotes": row["quotes"],
                "insightful": row["insightful"],
                "excerpt": texts.excerpt(row["post_id"], group),
            }
        )
    return answers


def _key_insights(group, reader: Reader, activity: Activity, texts: _Texts, shown: set) -> list:
    insights = []
    for row in activity.key_insights.get(group.pk, []):
        if len(insights) == KEY_INSIGHTS_SHOWN:
            break
        if row["created_at"] < reader.since or row["post_id"] in shown or not _unseen(row, reader):
            continue
        insights.append(
            {
                "url": post_url(row["post_id"]),
                "thread": row["title"],
                "author": _author_name(row["author_id"], texts.names, row["chatham_house"]),
                "excerpt": texts.excerpt(row["post_id"], group),
            }
        )
    return insights


def _outcomes(group, reader: Reader, activity: Activity) -> list:
    outcomes = []
    for outcome in activity.outcomes_by_group.get(group.pk, []):
        if outcome.created_at < reader.since or outcome.author_id == reader.user.pk:
            continue
        key = ("outcome", outcome.pk, reader.language, group.emails_titles_only)
        outcomes.append(dict(activity.remember(key, lambda: _outcome_item(outcome, group))))
    return outcomes


def _outcome_item(outcome, group) -> dict:
    if outcome.prompt_id:
        title, url = bilingual.text(outcome.prompt, "title"), thread_url(outcome.prompt.thread_id, outcome.prompt.title)
    else:
        title = gettext("Summary of %(topic)s") % {"topic": outcome.topic.title}
        url = absolute(outcome.topic.get_absolute_url())
    text = "" if group.emails_titles_only else excerpt(bilingual.text(outcome, "takeaways_html"))
    return {"title": title, "url": url, "excerpt": text}


def _active_threads(group, reader: Reader, activity: Activity) -> list:
    """The busiest threads of the member's window, by distinct participants then posts, that hold news for them."""
    threads = []
    for thread_id in activity.active_candidates.get(group.pk, []):
        posts = activity.thread_posts[thread_id]
        first, unread = activity.first_unread(thread_id, reader.reads.get(thread_id, 0), reader.user.pk, reader.since)
        if first is None:
            continue
        participants, count = activity.window_counts(thread_id, reader.since)
        threads.append(
            {
                "title": posts.title,
                "topic": posts.topic_title,
                "url": post_url(first),
                "participants": participants,
                "posts": count,
                "unread": unread,
            }
        )
    threads.sort(key=lambda item: (-item["participants"], -item["posts"]))
    return threads[:ACTIVE_THREADS_SHOWN]


CONTENT_SECTIONS = (
    "closing_soon", "prompts", "best_answers", "outcomes", "key_insights", "active_threads", "addressed", "new_members"
)


def _group_section(membership, reader: Reader, activity: Activity, texts: _Texts) -> dict | None:
    """One group's part of a member's digest, or None when nothing in it is new to them."""
    group = membership.group
    prompts, closing_soon = _prompt_lists(group, reader, activity)
    best_answers = _best_answers(group, reader, activity, texts)
    addressed = [
        addressed_item(notice, group, texts) for notice in reader.notices if notice["group_id"] == group.pk
    ][:ADDRESSED_SHOWN]
    new_members, new_member_count = activity.new_members(membership, since=reader.since)
    section = {
        "group": group,
        "name": group.name,
        "url": activity.remember(("group", group.pk, group.slug), lambda: absolute(group.get_absolute_url())),
        "titles_only": group.emails_titles_only,
        "closing_soon": closing_soon,
        "prompts": prompts,
        "best_answers": best_answers,
        "outcomes": _outcomes(group, reader, activity),
        "key_insights": _key_insights(group, reader, activity, texts, {item["post_id"] for item in best_answers}),
        "active_threads": _active_threads(group, reader, activity),
        "addressed": addressed,
        "new_members": new_members,
        "more_new_members": new_member_count - len(new_members),
    }
    if not any(section[name] for name in CONTENT_SECTIONS):
        return None
    section["headline"] = _headline(section)
    return section


def _member_digest(reader: Reader, memberships: list, activity: Activity, texts: _Texts) -> dict | None:
    """The digest of one member from the batch's data: a section per group that has something new, or None."""
    sections = [
        section
        for membership in memberships
        if (section := _group_section(membership, reader, activity, texts)) is not None
    ]
    if not sections:
        return None
    if reader.frequency == DigestFrequency.DAILY:
        label = pgettext("digest frequency, as in 'Your daily digest'", "daily")
    else:
        label = pgettext("digest frequency, as in 'Your weekly digest'", "weekly")
    single = sections[0] if len(sections) == 1 else None
    return {
        "sections": sections,
        "frequency": reader.frequency,
        "frequency_label": label,
        "email_title": gettext("Your %(frequency)s digest") % {"frequency": label},
        "since": reader.since,
        "until": activity.now,
        "group": single["group"] if single else None,
        "groups_label": single["name"] if single else gettext("your %(count)s groups") % {"count": len(sections)},
        "member_of": join_names([membership.group.name for membership in memberships]),
        "headline": _listed(single["headline"]) if single else _summary(sections),
        "list_id": f"digest.{single['group'].slug}" if single else "digest.all-groups",
    }


def _headline(section: dict) -> list[str]:
    """The few counts that sum a group's section up, most pressing first (the subject line uses the first two)."""
    closing, addressed = len(section["closing_soon"]), len(section["addressed"])
    outcomes, active = len(section["outcomes"]), len(section["active_threads"])
    new_prompts = sum(1 for item in section["prompts"] if item["is_new"])
    parts = [
        closing and ngettext("%(count)s prompt closing soon", "%(count)s prompts closing soon", closing),
        new_prompts and ngettext("%(count)s new prompt", "%(count)s new prompts", new_prompts),
        addressed and ngettext("%(count)s note for you", "%(count)s notes for you", addressed),
        outcomes and ngettext("%(count)s new outcome", "%(count)s new outcomes", outcomes),
        active and ngettext("%(count)s active thread", "%(count)s active threads", active),
    ]
    counts = [closing, new_prompts, addressed, outcomes, active]
    return [text % {"count": count} for text, count in zip(parts, counts) if count][:2]


def _summary(sections: list[dict]) -> str:
    closing = sum(len(section["closing_soon"]) for section in sections)
    new_prompts = sum(1 for section in sections for item in section["prompts"] if item["is_new"])
    parts = []
    if closing:
        closing_text = ngettext("%(count)s prompt closing soon", "%(count)s prompts closing soon", closing)
        parts.append(closing_text % {"count": closing})
    if new_prompts:
        parts.append(ngettext("%(count)s new prompt", "%(count)s new prompts", new_prompts) % {"count": new_prompts})
    return _listed(parts)


def _listed(parts: list[str]) -> str:
    """ "2 new prompts, 1 active thread" ("2 个新提示问题，1 个活跃讨论串")."""
    return pgettext("separator between counts in a digest's headline", ", ").join(parts)


def _fetch_texts(activity: Activity, notices: dict) -> _Texts:
    """Names of the authors the batch's digests may name and excerpts of the posts they may quote: a query each."""
    rows = [row for rows in (*activity.best_answers.values(), *activity.key_insights.values()) for row in rows]
    author_ids = {row["author_id"] for row in rows} - {None}
    post_ids = {row["post_id"] for row in rows}
    post_ids |= {notice["post_id"] for user_notices in notices.values() for notice in user_notices if notice["post_id"]}
    names = {}
    if author_ids:
        users = User.objects.filter(pk__in=author_ids).values_list("pk", "display_name", "username")
        names = {pk: display_name or username for pk, display_name, username in users}
    bodies = {}
    if post_ids:
        bodies = {pk: excerpt(html) for pk, html in Post.objects.filter(pk__in=post_ids).values_list("pk", "body_html")}
    return _Texts(names=names, bodies=bodies)


def digest_contexts_for(users, *, now: datetime, groups=None, latest=None, failed=None) -> dict[int, dict | None]:
    """The digest of each of `users` at `now` ({user id: context, or None when nothing is new}).

    Made for batches: the number of queries is the same for five members or five hundred. `groups` limits the
    digests to those groups (a moderator's preview of a member); `latest` saves the query for the members'
    previous digests when the caller has it. With a `failed` set, a member whose digest cannot be composed is
    logged and added to it instead of stopping the others.
    """
    users = list(users)
    if not users:
        return {}
    user_ids = [user.pk for user in users]
    if latest is None:
        latest = latest_deliveries(user_ids)
    since_of = {
        user.pk: covered_since(user.digest_frequency, latest.get(user.pk, (None, None))[1], now) for user in users
    }
    memberships = Membership.objects.filter(user_id__in=user_ids).select_related("group")
    if groups is not None:
        memberships = memberships.filter(group__in=groups)
    memberships_of = defaultdict(list)
    for membership in memberships.order_by("group__name", "group_id"):
        memberships_of[membership.user_id].append(membership)
    group_ids = {membership.group_id for memberships in memberships_of.values() for membership in memberships}
    since = min(since_of.values())
    activity = Activity(group_ids=group_ids, since=since, now=now)

    prompt_thread_ids = {prompt.thread_id for prompt in activity.prompts}
    answered = answers.answered_prompt_ids(user_ids=user_ids, prompts=activity.prompts)
    voted = defaultdict(set)
    if activity.prompts:
        prompt_ids = [prompt.pk for prompt in activity.prompts]
        votes = Vote.objects.filter(user_id__in=user_ids, poll__prompt_id__in=prompt_ids)
        for user_id, prompt_id in votes.values_list("user_id", "poll__prompt_id"):
            voted[user_id].add(prompt_id)

    group_ids_of = {user_id: {m.group_id for m in ms} for user_id, ms in memberships_of.items()}
    notices = unread_notices(users, since, now, group_ids_of) if group_ids else {}

    thread_ids = prompt_thread_ids | set(activity.thread_posts)
    thread_ids.update(row["thread_id"] for rows in activity.key_insights.values() for row in rows)
    thread_ids.discard(None)
    reads = defaultdict(dict)
    if thread_ids:
        markers = ThreadRead.objects.filter(user_id__in=user_ids, thread_id__in=thread_ids)
        for user_id, thread_id, number in markers.values_list("user_id", "thread_id", "last_read_number"):
            reads[user_id][thread_id] = number
    texts = _fetch_texts(activity, notices)

    contexts = {}
    for user in users:
        user_reads = reads.get(user.pk, {})
        reader = Reader(
            user=user,
            since=since_of[user.pk],
            frequency=user.digest_frequency,
            reads=user_reads,
            answered=answered.get(user.pk, set()),
            voted=voted.get(user.pk, set()),
            notices=[
                notice
                for notice in notices.get(user.pk, [])
                if notice["created_at"] >= since_of[user.pk]
            ],
        )
        try:
            # In the member's language (a worker has no request); one who never chose gets the active language,
            # which is the site's in a worker and the reader's on the preview page.
            with languages.speaking(user, fallback=translation.get_language()):
                reader.language = translation.get_language()
                contexts[user.pk] = _member_digest(reader, memberships_of.get(user.pk, []), activity, texts)
        except Exception:
            if failed is None:
                raise
            logger.exception("Could not compose the digest of member %s", user.pk)
            failed.add(user.pk)
            contexts[user.pk] = None
    return contexts


def digest_context(user, *, now: datetime, groups=None) -> dict | None:
    """What `user` would receive at `now` (for the preview page and tests); None when nothing is new."""
    return digest_contexts_for([user], now=now, groups=groups)[user.pk]


def build_digest_message(user, context: dict, *, reused: dict | None = None):
    """The email for a digest context: subject, plain text and HTML, rendered on the member's clock.

    A batch passes the same `reused` dict for each of its members: the parts of the templates that read the same
    for many members are rendered once per language and clock ({% reuse %}, discussions/templatetags/digest_tags.py).
    """
    zone = zone_named(user.timezone)
    with languages.speaking(user), timezone.override(zone):
        if reused is not None:
            context = {**context, REUSED: reused.setdefault((translation.get_language(), zone), {})}
        message = build_email(
            template="digest", user=user, context=context, scope=DIGEST_SCOPE, list_id=context["list_id"]
        )
    return mark_bulk(message)  # delivered from the digest queue, behind no urgent mail and in front of none
