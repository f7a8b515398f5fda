"""What a group concluded: prompt outcomes, topic summaries, key insights and the Markdown export of a topic."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import dateformat, formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy, ngettext

from discussions import excerpts
from discussions.models import Post, Thread
from discussions.search import index as search_index
from groupsite import clock
from topics import audit, bilingual, polls
from topics.audit import AuditAction
from topics.models import Membership, Outcome, OutcomeRevision, Poll, Prompt, Topic, Vote

ANONYMOUS_AUTHOR = "A participant"
CITE_EXCERPT_CHARS = 120  # enough to tell the posts apart in the list below the outcome form
SECTIONS = (("takeaways", gettext_lazy("Key takeaways")), ("open_questions", gettext_lazy("Open questions")),
            ("dissent", gettext_lazy("Dissent")))
TRANSLATED_SECTIONS = tuple(name for name, _ in SECTIONS)
# What a moderator writes (topics.bilingual: the other language's sections too); unchanged, an edit records nothing.
TRANSLATION_FIELDS = ("language", *(f"{name}_translated" for name in TRANSLATED_SECTIONS))
EDITABLE_FIELDS = (*TRANSLATED_SECTIONS, "review_on", *TRANSLATION_FIELDS)
REVISION_FIELDS = (*EDITABLE_FIELDS, *(f"{name}{end}" for name in TRANSLATED_SECTIONS for end in ("_html", "_translated_html")))


def _existing(*, topic: Topic, prompt: Prompt | None, lock: bool = False) -> Outcome | None:
    outcomes = Outcome.objects.select_for_update() if lock else Outcome.objects.all()
    if prompt is not None:
        return outcomes.filter(prompt=prompt).first()
    return outcomes.filter(topic=topic, prompt__isnull=True).first()


def outcome_for(*, topic: Topic, prompt: Prompt | None = None) -> Outcome | None:
    """A prompt's outcome, or the topic's summary when there is no prompt; None if not written yet."""
    outcome = _existing(topic=topic, prompt=prompt)
    if outcome is not None:
        outcome.topic = topic
        outcome.prompt = prompt
    return outcome


@transaction.atomic
def save_outcome(
    *,
    prompt: Prompt | None = None,
    topic: Topic,
    author,
    takeaways: str,
    open_questions: str = "",
    dissent: str = "",
    review_on: date | None = None,
    language: str = "",
    now: datetime,
    **translated: str,
) -> Outcome:
    """Write a prompt's outcome (or, without a prompt, the topic's summary); an edit keeps the old text as a revision.

    `language` is the text's original language (empty: unchanged, or the site's for a new outcome) and `translated`
    the other language's sections a moderator wrote (`takeaways_translated`…). Saving the same text again changes
    nothing and records no revision.
    """
    if not takeaways.strip():
        raise ValidationError(gettext("Write the key takeaways."))
    if prompt is not None and prompt.topic_id != topic.pk:
        raise ValidationError(gettext("The prompt belongs to another topic."))
    values = {"takeaways": takeaways, "open_questions": open_questions, "dissent": dissent, "review_on": review_on}
    values |= {f"{name}_translated": translated.pop(f"{name}_translated", "") for name in TRANSLATED_SECTIONS}
    if translated:
        raise TypeError(f"Unexpected fields: {sorted(translated)}")
    if bilingual.translation_errors(values, TRANSLATED_SECTIONS):
        raise ValidationError(gettext("The other language's version must have the original's sections, no more."))
    if language:
        values["language"] = language
    outcome = _existing(topic=topic, prompt=prompt, lock=True)
    if outcome is None:
        try:
            # A savepoint: when another moderator's first version wins the race, the unique constraints
            # (one outcome per prompt, one summary per topic) reject this one, which then becomes an edit.
            with transaction.atomic():
                outcome = Outcome.objects.create(
                    topic=topic, prompt=prompt, author=author, created_at=now, updated_at=now, **values
                )
            _log_outcome(outcome, author=author, now=now)
            search_index.index_outcome(outcome)
            return outcome
        except IntegrityError:
            outcome = _existing(topic=topic, prompt=prompt, lock=True)
    if all(getattr(outcome, name) == value for name, value in values.items()):
        return outcome
    OutcomeRevision.objects.create(
        outcome=outcome,
        author_id=outcome.author_id,
        written_at=outcome.updated_at,
        **{name: getattr(outcome, name) for name in REVISION_FIELDS},
    )
    for name, value in values.items():
        setattr(outcome, name, value)
    outcome.author = author
    outcome.updated_at = now
    outcome.save()
    _log_outcome(outcome, author=author, now=now)
    search_index.index_outcome(outcome)
    return outcome


def _log_outcome(outcome: Outcome, *, author, now: datetime) -> None:
    prompt = outcome.prompt
    summary = f"Outcome of “{prompt.title}”" if prompt is not None else f"Summary of {outcome.topic.title}"
    audit.record(
        actor=author,
        action=AuditAction.OUTCOME_EDIT,
        group=outcome.topic.group,
        prompt=prompt,
        thread=prompt.thread if prompt is not None else None,
        summary=summary,
        now=now,
    )


def flag_review_due(outcomes, *, today: date) -> None:
    """Set `review_due` on each outcome (None skipped) for templates, which show but do not decide."""
    for outcome in outcomes:
        if outcome is not None:
            outcome.review_due = outcome.is_due_for_review(today)


def group_today(group) -> date:
    """Today on the group's clock: a review date falls due at the group's midnight."""
    return timezone.now().astimezone(group.tzinfo).date()


@dataclass
class Version:
    """One version of an outcome for the history page, newest first."""

    author: object
    written_at: datetime
    review_on: date | None
    sections: list[tuple[str, str]]  # (heading, safe HTML), empty sections left out
    is_current: bool = False
    changed: list[str] = field(default_factory=list)  # what this version changed from the one before it


def outcome_history(outcome: Outcome) -> list[Version]:
    """The current text and every earlier one, each saying who wrote it, when, and which parts it changed."""
    rows = [outcome, *outcome.revisions.select_related("author")]
    versions = []
    for index, row in enumerate(rows):
        is_current = index == 0
        sections = []
        for name, heading in SECTIONS + bilingual.translated_headings(SECTIONS):
            if not getattr(row, name).strip():
                continue
            html = mark_safe(getattr(row, f"{name}_html"))  # sanitized by render_markdown when first saved
            sections.append((heading, html))
        versions.append(
            Version(
                author=row.author,
                written_at=row.updated_at if is_current else row.written_at,
                review_on=row.review_on,
                sections=sections,
                is_current=is_current,
            )
        )
    for newer, older, version in zip(rows, rows[1:], versions):
        version.changed = [heading for name, heading in SECTIONS if getattr(newer, name) != getattr(older, name)]
        if newer.review_on != older.review_on:
            version.changed.append(gettext("Review date"))
        if any(getattr(newer, name) != getattr(older, name) for name in TRANSLATION_FIELDS):
            version.changed.append(gettext("Original language or other-language version"))
    return versions


def mark_key_insight(*, post: Post, by) -> bool:
    """Mark a post as a key insight; False if it already was one or has been removed."""
    changed = Post.objects.shown().filter(pk=post.pk, is_key_insight=False).update(
        is_key_insight=True, key_insight_by=by
    )
    if changed:
        post.is_key_insight, post.key_insight_by = True, by
    return bool(changed)


def unmark_key_insight(*, post: Post) -> bool:
    changed = Post.objects.filter(pk=post.pk, is_key_insight=True).update(is_key_insight=False, key_insight_by=None)
    if changed:
        post.is_key_insight, post.key_insight_by = False, None
    return bool(changed)


def key_insights(topic: Topic, *, show_all_authors: bool) -> list[Post]:
    """The topic's key insights, newest first, each with `author_hidden` (the Chatham House rule, for members)."""
    posts = (
        Post.objects.shown().filter(thread__topic=topic, is_key_insight=True)
        .select_related("author", "thread__prompt")
        .order_by("-created_at", "-pk")
    )
    posts = list(posts)
    for post in posts:
        post.author_hidden = not show_all_authors and post.thread.is_chatham_house
    return posts


