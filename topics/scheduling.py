"""Prompts over time: publishing, closing, reopening and the weekly programme.

Every function takes the current time as an argument, so tests put the clock where they need it
(exactly due, one second early, missed for a day) and the Celery task only passes `timezone.now()`.
Each state change is a conditional UPDATE: when two workers or two beat ticks race, the database
lets exactly one of them move a prompt, and only that one does the follow-up work.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Max

from discussions import tasks as discussion_tasks
from discussions.models import Thread
from discussions.search import index as search_index
from discussions.services import start_thread
from groupsite import freshness, outbox
from topics import audit, page_parts
from topics.audit import AuditAction
from topics.models import Membership, Milestone, Prompt, PromptAnnouncement, PromptProgramme, Topic


def next_weekly_occurrence(*, weekday: int, at: time, tzinfo, after: datetime) -> datetime:
    """The first moment strictly after `after` that is `weekday` at `at` on the local clock of `tzinfo`.

    Local wall-clock time is what people expect across daylight saving changes ("Tuesday 09:00" stays
    09:00). A local time that does not exist (skipped by a spring-forward) resolves forwards by fold=0.
    """
    local_after = after.astimezone(tzinfo)
    day = local_after.date()
    for offset in range(0, 8):
        candidate_day = day + timedelta(days=offset)
        if candidate_day.weekday() != weekday:
            continue
        candidate = datetime.combine(candidate_day, at, tzinfo=tzinfo)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a weekday recurs within eight days")


def publish_at_from_milestone(milestone: Milestone, offset_days: int) -> datetime:
    return milestone.happens_at + timedelta(days=offset_days)


@transaction.atomic
def publish_prompt(*, prompt_id: int, now: datetime, allowed_from=(Prompt.Status.SCHEDULED,), by=None) -> bool:
    """Open a prompt's discussion thread, pinned at the top of its topic; False if someone else got there first."""
    moved = Prompt.objects.filter(pk=prompt_id, status__in=allowed_from).update(
        status=Prompt.Status.OPEN, published_at=now
    )
    if not moved:
        return False
    prompt = Prompt.objects.select_related("topic__group", "author").get(pk=prompt_id)
    if prompt.publish_at is None or prompt.publish_at > now:
        prompt.publish_at = now
    thread = start_thread(
        topic=prompt.topic, author=prompt.author, title=prompt.title, body=_opening_post(prompt), now=now, is_pinned=True
    )
    Prompt.objects.filter(pk=prompt.pk).update(thread=thread, publish_at=prompt.publish_at)
    prompt.thread, prompt.status, prompt.published_at = thread, Prompt.Status.OPEN, now
    page_parts.prompt_changed(prompt.pk)
    search_index.index_prompt(prompt)
    search_index.index_thread(thread, with_posts=True)  # now a prompt's thread: the Chatham House rule applies
    _record_announcements(prompt, now)
    _log_prompt_action(prompt_id, by=by, action=AuditAction.PROMPT_PUBLISH, now=now)
    outbox.enqueue(discussion_tasks.notify_prompt_published, prompt_id, now.isoformat())
    return True


def _opening_post(prompt: Prompt) -> str:
    # No closing time here: a stored post cannot follow the prompt being closed early or reopened. The thread's
    # prompt panel says whether it is open, and until when, from the prompt itself.
    parts = [f"**Prompt:** {prompt.title}"]
    if prompt.context.strip():
        parts.append(prompt.context.strip())
    return "\n\n".join(parts)


def _record_announcements(prompt: Prompt, now: datetime) -> None:
    """The hook for notifications: one row per member who should hear about this prompt."""
    member_ids = Membership.objects.filter(group_id=prompt.topic.group_id).values_list("user_id", flat=True)
    PromptAnnouncement.objects.bulk_create(
        [PromptAnnouncement(prompt=prompt, user_id=user_id, created_at=now) for user_id in member_ids],
        ignore_conflicts=True,
    )


@transaction.atomic
def close_prompt(*, prompt_id: int, now: datetime, by=None) -> bool:
    """Stop replies in an open prompt's thread and unpin it; False if it was not open."""
    moved = Prompt.objects.filter(pk=prompt_id, status=Prompt.Status.OPEN).update(
        status=Prompt.Status.CLOSED, closed_at=now
    )
    if moved:
        Thread.objects.filter(prompt__pk=prompt_id).update(is_locked=True, is_pinned=False)
        page_parts.prompt_changed(prompt_id)  # the beat's closing too: every page showing it, at once
        _log_prompt_action(prompt_id, by=by, action=AuditAction.PROMPT_CLOSE, now=now)
    return bool(moved)


@transaction.atomic
def reopen_prompt(*, prompt_id: int, now: datetime, closes_at: datetime | None = None, by=None) -> bool:
    """Take replies again until `closes_at` (or until closed by hand)."""
    if closes_at is not None and closes_at <= now:
        raise ValueError("A reopened prompt must close in the future.")
    moved = Prompt.objects.filter(pk=prompt_id, status=Prompt.Status.CLOSED).update(
        status=Prompt.Status.OPEN, closed_at=None, closes_at=closes_at
    )
    if moved:
        Thread.objects.filter(prompt__pk=prompt_id).update(is_locked=False, is_pinned=True)
        page_parts.prompt_changed(prompt_id)
        _log_prompt_action(prompt_id, by=by, action=AuditAction.PROMPT_REOPEN, now=now)
    return bool(moved)


def _log_prompt_action(prompt_id: int, *, by, action: str, now: datetime) -> None:
    """A moderator's publishing, closing or reopening goes in the moderation log; the schedule's own do not."""
    if by is None:
        return
    prompt = Prompt.objects.select_related("topic__group", "thread").get(pk=prompt_id)
    audit.record(
        actor=by, action=action, group=prompt.topic.group, prompt=prompt, thread=prompt.thread, summary=prompt.title, now=now
    )


