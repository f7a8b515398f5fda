"""What "answered" means, in one place.

A member *answered* a prompt when they replied in its thread or voted in its poll:
- a reply is a post of theirs in the prompt's thread after its opening post (the opening post is the prompt itself),
  not deleted (a post hidden for review still counts: they did answer);
- a vote is their vote in the prompt's poll, whatever they chose.

"Waiting for your answer" on the group page, the follow-up page and the Agenda's counts, the insight page, the
digest's "closing soon" list and the reminders before a prompt closes all ask `answered` (or, for the digest's
batch of members, `answered_prompt_ids`, which reads the same two tables the same way).
"""

from collections import defaultdict

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from discussions.models import Post
from topics.models import Membership, Vote


def replies(*, thread, user):
    """The member's replies in a prompt's thread; `thread` and `user` may be values or OuterRefs."""
    return Post.objects.filter(thread=thread, author=user, number__gt=1, deleted_at__isnull=True)


def votes(*, prompt, user):
    return Vote.objects.filter(poll__prompt=prompt, user=user)


def answered(*, prompt, thread, user) -> Q:
    """A filter: `user` answered `prompt` (whose thread is `thread`) by replying or voting."""
    return Q(Exists(replies(thread=thread, user=user))) | Q(Exists(votes(prompt=prompt, user=user)))


def answered_prompt_ids(*, user_ids, prompts) -> dict[int, set[int]]:
    """{user id: ids of the `prompts` they answered}, for a batch of members in two queries (the digest's shape)."""
    prompt_of_thread = {prompt.thread_id: prompt.pk for prompt in prompts if prompt.thread_id}
    done = defaultdict(set)
    if not prompt_of_thread or not user_ids:
        return done
    # The same conditions as replies() and votes(), for many members and prompts at once.
    rows = Post.objects.filter(
        thread_id__in=list(prompt_of_thread), author_id__in=user_ids, number__gt=1, deleted_at__isnull=True
    )
    for user_id, thread_id in rows.values_list("author_id", "thread_id").distinct():
        done[user_id].add(prompt_of_thread[thread_id])
    ballots = Vote.objects.filter(user_id__in=user_ids, poll__prompt_id__in=list(prompt_of_thread.values()))
    for user_id, prompt_id in ballots.values_list("user_id", "poll__prompt_id"):
        done[user_id].add(prompt_id)
    return done


def _count(memberships):
    counted = memberships.order_by().values("group_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_response_counts(prompts):
    """Prompts annotated with how many of their group's current members `answered_count` (replied or voted),
    `replied_count`, `voted_count`, and `member_count`: four subqueries, so a list costs no query per row."""
    members = Membership.objects.filter(group_id=OuterRef("topic__group_id"))
    prompt, thread, user = OuterRef(OuterRef("pk")), OuterRef(OuterRef("thread_id")), OuterRef("user_id")
    return prompts.annotate(
        answered_count=_count(members.filter(answered(prompt=prompt, thread=thread, user=user))),
        replied_count=_count(members.filter(Exists(replies(thread=thread, user=user)))),
        voted_count=_count(members.filter(Exists(votes(prompt=prompt, user=user)))),
        member_count=_count(members),
    )


def unanswered_memberships(prompt):
    """The group's current members who have not answered `prompt`, with their users."""
    user = OuterRef("user_id")
    return (
        Membership.objects.filter(group_id=prompt.topic.group_id)
        .exclude(answered(prompt=prompt.pk, thread=prompt.thread_id, user=user))
        .select_related("user")
    )
