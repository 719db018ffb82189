"""Celery tasks: thin wrappers that call a service. Retry policy lives here, outcomes do not.

This module sits at the top of the case modules' import graph: it also connects the events that
``cases.op`` announces after commit to the notification task.
"""

from celery import shared_task
from django.dispatch import receiver

from . import notifications
from .op import events_recorded
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


@receiver(events_recorded, dispatch_uid="cases.notify_events")
def _notify_recorded(sender, events, **kwargs) -> None:
    ids = [event.pk for event in events if notifications.has_audience(event)]
    if ids:
        notify_events.delay(ids)
