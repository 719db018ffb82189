"""Dates as the portal counts them: in Asia/Shanghai, whatever the server's time zone. Pure
functions of the instant or date they are given; nothing here reads the clock.

Weeks run Monday to Sunday; a dashboard's period is a run of whole weeks (the rollups are kept
per week), by default the 52 weeks to this one.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A dashboard's default period: the last 52 weeks, this one included.
DEFAULT_PERIOD_WEEKS = 52


def local_date(instant: datetime) -> date:
    """Return the date in Shanghai at ``instant``."""
    return instant.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """Return 00:00 Asia/Shanghai on ``day``."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """Return 23:59:59 Asia/Shanghai on ``day``, as a UTC instant."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI).astimezone(UTC)


def week_start(day: date) -> date:
    """Return the Monday of the week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def default_period(today: date) -> tuple[date, date]:
    """Return the first and last weeks (Mondays) of a dashboard's default period."""
    last = week_start(today)
    return last - timedelta(weeks=DEFAULT_PERIOD_WEEKS - 1), last


def twelve_months_start(now: datetime) -> datetime:
    """Return the start of the twelve months to today (Shanghai), as the lists counted from the
    case table count them."""
    return start_of_day(local_date(now) - timedelta(days=365))
