"""What a group concluded: prompt outcomes, topic summaries and key insights (the Markdown export: topics/export.py)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from discussions import excerpts
from discussions.models import Post, Thread
from discussions.search import index as search_index
from groupsite import freshness
from topics import audit, bilingual
from topics.audit import AuditAction
from topics.models import Outcome, OutcomeRevision, Prompt, Topic

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
            _outcome_changed(outcome)
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
    _outcome_changed(outcome)
    return outcome


def _outcome_changed(outcome: Outcome) -> None:
    """The topic page shows outcomes and the summary; a prompt's thread shows its outcome too."""
    threads = [outcome.prompt.thread_id] if outcome.prompt is not None and outcome.prompt.thread_id else []
    freshness.changed(threads=threads, topics=[outcome.topic_id], groups=[outcome.topic.group_id])


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
        _key_insight_changed(post)
    return bool(changed)


def unmark_key_insight(*, post: Post) -> bool:
    changed = Post.objects.filter(pk=post.pk, is_key_insight=True).update(is_key_insight=False, key_insight_by=None)
    if changed:
        post.is_key_insight, post.key_insight_by = False, None
        _key_insight_changed(post)
    return bool(changed)


def _key_insight_changed(post: Post) -> None:
    """Its thread marks it, its topic page lists it."""
    thread = Thread.objects.filter(pk=post.thread_id).values("topic_id", "topic__group_id").get()
    freshness.changed(threads=[post.thread_id], topics=[thread["topic_id"]], groups=[thread["topic__group_id"]])


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
