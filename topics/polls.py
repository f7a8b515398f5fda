"""Stance polls: setting one up on a prompt, voting, and reading the results."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count

from topics.models import Membership, Poll, PollOption, Prompt, Vote


@transaction.atomic
def save_poll(
    *,
    prompt: Prompt,
    kind: str,
    options: list[str],
    statement: str = "",
    reason_required: bool = False,
    results_visibility: str = Poll.Results.AFTER_VOTING,
    quorum: int | None = None,
) -> Poll:
    """Create or update the prompt's poll; its options are fixed once anyone has voted."""
    if kind == Poll.Kind.SCALE:
        options = list(Poll.SCALE_LABELS)
        if not statement.strip():
            raise ValidationError("A scale poll needs a statement to agree or disagree with.")
    elif len(options) < 2:
        raise ValidationError("A poll needs at least two options.")
    poll, created = Poll.objects.get_or_create(prompt=prompt, defaults={"kind": kind})
    current = list(poll.options.values_list("label", flat=True))
    if not created and current != options:
        if poll.votes.exists():
            raise ValidationError("Members have voted already: the options can no longer change.")
        poll.options.all().delete()
        current = []
    if not current:
        PollOption.objects.bulk_create(
            [PollOption(poll=poll, label=label, position=index) for index, label in enumerate(options)]
        )
    poll.kind = kind
    poll.statement = statement.strip() if kind == Poll.Kind.SCALE else ""
    poll.reason_required = reason_required
    poll.results_visibility = results_visibility
    poll.quorum = quorum
    poll.save()
    return poll


def remove_poll(*, prompt: Prompt) -> bool:
    poll = Poll.objects.filter(prompt=prompt).first()
    if poll is None:
        return False
    if poll.votes.exists():
        raise ValidationError("Members have voted already: the poll can no longer be removed.")
    poll.delete()
    return True


@transaction.atomic
def cast_vote(*, poll: Poll, user, option_id: int, reason: str, now: datetime) -> Vote:
    """Record or change the member's vote while the prompt is open."""
    prompt = poll.prompt
    if not Membership.objects.filter(group_id=prompt.topic.group_id, user=user).exists():
        raise PermissionDenied("Only members of the group can vote.")
    if prompt.status != Prompt.Status.OPEN:
        raise ValidationError("Voting has closed for this prompt.")
    option = poll.options.filter(pk=option_id).first()
    if option is None:
        raise ValidationError("Choose one of the poll's options.")
    reason = reason.strip()
    if poll.reason_required and not reason:
        raise ValidationError("Give a short reason for your vote.")
    vote, created = Vote.objects.update_or_create(
        poll=poll,
        user=user,
        defaults={"option": option, "reason": reason, "updated_at": now},
        create_defaults={"option": option, "reason": reason, "created_at": now, "updated_at": now},
    )
    return vote


@dataclass(frozen=True)
class OptionResult:
    option: PollOption
    votes: int
    percent: int


@dataclass(frozen=True)
class PollResults:
    options: list[OptionResult]
    voters: int
    members: int
    quorum: int | None

    @property
    def quorum_met(self) -> bool:
        return self.quorum is None or self.voters >= self.quorum


def poll_results(poll: Poll, *, member_count: int) -> PollResults:
    counts = dict(poll.votes.values_list("option_id").annotate(n=Count("pk")))
    voters = sum(counts.values())
    options = [
        OptionResult(
            option=option,
            votes=counts.get(option.pk, 0),
            percent=round(100 * counts.get(option.pk, 0) / voters) if voters else 0,
        )
        for option in poll.options.all()
    ]
    return PollResults(options=options, voters=voters, members=member_count, quorum=poll.quorum)


def results_visible(poll: Poll, *, has_voted: bool, is_moderator: bool) -> bool:
    """Moderators always see results; members as the moderator chose."""
    if is_moderator or poll.results_visibility == Poll.Results.ALWAYS:
        return True
    if poll.results_visibility == Poll.Results.AFTER_VOTING:
        return has_voted or poll.prompt.status == Prompt.Status.CLOSED
    return poll.prompt.status == Prompt.Status.CLOSED


def poll_panel(poll: Poll, *, user, membership: Membership | None) -> dict:
    """What the thread page shows of a poll to this user: their vote, whether they may vote, the results."""
    my_vote = None
    if user.is_authenticated:
        my_vote = poll.votes.filter(user=user).select_related("option").first()
    is_moderator = membership is not None and membership.is_moderator
    show_results = results_visible(poll, has_voted=my_vote is not None, is_moderator=is_moderator)
    results = None
    if show_results:
        member_count = Membership.objects.filter(group_id=poll.prompt.topic.group_id).count()
        results = poll_results(poll, member_count=member_count)
    return {
        "poll": poll,
        "my_vote": my_vote,
        "can_vote": membership is not None and poll.prompt.status == Prompt.Status.OPEN,
        "results": results,
    }
