"""Celery tasks: thin wrappers that call a service. Retry policy lives here, outcomes do not.

This module sits at the top of the case modules' import graph: it also connects the events that
``cases.op`` announces after commit to a nudge of the outbox relay.
"""

import logging

from celery import shared_task
from django.dispatch import receiver

from . import notifications
from .op import events_recorded
from .provisional import deadlines_recompute_provisional
from .sweep import sweep_deadlines as sweep

logger = logging.getLogger(__name__)

# The nudge after a commit publishes once and, on a broken pooled connection, once more at
# once: a broker that is down must not hold up the request that committed (the rows are in the
# outbox, and the next beat run of ``relay_outbox`` sends them).
NUDGE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


@shared_task(ignore_result=True)
def sweep_deadlines() -> str:
    return str(sweep())


@shared_task(ignore_result=True)
def recompute_provisional_deadlines() -> int:
    return deadlines_recompute_provisional()


# No Celery retries: a failed email or delivery is kept in the outbox with the time of its next
# attempt, and the relay picks it up from there.
@shared_task(ignore_result=True)
def relay_outbox() -> str:
    return str(notifications.outbox_relay())


@shared_task(ignore_result=True)
def notify_events(event_ids: list[int]) -> int:
    return notifications.notify_events(event_ids)


@receiver(events_recorded, dispatch_uid="cases.notify_events")
def _notify_recorded(sender, events, **kwargs) -> None:
    ids = [event.pk for event in events if not event.internal]
    if not ids:
        return
    try:
        notify_events.apply_async((ids,), retry=True, retry_policy=NUDGE_RETRY_POLICY)
    except Exception as error:  # the broker is unreachable: beat's relay sends them later
        logger.warning("outbox nudge not published (%s); the relay will send them", error)
