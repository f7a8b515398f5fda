from celery import shared_task
from django.utils import timezone

from topics import scheduling


@shared_task
def run_prompt_schedule() -> dict[str, list[int]]:
    """Beat runs this every minute: release programme prompts, publish due prompts, close due ones."""
    return scheduling.run_schedule(now=timezone.now())
