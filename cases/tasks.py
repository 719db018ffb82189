"""Celery tasks: thin wrappers that call a service. Retry policy lives here, outcomes do not."""

from celery import shared_task

from . import notifications
from .provisional import deadlines_recompute_provisional
from .sweep import sweep_deadlines as sweep


@shared_task(ignore_result=True)
def sweep_deadlines() -> str:
    return str(sweep())


@shared_task(ignore_result=True)
def recompute_provisional_deadlines() -> int:
    return deadlines_recompute_provisional()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_events(event_ids: list[int]) -> int:
    return notifications.notify_events(event_ids)
