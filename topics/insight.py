"""Participation insight for a group's moderators: who takes part, where, and which prompts went unanswered.

Every count is one aggregate in the database, so each function runs a fixed number of queries however many
topics, prompts, members and posts the group has. Functions that look at a period take `now`, and count nothing
after it: tests put the clock exactly on the 7- and 30-day boundaries, the view passes `timezone.now()`.

Definitions used throughout:
- a post counts unless it was deleted;
- a member *answered* a prompt by replying in its thread or voting in its poll (topics.answers, the one
  definition the site uses); only current members count, so a response rate is out of the group's members.
"""

import csv
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from topics import answers
from topics.models import Group, Membership, Prompt, Topic, Vote

WINDOWS = (7, 30)  # days: "last 7 days" and "last 30 days", both ending at `now`, both ends included
QUIET_DAYS = 30


def _count(queryset, group_by: str):
    """A correlated subquery's row count (0 when no row matches), grouped on a column the rows all share."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def topic_activity(group: Group, now: datetime) -> list[Topic]:
    """The group's topics, each with `threads_7`, `posts_7`, `participants_7` and the same for 30 days.

    Threads are the threads started in the period; posts and participants (distinct authors) count the posts
    written in it.
    """
    annotations = {}
    for days in WINDOWS:
        since = now - timedelta(days=days)
        in_period = Q(threads__posts__created_at__gte=since, threads__posts__created_at__lte=now)
        visible = Q(threads__posts__deleted_at__isnull=True)
        annotations[f"threads_{days}"] = Count(
            "threads", filter=Q(threads__created_at__gte=since, threads__created_at__lte=now), distinct=True
        )
        annotations[f"posts_{days}"] = Count("threads__posts", filter=in_period & visible, distinct=True)
        annotations[f"participants_{days}"] = Count("threads__posts__author", filter=in_period & visible, distinct=True)
    return list(Topic.objects.filter(group=group).annotate(**annotations).order_by("position", "title"))


def _published_prompts_with_responses(group: Group):
    """Published prompts with `answered_count` (replied or voted), `replied_count`, `voted_count`, `member_count`."""
    prompts = Prompt.objects.published().filter(topic__group=group).select_related("topic")
    return answers.with_response_counts(prompts).order_by("-published_at", "-pk")


def prompt_response_rates(group: Group) -> list[Prompt]:
    """Each published prompt, newest first, with its response counts and `response_rate` (0-100)."""
    prompts = list(_published_prompts_with_responses(group))
    for prompt in prompts:
        member_count = prompt.member_count
        prompt.response_rate = round(100 * prompt.answered_count / member_count) if member_count else 0
    return prompts


def prompts_without_answers(group: Group) -> list[Prompt]:
    """Published prompts no member has answered (replied or voted) yet, newest first."""
    return list(_published_prompts_with_responses(group).filter(answered_count=0))


def _group_posts(group: Group, now: datetime, since: datetime | None = None) -> Q:
    """A filter on a membership's `user__posts`: the member's visible posts in this group, up to `now`."""
    condition = Q(
        user__posts__thread__topic__group=group, user__posts__deleted_at__isnull=True, user__posts__created_at__lte=now
    )
    if since is not None:
        condition &= Q(user__posts__created_at__gte=since)
    return condition


def quiet_members(group: Group, now: datetime, days: int = QUIET_DAYS) -> list[Membership]:
    """Members who have not posted in the last `days` days, those who never did first, then the longest quiet.

    Each membership carries its user and `last_post_at` (None: never posted in this group).
    """
    since = now - timedelta(days=days)
    return list(
        Membership.objects.filter(group=group)
        .select_related("user")
        .annotate(last_post_at=Max("user__posts__created_at", filter=_group_posts(group, now)))
        .filter(Q(last_post_at__isnull=True) | Q(last_post_at__lt=since))
        .order_by(F("last_post_at").asc(nulls_first=True), "joined_at", "user__username")
    )


MEMBER_ACTIVITY_COLUMNS = (
    ("username", "Username"),
    ("display_name", "Display name"),
    ("email", "Email"),
    ("role", "Role"),
    ("joined", "Joined"),
    ("posts_7", "Posts (last 7 days)"),
    ("posts_30", "Posts (last 30 days)"),
    ("posts_total", "Posts (total)"),
    ("prompts_answered", "Prompts answered"),
    ("votes", "Votes"),
    ("last_post", "Last post"),
)


def member_activity_rows(group: Group, now: datetime) -> list[dict]:
    """One row per member for the CSV, keyed like MEMBER_ACTIVITY_COLUMNS; dates on the group's clock."""
    user = OuterRef(OuterRef("user_id"))
    replied = Exists(answers.replies(thread=OuterRef("thread_id"), user=user).filter(created_at__lte=now))
    voted = Exists(answers.votes(prompt=OuterRef("pk"), user=user).filter(created_at__lte=now))
    prompts_answered = Prompt.objects.published().filter(topic__group=group).filter(replied | voted)
    votes = Vote.objects.filter(poll__prompt__topic__group=group, user=OuterRef("user_id"), created_at__lte=now)
    memberships = (
        Membership.objects.filter(group=group)
        .select_related("user")
        .annotate(
            posts_7=Count("user__posts", filter=_group_posts(group, now, now - timedelta(days=7)), distinct=True),
            posts_30=Count("user__posts", filter=_group_posts(group, now, now - timedelta(days=30)), distinct=True),
            posts_total=Count("user__posts", filter=_group_posts(group, now), distinct=True),
            last_post_at=Max("user__posts__created_at", filter=_group_posts(group, now)),
            prompts_answered=_count(prompts_answered, "topic__group"),
            votes=_count(votes, "user_id"),
        )
        .order_by("user__username")
    )
    tz = group.tzinfo
    return [
        {
            "username": m.user.username,
            "display_name": m.user.display_name,
            "email": m.user.email,
            "role": m.get_role_display(),
            "joined": m.joined_at.astimezone(tz).date().isoformat(),
            "posts_7": m.posts_7,
            "posts_30": m.posts_30,
            "posts_total": m.posts_total,
            "prompts_answered": m.prompts_answered,
            "votes": m.votes,
            "last_post": m.last_post_at.astimezone(tz).date().isoformat() if m.last_post_at else "never",
        }
        for m in memberships
    ]


# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection"); a leading quote
# makes it text. Tab and carriage return are on OWASP's list too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_member_activity_csv(rows: list[dict], file) -> None:
    """The rows as CSV with a header row, every text cell safe to open in a spreadsheet."""
    writer = csv.writer(file)
    writer.writerow([header for _, header in MEMBER_ACTIVITY_COLUMNS])
    for row in rows:
        writer.writerow([spreadsheet_safe(row[key]) for key, _ in MEMBER_ACTIVITY_COLUMNS])


def member_activity_filename(group: Group, now: datetime) -> str:
    return f"{group.slug}-member-activity-{now.astimezone(group.tzinfo).date().isoformat()}.csv"
