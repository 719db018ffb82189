"""Celery tasks: thin wrappers that call a service. Retry policy lives here, outcomes do not.

This module sits at the top of the case modules' import graph: it also connects the events that
``cases.op`` announces after commit to a nudge of the outbox relay, and a published calendar
(``core.signals.calendar_published``) to the recomputation of provisional deadlines.
"""

import logging
import threading
import time
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from core.signals import calendar_published

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


class Nudges:
    """When this process nudges the relay: after a commit, unless it nudged less than
    ``ODR_OUTBOX_NUDGE_SECONDS`` ago. The events of the commits in between wait for the next
    nudge, which names them too (under load, a commit comes within the second), or for beat's
    relay: one publish per second per process instead of one per request, and no countdowns."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._waiting: list[int] = []
        self._last = float("-inf")
        self._lock = threading.Lock()

    def take(self, ids: list[int]) -> list[int]:
        """Note ``ids``; return the events to nudge for now (none while the pause lasts)."""
        with self._lock:
            self._waiting.extend(ids)
            now = self.clock()
            if now - self._last < settings.ODR_OUTBOX_NUDGE_SECONDS:
                return []
            self._last, taken, self._waiting = now, self._waiting, []
            return taken


nudges = Nudges()


@receiver(events_recorded, dispatch_uid="cases.notify_events")
def _notify_recorded(sender, events, **kwargs) -> None:
    ids = nudges.take([event.pk for event in events if not event.internal])
    if not ids:
        return
    try:
        notify_events.apply_async((ids,), retry=True, retry_policy=NUDGE_RETRY_POLICY)
    except Exception as error:  # the broker is unreachable: beat's relay sends them later
        logger.warning("outbox nudge not published (%s); the relay will send them", error)


@receiver(calendar_published, dispatch_uid="cases.recompute_provisional_deadlines")
def _calendar_published(sender, year: int, **kwargs) -> None:
    """A year's official calendar is in: recompute the provisional deadlines once it commits."""
    transaction.on_commit(recompute_provisional_deadlines.delay)
