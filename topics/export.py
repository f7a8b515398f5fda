"""The Markdown export of a topic: its briefing, conclusions, prompts with their polls, and the posts, as a member
may read them (Chatham House authors left out)."""

import re
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.utils import dateformat, formats, timezone
from django.utils.translation import gettext, ngettext

from discussions.models import Post, Thread
from groupsite import clock
from topics import bilingual, polls
from topics.models import Membership, Outcome, Poll, Prompt, Topic, Vote
from topics.outcomes import ANONYMOUS_AUTHOR, SECTIONS


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
