"""Periodic work of the regulator portal (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from cases.deadlines import local_date

from .services import callback_sample

# The callback sample looks back this many days, so that a night the scheduler missed is made
# up the next night; a day already sampled adds nothing.
CALLBACK_LOOKBACK_DAYS = 3


@shared_task
def sample_callbacks() -> int:
    """Sample the cases closed on each of the last days into the callback lists (回访)."""
    now = timezone.now()
    today = local_date(now)
    return sum(
        callback_sample(day=today - timedelta(days=back), now=now)
        for back in range(1, CALLBACK_LOOKBACK_DAYS + 1)
    )
