"""Moderators' work on prompts: writing, scheduling, publishing by hand, duplicating."""

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from discussions import changes
from discussions.search import index as search_index
from topics import page_parts, polls, scheduling
from topics.models import Membership, Prompt, Topic


def prompt_of(thread) -> Prompt | None:
    try:
        return thread.prompt
    except ObjectDoesNotExist:
        return None


def prompt_panel(prompt: Prompt, *, user, membership: Membership | None) -> dict:
    """Context for the prompt box at the top of its thread: status, poll and outcome."""
    context = {"prompt_outcome": getattr(prompt, "outcome", None)}  # None when no outcome is written yet
    try:
        poll = prompt.poll
    except ObjectDoesNotExist:
        poll = None
    if poll is not None:
        context.update(polls.poll_panel(poll, user=user, membership=membership))
    return context


def publish_now(*, prompt: Prompt, now: datetime, by=None) -> bool:
    """Publish a draft, scheduled or backlog prompt at once."""
    if prompt.closes_at is not None and prompt.closes_at <= now:
        Prompt.objects.filter(pk=prompt.pk).update(closes_at=None)
        page_parts.prompt_changed(prompt.pk)
    return scheduling.publish_prompt(
        prompt_id=prompt.pk,
        now=now,
        allowed_from=(Prompt.Status.DRAFT, Prompt.Status.SCHEDULED, Prompt.Status.BACKLOG),
        by=by,
    )


@transaction.atomic
def duplicate_prompt(*, prompt: Prompt, topic: Topic, author) -> Prompt:
    """A new draft with the same question, context and poll, in any topic the moderator runs."""
    copy = Prompt.objects.create(
        topic=topic,
        author=author,
        title=prompt.title,
        context=prompt.context,
        language=prompt.language,
        title_translated=prompt.title_translated,
        context_translated=prompt.context_translated,
        chatham_house=prompt.chatham_house,
        status=Prompt.Status.DRAFT,
    )
    search_index.index_prompt(copy)
    try:
        poll = prompt.poll
    except ObjectDoesNotExist:
        return copy
    polls.save_poll(
        prompt=copy,
        kind=poll.kind,
        options=list(poll.options.values_list("label", flat=True)),
        statement=poll.statement,
        reason_required=poll.reason_required,
        results_visibility=poll.results_visibility,
        quorum=poll.quorum,
    )
    return copy


@transaction.atomic
def save_prompt_translation(*, form) -> Prompt:
    """The other language's version of a published prompt (a PromptTranslationForm), searchable at once."""
    prompt = form.save_translation()
    changes.prompt_changed(prompt.pk)  # the panel and opening post in the other language
    search_index.index_prompt(prompt)
    page_parts.prompt_changed(prompt.pk)
    return prompt


@transaction.atomic
def save_prompt(*, form, author, now: datetime) -> tuple[Prompt, bool]:
    """Save a validated PromptForm: the prompt, its place in time and its poll. Returns (prompt, published)."""
    data = form.cleaned_data
    prompt = form.save(commit=False)
    if prompt.pk is None:
        prompt.author = author
    elif Prompt.objects.select_for_update().filter(pk=prompt.pk).published().exists():
        # The schedule published it while the moderator was editing: saving would undo the publishing.
        raise ValidationError(gettext("This prompt was published while you were editing it; reload the page."))
    when = data["when"]
    prompt.closes_at = data.get("closes_at")
    prompt.milestone = data.get("milestone")
    prompt.milestone_offset_days = data.get("milestone_offset_days") if prompt.milestone else None
    if when == form.When.SCHEDULE:
        prompt.status = Prompt.Status.SCHEDULED
        prompt.publish_at = data["publish_at"]
    elif when == form.When.BACKLOG:
        if prompt.status != Prompt.Status.BACKLOG:
            prompt.backlog_position = scheduling.next_backlog_position(prompt.topic)
        prompt.status = Prompt.Status.BACKLOG
        prompt.publish_at = None
    else:
        prompt.status = Prompt.Status.DRAFT
        # Publishing now sets publish_at to now; a later time left in the form would clash with closes_at.
        prompt.publish_at = data.get("publish_at") if when == form.When.DRAFT else None
    prompt.save()
    changes.prompt_changed(prompt.pk)  # a published prompt's thread shows it: its text, the Chatham House rule
    search_index.index_prompt(prompt)
    page_parts.prompt_changed(prompt.pk)
    poll = form.poll_settings()
    if poll is not None:
        polls.save_poll(prompt=prompt, **poll)
    else:
        polls.remove_poll(prompt=prompt)
    published = False
    if when == form.When.NOW:
        published = publish_now(prompt=prompt, now=now, by=author)
        prompt.refresh_from_db()
    return prompt, published
