"""Periodic work of the regulator portal (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from cases.deadlines import local_date

from .services import callback_sample
from .stats import RECENT_WEEKS, office_stats_refresh

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


@shared_task
def refresh_recent_office_stats() -> int:
    """Bring the dashboards' rollup up to date for the last few weeks (every few minutes)."""
    return office_stats_refresh(local_date(timezone.now()) - timedelta(weeks=RECENT_WEEKS))


@shared_task
def refresh_office_stats() -> int:
    """Recompute the whole year of the rollup (nightly: older cases change too, e.g. a callback
    or a confirmation long after filing)."""
    return office_stats_refresh()