def topic_conclusions(topic: Topic, *, show_all_authors: bool, today: date) -> dict:
    """The topic page's record of conclusions: its summary, its prompts' outcomes and its key insights.

    Two queries, however many outcomes and insights there are.
    """
    published = [Prompt.Status.OPEN, Prompt.Status.CLOSED]
    outcomes = list(
        Outcome.objects.filter(topic=topic)
        .filter(Q(prompt__isnull=True) | Q(prompt__status__in=published))
        .select_related("author", "prompt")
        .order_by("-prompt__published_at", "-pk")
    )
    summary = next((outcome for outcome in outcomes if outcome.prompt_id is None), None)
    prompt_outcomes = [outcome for outcome in outcomes if outcome.prompt_id is not None]
    for outcome in outcomes:
        outcome.topic = topic
    flag_review_due(outcomes, today=today)
    return {
        "topic_summary": summary,
        "prompt_outcomes": prompt_outcomes,
        "key_insights": key_insights(topic, show_all_authors=show_all_authors),
    }


def citable_posts(thread: Thread) -> list[dict]:
    """The thread's posts as ready-made Markdown links for an outcome, unnamed under the Chatham House rule."""
    anonymous = thread.is_chatham_house
    posts = thread.posts.shown().select_related("author").order_by("number")
    cites = []
    for post in posts:
        name = None if anonymous else post.author.public_name if post.author else gettext("a former member")
        label = gettext("post %(number)s") if name is None else gettext("post %(number)s by %(name)s")
        label %= {"number": post.number, "name": name}
        markdown = f"[{label}]({post.get_absolute_url()})"
        text = excerpts.excerpt(post.body_html, CITE_EXCERPT_CHARS)
        cites.append({"post": post, "markdown": markdown, "excerpt": text})
    return cites


