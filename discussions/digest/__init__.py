"""The email digest, in three parts, one module each:

- `schedule`: who is due at `now`. Each member chooses a daily, weekly (the default) or no digest, and a local time
  and weekday. Beat runs `enqueue_due_digests` every 15 minutes; a member's digest goes out at the first tick after
  their local send time and covers everything since their previous one.
- `content` (with `activity`, what happened in a batch's groups, fetched once per batch, and `notices`, what was
  addressed to each member): what goes in each member's digest.
- `sending`: sending each member's digest once per period, claimed by inserting their DigestDelivery row.

Every function takes the current time, so tests put the clock exactly on a send time, a second before, or across
a daylight-saving change; the Celery tasks in discussions/tasks.py only pass `timezone.now()`.
"""

from discussions.digest.activity import post_url, thread_url
from discussions.digest.content import (
    build_digest_message,
    digest_context,
    digest_contexts_for,
    excerpt,
    join_names,
)
from discussions.digest.schedule import (
    covered_since,
    current_slot,
    digest_schedule,
    due_member_ids,
    enqueue_due_digests,
    is_due,
    latest_deliveries,
    local_send_time,
    next_send_time,
    Slot,
    slot_for,
    zone_named,
)
from discussions.digest.sending import BatchResult, DigestsNotSent, send_digest, send_digest_batch, send_digests

__all__ = [
    "BatchResult",
    "Slot",
    "DigestsNotSent",
    "Slot",
    "build_digest_message",
    "covered_since",
    "current_slot",
    "digest_context",
    "digest_contexts_for",
    "digest_schedule",
    "due_member_ids",
    "enqueue_due_digests",
    "excerpt",
    "is_due",
    "join_names",
    "latest_deliveries",
    "local_send_time",
    "next_send_time",
    "post_url",
    "send_digest",
    "send_digest_batch",
    "send_digests",
    "slot_for",
    "thread_url",
    "zone_named",
]
