"""Stance polls: setting one up on a prompt, voting, and reading the results."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from topics import page_parts
from topics.models import Membership, Poll, PollOption, Prompt, Vote

OPTION_MAX_LENGTH = PollOption._meta.get_field("label").max_length
STATEMENT_MAX_LENGTH = Poll._meta.get_field("statement").max_length
REASON_MAX_LENGTH = Vote._meta.get_field("reason").max_length


class VotingClosed(PermissionDenied):
    """The prompt no longer takes votes (it closed, or its closing time has passed)."""


def voting_open(prompt: Prompt, now: datetime) -> bool:
    """Open, and not past its closing time: between `closes_at` and the beat tick that closes it, votes stop already."""
    return prompt.status == Prompt.Status.OPEN and (prompt.closes_at is None or prompt.closes_at > now)


def is_closed(prompt: Prompt, now: datetime) -> bool:
    return prompt.status == Prompt.Status.CLOSED or (
        prompt.status == Prompt.Status.OPEN and prompt.closes_at is not None and prompt.closes_at <= now
    )


def _clean_options(options: list[str]) -> list[str]:
    options = [option.strip() for option in options]
    if len(options) < 2:
        raise ValidationError(gettext("A poll needs at least two options."))
    for number, option in enumerate(options, start=1):
        if not option:
            raise ValidationError(gettext("Option %(number)s is empty.") % {"number": number})
        if len(option) > OPTION_MAX_LENGTH:
            message = gettext("Option %(number)s is longer than %(most)s characters.")
            raise ValidationError(message % {"number": number, "most": OPTION_MAX_LENGTH})
    if len({option.lower() for option in options}) != len(options):
        raise ValidationError(gettext("Two options are the same."))
    return options


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
    """Create or update the prompt's poll; what members voted on is fixed once anyone has voted."""
    if kind not in Poll.Kind.values:
        raise ValidationError(gettext("%(kind)r is not a kind of poll.") % {"kind": kind})
    if results_visibility not in Poll.Results.values:
        message = gettext("%(choice)r is not a choice of when to show results.")
        raise ValidationError(message % {"choice": results_visibility})
    if quorum is not None and quorum < 1:
        raise ValidationError(gettext("A quorum is at least one voter; leave it empty for none."))
    statement = statement.strip()
    if kind == Poll.Kind.SCALE:
        options = list(Poll.SCALE_LABELS)
        if not statement:
            raise ValidationError(gettext("A scale poll needs a statement to agree or disagree with."))
        if len(statement) > STATEMENT_MAX_LENGTH:
            message = gettext("The statement is longer than %(most)s characters.")
            raise ValidationError(message % {"most": STATEMENT_MAX_LENGTH})
    else:
        options = _clean_options(options)
        statement = ""
    poll, created = Poll.objects.get_or_create(prompt=prompt, defaults={"kind": kind})
    current = list(poll.options.values_list("label", flat=True))
    if not created and (current != options or poll.statement != statement):
        # A vote for "Agree" means something only with the statement and the options it was cast on.
        if poll.votes.exists():
            raise ValidationError(gettext("Members have voted already: the options and statement can no longer change."))
        if current != options:
            poll.options.all().delete()
            current = []
    if not current:
        PollOption.objects.bulk_create(
            [PollOption(poll=poll, label=label, position=index) for index, label in enumerate(options)]
        )
    poll.kind = kind
    poll.statement = statement
    poll.reason_required = reason_required
    poll.results_visibility = results_visibility
    poll.quorum = quorum
    poll.save()
    page_parts.prompt_changed(prompt.pk)  # the poll in the prompt panel of its thread
    return poll


def remove_poll(*, prompt: Prompt) -> bool:
    poll = Poll.objects.filter(prompt=prompt).first()
    if poll is None:
        return False
    if poll.votes.exists():
        raise ValidationError(gettext("Members have voted already: the poll can no longer be removed."))
    poll.delete()
    page_parts.prompt_changed(prompt.pk)
    return True


@transaction.atomic
def cast_vote(*, poll: Poll, user, option_id: int | None, reason: str, now: datetime) -> Vote:
    """Record the member's vote, or change it (the same row) while the prompt is open.

    Raises PermissionDenied for a non-member, VotingClosed once the prompt is closed, and a
    ValidationError keyed by field ("option", "reason") for bad input; nothing is stored then.
    """
    # Locking the prompt row orders a vote and the prompt's closing (a conditional UPDATE of that
    # row): no vote is stored after the close has committed.
    prompt = Prompt.objects.select_for_update().get(pk=poll.prompt_id)
    if not Membership.objects.filter(group__topics=prompt.topic_id, user=user).exists():
        raise PermissionDenied(gettext("Only members of the group can vote."))
    if not voting_open(prompt, now):
        raise VotingClosed(gettext("Voting has closed for this prompt: votes can no longer be cast or changed."))
    errors = {}
    option = poll.options.filter(pk=option_id).first() if option_id is not None else None
    if option is None:
        errors["option"] = gettext("Choose one of the options.")
    reason = reason.strip()
    if poll.reason_required and not reason:
        errors["reason"] = gettext("This poll asks for a reason: write a sentence or two on why you chose this.")
    elif len(reason) > REASON_MAX_LENGTH:
        message = gettext("Keep your reason under %(most)s characters (it has %(length)s).")
        errors["reason"] = message % {"most": REASON_MAX_LENGTH, "length": len(reason)}
    if errors:
        raise ValidationError(errors)
    vote, _ = Vote.objects.update_or_create(
        poll=poll,
        user=user,
        defaults={"option": option, "reason": reason, "updated_at": now},
        create_defaults={"option": option, "reason": reason, "created_at": now, "updated_at": now},
    )
    page_parts.prompt_changed(prompt.pk)  # the poll's counts on its thread and in the moderators' lists
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
    is_closed: bool = False

    @property
    def quorum_met(self) -> bool:
        return self.quorum is None or self.voters >= self.quorum

    @property
    def is_conclusive(self) -> bool:
        """False for a prompt that closed below its quorum."""
        return not self.is_closed or self.quorum_met

    @property
    def votes_to_quorum(self) -> int:
        return max((self.quorum or 0) - self.voters, 0)