def citable_for_summary(topic: Topic) -> list[dict]:
    """For a topic summary: its key insights and its prompt threads."""
    cites = []
    for post in key_insights(topic, show_all_authors=False):
        named = not post.author_hidden and post.author
        label = gettext("key insight by %(name)s in “%(title)s”") if named else gettext("key insight in “%(title)s”")
        label %= {"name": post.author.public_name if named else "", "title": post.thread.title}
        cites.append(
            {
                "post": post,
                "markdown": f"[{label}]({post.get_absolute_url()})",
                "excerpt": excerpts.excerpt(post.body_html, CITE_EXCERPT_CHARS),
            }
        )
    prompts = Prompt.objects.published().filter(topic=topic, thread__isnull=False).order_by("published_at")
    for prompt in prompts:
        label = gettext("prompt: %(title)s") % {"title": prompt.title}
        markdown = f"[{label}]({prompt.get_absolute_url()})"
        cites.append({"post": None, "markdown": markdown, "excerpt": ""})
    return cites


# The export ------------------------------------------------------------------------------------------------------


def _when(moment: datetime | None, tzinfo) -> str:
    """ "5 Mar 2030, 09:00 Shanghai time": the group's clock, named as on the site (groupsite.clock)."""
    if not moment:
        return ""
    written = dateformat.format(moment.astimezone(tzinfo), formats.get_format("DATETIME_FORMAT"))
    return f"{written} {clock.zone_label(tzinfo)}"


QUOTE_MARKERS = re.compile(r"^(?:\s{0,3}>)*")
FENCE = re.compile(r"\s{0,3}(```|~~~)")