def publish_due_prompts(*, now: datetime) -> list[int]:
    """Publish every scheduled prompt whose time has come, including any missed while no worker ran."""
    published = []
    for prompt_id in Prompt.objects.due_to_publish(now).order_by("publish_at").values_list("pk", flat=True):
        if publish_prompt(prompt_id=prompt_id, now=now):
            published.append(prompt_id)
    return published


def close_due_prompts(*, now: datetime) -> list[int]:
    closed = []
    for prompt_id in Prompt.objects.due_to_close(now).values_list("pk", flat=True):
        if close_prompt(prompt_id=prompt_id, now=now):
            closed.append(prompt_id)
    return closed


def next_backlog_prompt(programme: PromptProgramme) -> Prompt | None:
    """The next prompt to release: the first of the backlog in the topic after the last one, rotating."""
    topics = list(programme.group.topics.order_by("position", "pk"))
    if not topics:
        return None
    start = 0
    if programme.last_topic_id is not None:
        ids = [topic.pk for topic in topics]
        if programme.last_topic_id in ids:
            start = ids.index(programme.last_topic_id) + 1
    for topic in topics[start:] + topics[:start]:
        prompt = (
            Prompt.objects.filter(topic=topic, status=Prompt.Status.BACKLOG)
            .order_by("backlog_position", "created_at", "pk")
            .first()
        )
        if prompt is not None:
            return prompt
    return None


def release_due_programmes(*, now: datetime) -> list[int]:
    """For each active programme whose release time has come, open the next backlog prompt."""
    released = []
    due = PromptProgramme.objects.filter(is_active=True, next_release_at__lte=now).select_related("group")
    for programme in due:
        prompt_id = release_programme(programme_id=programme.pk, now=now)
        if prompt_id is not None:
            released.append(prompt_id)
    return released


def release_closing_time(prompt: Prompt, programme: PromptProgramme, *, now: datetime) -> datetime | None:
    """When a prompt released `now` closes: its own closing time, as the moderator set it; without one (or once it
    has passed), the programme's "open for days"; without that, it stays open until closed by hand."""
    if prompt.closes_at is not None and prompt.closes_at > now:
        return prompt.closes_at
    return now + timedelta(days=programme.open_for_days) if programme.open_for_days else None


@transaction.atomic
def release_programme(*, programme_id: int, now: datetime) -> int | None:
    programme = PromptProgramme.objects.select_related("group").get(pk=programme_id)
    due_at = programme.next_release_at
    if not programme.is_active or due_at is None or due_at > now:
        return None
    following = next_weekly_occurrence(
        weekday=programme.weekday, at=programme.time_of_day, tzinfo=programme.group.tzinfo, after=now
    )
    # Moving next_release_at on from the value read is the claim: a racing tick finds it changed and stops.
    claimed = PromptProgramme.objects.filter(pk=programme.pk, next_release_at=due_at).update(next_release_at=following)
    if not claimed:
        return None
    prompt = next_backlog_prompt(programme)
    if prompt is None:
        return None  # an empty backlog waits for the next release time
    # Only while it is still in the backlog: a moderator may have published it by hand a moment ago.
    if not Prompt.objects.filter(pk=prompt.pk, status=Prompt.Status.BACKLOG).update(
        publish_at=now, closes_at=release_closing_time(prompt, programme, now=now)
    ):
        return None
    if programme.close_previous and programme.last_prompt_id:
        close_prompt(prompt_id=programme.last_prompt_id, now=now)
    publish_prompt(prompt_id=prompt.pk, now=now, allowed_from=(Prompt.Status.BACKLOG,))
    PromptProgramme.objects.filter(pk=programme.pk).update(last_topic=prompt.topic_id, last_prompt=prompt.pk)
    return prompt.pk


def schedule_programme(*, programme: PromptProgramme, now: datetime) -> PromptProgramme:
    """Set the programme's next release from its cadence (after saving a change to it)."""
    programme.next_release_at = (
        next_weekly_occurrence(
            weekday=programme.weekday, at=programme.time_of_day, tzinfo=programme.group.tzinfo, after=now
        )
        if programme.is_active
        else None
    )
    programme.save()
    return programme


def run_schedule(*, now: datetime) -> dict[str, list[int]]:
    """Everything the beat tick does, in order: release programmes, publish due prompts, close due prompts."""
    return {
        "released": release_due_programmes(now=now),
        "published": publish_due_prompts(now=now),
        "closed": close_due_prompts(now=now),
    }


def move_milestone(*, milestone: Milestone, happens_at: datetime) -> int:
    """Change a milestone's date and move the still-unpublished prompts that follow it."""
    milestone.happens_at = happens_at
    milestone.save(update_fields=["happens_at"])
    moved = 0
    for prompt in milestone.prompts.filter(status__in=[Prompt.Status.SCHEDULED, Prompt.Status.DRAFT]):
        new_publish_at = publish_at_from_milestone(milestone, prompt.milestone_offset_days or 0)
        if prompt.closes_at and prompt.publish_at:
            prompt.closes_at += new_publish_at - prompt.publish_at  # keep the prompt open as long as planned
        prompt.publish_at = new_publish_at
        prompt.save(update_fields=["publish_at", "closes_at"])
        moved += 1
    freshness.changed(groups=[milestone.group_id])  # the group's schedule
    return moved


def next_backlog_position(topic: Topic) -> int:
    highest = Prompt.objects.filter(topic=topic, status=Prompt.Status.BACKLOG).aggregate(Max("backlog_position"))
    return (highest["backlog_position__max"] or 0) + 1