@dataclass(frozen=True)
class Reason:
    option: PollOption
    text: str
    author: object | None  # the voter; None when the Chatham House rule hides who said it


def _percent(part: int, whole: int) -> int:
    """Rounded half up (12.5 % shows as 13 %), in integers so no float rounding surprises."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def count_members(poll: Poll) -> int:
    return Membership.objects.filter(group__topics=poll.prompt.topic_id).count()


def poll_results(
    poll: Poll,
    *,
    member_count: int | None = None,
    options: list[PollOption] | None = None,
    now: datetime | None = None,
) -> PollResults:
    """Counts and percentages per option, in a constant number of queries whatever the number of votes."""
    if options is None:
        options = list(poll.options.all())
    if member_count is None:
        member_count = count_members(poll)
    counts = dict(poll.votes.order_by().values_list("option_id").annotate(n=Count("pk")))
    voters = sum(counts.values())
    rows = [
        OptionResult(option=option, votes=counts.get(option.pk, 0), percent=_percent(counts.get(option.pk, 0), voters))
        for option in options
    ]
    return PollResults(
        options=rows,
        voters=voters,
        members=member_count,
        quorum=poll.quorum,
        is_closed=is_closed(poll.prompt, now or timezone.now()),
    )


def poll_reasons(poll: Poll, *, show_authors: bool, options: list[PollOption] | None = None) -> list[Reason]:
    """The reasons voters gave, grouped by option; without names when `show_authors` is False."""
    if options is None:
        options = list(poll.options.all())
    by_pk = {option.pk: option for option in options}
    votes = poll.votes.exclude(reason="").order_by("option__position", "option_id", "created_at", "pk")
    if show_authors:
        votes = votes.select_related("user")
    else:
        votes = votes.only("option_id", "reason")  # the user is never loaded, so never shown by mistake
    return [
        Reason(option=by_pk[vote.option_id], text=vote.reason, author=vote.user if show_authors else None)
        for vote in votes
        if vote.option_id in by_pk
    ]


def results_visible(poll: Poll, *, has_voted: bool, is_moderator: bool, now: datetime | None = None) -> bool:
    """Moderators always see results; members as the moderator chose."""
    if is_moderator or poll.results_visibility == Poll.Results.ALWAYS:
        return True
    closed = is_closed(poll.prompt, now or timezone.now())
    if poll.results_visibility == Poll.Results.AFTER_VOTING:
        return has_voted or closed
    return closed


def poll_panel(poll: Poll, *, user, membership: Membership | None, now: datetime | None = None) -> dict:
    """What the thread page shows of a poll to this user: their vote, whether they may vote, the results.

    A fixed handful of queries (options, the user's vote, counts, members, reasons), so the thread
    page costs the same with one vote or a thousand.
    """
    now = now or timezone.now()
    prompt = poll.prompt
    options = list(poll.options.all())
    my_vote = None
    if membership is not None:
        my_vote = Vote.objects.filter(poll=poll, user=user).first()
        chosen = next((option for option in options if my_vote and option.pk == my_vote.option_id), None)
        if chosen is not None:
            my_vote.option = chosen  # already fetched with the options
    is_moderator = membership is not None and membership.is_moderator
    results = reasons = None
    if results_visible(poll, has_voted=my_vote is not None, is_moderator=is_moderator, now=now):
        results = poll_results(poll, options=options, now=now)
        reasons = poll_reasons(poll, show_authors=is_moderator or not prompt.chatham_house, options=options)
    return {
        "poll": poll,
        "poll_options": options,
        "my_vote": my_vote,
        "can_vote": membership is not None and membership.active_suspension(now) is None and voting_open(prompt, now),
        "voting_closed": is_closed(prompt, now),
        "results": results,
        "reasons": reasons,
        "reason_authors_hidden": prompt.chatham_house and not is_moderator,
        "vote_option_id": my_vote.option_id if my_vote else None,
        "vote_reason": my_vote.reason if my_vote else "",
        "vote_errors": {},
    }