def _tidy_blank_lines(text: str) -> str:
    """The post's Markdown with only the blank lines that part two blocks: one between paragraphs, none at the start
    or end of a quote. Typed runs of empty lines (and the `>` lines a quote-reply carries around them) disappear on
    the page, but in an exported, re-quoted text each would stay as a stray `>` line."""
    lines = text.strip().splitlines()
    depths = [QUOTE_MARKERS.match(line).group().count(">") for line in lines]
    blank = [not line[QUOTE_MARKERS.match(line).end() :].strip() for line in lines]
    kept: list[str] = []
    previous = None  # index of the last line kept
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE.match(line[QUOTE_MARKERS.match(line).end() :]):
            in_fence = not in_fence
        if blank[index] and not in_fence:
            following = next((i for i in range(index + 1, len(lines)) if not blank[i]), None)
            depth = depths[index]
            if previous is None or blank[previous] or following is None:
                continue
            if depths[previous] < depth or depths[following] < depth:
                continue  # an empty line at the edge of a quote parts nothing
            line = " ".join(">" * depth) if depth else ""
        kept.append(line)
        previous = index
    return "\n".join(kept)


def _quote(text: str) -> str:
    """A post body as a Markdown blockquote, so its own headings and lists stay inside it."""
    return "\n".join(f"> {line}" if line.strip() else ">" for line in _tidy_blank_lines(text).splitlines())


QUOTE_ATTRIBUTION = re.compile(r"^(>*\s*)\*\*[^*\n]+\*\* wrote:\s*$", re.MULTILINE)


def _anonymise(text: str, names: set[str]) -> str:
    """Take the participants' names out of a Chatham House thread's text: quote attributions first, then mentions."""
    text = QUOTE_ATTRIBUTION.sub(lambda match: f"{match.group(1)}**{ANONYMOUS_AUTHOR}** wrote:", text)
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "a participant", text)
    return text


def _outcome_markdown(outcome: Outcome, *, level: int, tzinfo) -> list[str]:
    hashes = "#" * level
    lines = []
    for name, heading in SECTIONS:
        text = getattr(outcome, name).strip()
        if text:
            lines += [f"{hashes} {heading}", "", text, ""]
    lines += bilingual.translation_markdown(outcome, level=level, headings=dict(SECTIONS))
    by = outcome.author.public_name if outcome.author else gettext("a former moderator")
    updated = _when(outcome.updated_at, tzinfo)
    note = "*" + gettext("Written by %(name)s, last updated %(when)s.") % {"name": by, "when": updated}
    if outcome.review_on:
        note += " " + gettext("To be reviewed on %(day)s.") % {"day": f"{outcome.review_on:%d %b %Y}"}
    lines += [note + "*", ""]
    return lines


def _poll_markdown(poll, *, member_count: int, anonymous: bool, results_shown: bool = True) -> list[str]:
    lines = ["#### " + gettext("Poll"), ""]
    if poll.statement:
        lines += [gettext("Statement: “%(statement)s”") % {"statement": poll.statement}, ""]
    if not results_shown:
        options = ", ".join(f"“{option.display_label}”" for option in poll.options.all())
        if poll.results_visibility == Poll.Results.AFTER_VOTING:
            when = gettext("once you have voted, or when the prompt closes")
        else:
            when = gettext("when the prompt closes")
        note = gettext("Options: %(options)s. The results are shown %(when)s.") % {"options": options, "when": when}
        return [*lines, note, ""]
    results = polls.poll_results(poll, member_count=member_count)
    lines += ["| %s | %s | %s |" % (gettext("Option"), gettext("Votes"), gettext("Share")), "| --- | ---: | ---: |"]
    for result in results.options:
        label = result.option.display_label.replace("|", "\\|")
        lines.append(f"| {label} | {result.votes} | {result.percent}% |")
    voted = ngettext("%(voters)s of %(members)s member voted.", "%(voters)s of %(members)s members voted.",
                     results.members)
    lines += ["", voted % {"voters": results.voters, "members": results.members}]
    if results.quorum is not None:
        met = (gettext("Quorum of %(quorum)s met.") if results.quorum_met
               else gettext("Quorum of %(quorum)s not met: the result is not conclusive."))
        lines[-1] += " " + met % {"quorum": results.quorum}
    lines.append("")
    reasons = poll.votes.exclude(reason="").select_related("option", "user").order_by("option__position", "created_at")
    reason_lines = []
    for vote in reasons:
        # A name may hold its own brackets ("Grace Chan (demo member)"), so the voter is not put in brackets.
        who = "" if anonymous else f" · {vote.user.public_name}"
        reason = " ".join(vote.reason.split())
        reason_lines.append(f"- **{vote.option.display_label}**{who}: {reason}")
    if reason_lines:
        lines += [gettext("Reasons given:"), "", *reason_lines, ""]
    return lines


