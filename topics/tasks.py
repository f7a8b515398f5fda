from datetime import datetime

from celery import shared_task
from django.utils import timezone

from topics import followup, scheduling


@shared_task
def run_prompt_schedule() -> dict[str, list[int]]:
    """Beat runs this every minute: release programme prompts, publish due prompts, close due ones."""
    return scheduling.run_schedule(now=timezone.now())


@shared_task
def send_prompt_reminder(reminder_id: int, user_ids: list[int], now: str) -> int:
    """A moderator's reminder to answer a prompt (topics.followup), enqueued through the outbox."""
    return followup.send_reminder(reminder_id=reminder_id, user_ids=user_ids, now=datetime.fromisoformat(now))