def _posts_markdown(posts: list[Post], *, anonymous: bool, level: int, tzinfo) -> list[str]:
    hashes = "#" * level
    names = {post.author.public_name for post in posts if post.author} if anonymous else set()
    lines = []
    for post in posts:
        if anonymous:
            who = ANONYMOUS_AUTHOR
            body = _anonymise(post.body, names)
        else:
            who = post.author.public_name if post.author else gettext("A former member")
            body = post.body
        heading = f"{hashes} {post.number}. {who}, {_when(post.created_at, tzinfo)} · [link]({post.get_absolute_url()})"
        lines += [heading, "", _quote(body), ""]
    return lines or ["*" + gettext("No posts.") + "*", ""]


SITE_LINK = re.compile(r"\]\((/[^)\s]*)\)")


def export_topic_markdown(topic: Topic, *, member=None, base_url: str = "") -> str:
    """The whole topic as one Markdown document: briefing, summary, prompts with polls and outcomes, insights, posts.

    Removed and hidden posts are left out, and under the Chatham House rule no author in that prompt's thread is
    named, whoever exports. Without `member` it is the moderators' export; with one, what that member may read:
    a poll's results only where the thread would show them to them. `base_url` ("https://example.org") turns
    the site's own links, such as cited posts, into full addresses that still work once the text is pasted elsewhere.
    """
    group = topic.group
    tzinfo = group.tzinfo
    member_count = Membership.objects.filter(group=group).count()
    prompts = list(
        Prompt.objects.published()
        .filter(topic=topic)
        .select_related("thread", "poll", "outcome__author")
        .order_by("published_at", "pk")
    )
    threads = list(Thread.objects.filter(topic=topic).order_by("created_at", "pk"))
    posts_by_thread: dict[int, list[Post]] = {}
    for post in Post.objects.shown().filter(thread__topic=topic).select_related("author"):
        posts_by_thread.setdefault(post.thread_id, []).append(post)
    summary = Outcome.objects.filter(topic=topic, prompt__isnull=True).select_related("author").first()
    anonymous_threads = {prompt.thread_id for prompt in prompts if prompt.chatham_house}
    anonymous_threads |= set(
        Prompt.objects.filter(topic=topic, chatham_house=True, thread__isnull=False).values_list("thread_id", flat=True)
    )

    now = timezone.now()
    voted = set()
    if member is not None:
        voted = set(Vote.objects.filter(user=member, poll__prompt__topic=topic).values_list("poll_id", flat=True))
    exported = _when(now, tzinfo)
    header = gettext("%(group)s · exported %(when)s from [the topic page](%(url)s)")
    header = "*" + header % {"group": group.name, "when": exported, "url": topic.get_absolute_url()} + "*"
    lines = [f"# {topic.title}", "", header, ""]
    if topic.briefing.strip():
        lines += ["## " + gettext("Briefing"), "", topic.briefing.strip(), "", *bilingual.translation_markdown(topic, level=3)]
    if summary is not None:
        lines += ["## " + gettext("Summary"), "", *_outcome_markdown(summary, level=3, tzinfo=tzinfo)]

    if prompts:
        lines += ["## " + gettext("Prompts"), ""]
    for prompt in prompts:
        anonymous = prompt.chatham_house
        lines += [f"### {prompt.title}", ""]
        facts = [
            gettext("Status: %(status)s") % {"status": prompt.get_status_display().lower()},
            gettext("published %(when)s") % {"when": _when(prompt.published_at, tzinfo)},
        ]
        if prompt.status == Prompt.Status.CLOSED and prompt.closed_at:
            facts.append(gettext("closed %(when)s") % {"when": _when(prompt.closed_at, tzinfo)})
        elif prompt.closes_at:
            facts.append(gettext("closes %(when)s") % {"when": _when(prompt.closes_at, tzinfo)})
        lines += [" · ".join(facts) + ".", ""]
        if anonymous:
            held = gettext("Held under the Chatham House rule: what was said is reported, not who said it.")
            lines += [f"*{held}*", ""]
        if prompt.context.strip():
            lines += [prompt.context.strip(), ""]
        lines += bilingual.translation_markdown(prompt, level=4)
        try:
            poll = prompt.poll
        except ObjectDoesNotExist:
            poll = None
        if poll is not None:
            poll.prompt = prompt  # results_visible asks whether it closed
            has_voted = poll.pk in voted
            shown = member is None or polls.results_visible(poll, has_voted=has_voted, is_moderator=False, now=now)
            lines += _poll_markdown(poll, member_count=member_count, anonymous=anonymous, results_shown=shown)
        try:
            outcome = prompt.outcome
        except ObjectDoesNotExist:
            outcome = None
        if outcome is not None:
            lines += ["#### " + gettext("Outcome"), "", *_outcome_markdown(outcome, level=5, tzinfo=tzinfo)]
        if prompt.thread_id:
            lines += ["#### " + gettext("Posts"), ""]
            thread_posts = posts_by_thread.get(prompt.thread_id, [])
            lines += _posts_markdown(thread_posts, anonymous=anonymous, level=5, tzinfo=tzinfo)

    insights = [
        post
        for thread in threads
        for post in posts_by_thread.get(thread.pk, [])
        if post.is_key_insight
    ]
    if insights:
        lines += ["## " + gettext("Key insights"), ""]
        titles = {thread.pk: thread.title for thread in threads}
        for post in insights:
            anonymous = post.thread_id in anonymous_threads
            who = ANONYMOUS_AUTHOR if anonymous or not post.author else post.author.public_name
            body = post.body
            if anonymous:
                body = _anonymise(body, {p.author.public_name for p in posts_by_thread[post.thread_id] if p.author})
            lines += [
                f"- {who}, {_when(post.created_at, tzinfo)}, in “{titles[post.thread_id]}”, "
                f"[post {post.number}]({post.get_absolute_url()}):",
                "",
                "\n".join(f"  {line}" for line in _quote(body).splitlines()),
                "",
            ]

    prompt_threads = {prompt.thread_id for prompt in prompts} | anonymous_threads
    other_threads = [thread for thread in threads if thread.pk not in prompt_threads]
    if other_threads:
        lines += ["## " + gettext("Threads"), ""]
    for thread in other_threads:
        lines += [f"### {thread.title}", ""]
        lines += _posts_markdown(posts_by_thread.get(thread.pk, []), anonymous=False, level=4, tzinfo=tzinfo)

    text = "\n".join(lines).rstrip() + "\n"
    if base_url:
        text = SITE_LINK.sub(lambda match: f"]({base_url.rstrip('/')}{match.group(1)})", text)
    return text


def export_filename(topic: Topic) -> str:
    return f"{topic.group.slug}-{topic.slug}.md"
