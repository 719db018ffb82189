"""Deadline arithmetic (product §5). Pure functions: the clock, the policy and the calendar are
arguments; nothing here reads the database or the current time.

A deadline of N working days from an event ends at 23:59:59 Asia/Shanghai on the Nth working day
after the event's local date (the day of the event does not count). A deadline of N calendar days
ends at 23:59:59 on the Nth day after. Instants are returned in UTC.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.calendar import WorkCalendar

# The Shanghai date helpers live in ``core.dates``; imported here by the name callers know.
from core.dates import SHANGHAI as SHANGHAI
from core.dates import end_of_day, local_date

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    provisional: bool
    explanation: dict

    @property
    def basis(self) -> dict:
        """What the deadline was computed from, enough to compute it again."""
        return {k: self.explanation[k] for k in ("start", "days", "unit")}

    def explained(self) -> dict:
        """Return the instant and how it was computed, as the event chain records it."""
        return {"due_at": self.due_at.isoformat(), **self.explanation}


def add_working_days(start: date, days: int, calendar: WorkCalendar) -> date:
    """Return the ``days``-th working day after ``start`` (``start`` itself does not count)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day


def working_days_deadline(event_at: datetime, days: int, calendar: WorkCalendar) -> Deadline:
    """Return the deadline ``days`` working days after the event at ``event_at``."""
    return working_days_deadline_from_date(local_date(event_at), days, calendar)


def working_days_deadline_from_date(start: date, days: int, calendar: WorkCalendar) -> Deadline:
    key = ("working_days_deadline", start, days)
    if key not in calendar.memo:
        calendar.memo[key] = _working_days_deadline(start, days, calendar)
    return calendar.memo[key]


def _working_days_deadline(start: date, days: int, calendar: WorkCalendar) -> Deadline:
    end = add_working_days(start, days, calendar)
    span = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    uncovered = sorted(calendar.years_not_covered(span))
    explanation = {
        "start": start.isoformat(),
        "days": days,
        "unit": WORKING_DAYS,
        "end": end.isoformat(),
        "holidays": [d.isoformat() for d in span if calendar.is_holiday(d)],
        "makeup_workdays": [d.isoformat() for d in span if calendar.is_makeup_workday(d)],
        "provisional_years": uncovered,
    }
    return Deadline(end_of_day(end), bool(uncovered), explanation)


def calendar_days_deadline(event_at: datetime, days: int) -> Deadline:
    """Return the deadline ``days`` calendar days after the event at ``event_at``."""
    start = local_date(event_at)
    end = start + timedelta(days=days)
    explanation = {
        "start": start.isoformat(),
        "days": days,
        "unit": CALENDAR_DAYS,
        "end": end.isoformat(),
    }
    return Deadline(end_of_day(end), False, explanation)


def date_deadline(day: date) -> Deadline:
    """Return the deadline at the end of a given date (e.g. an agreement's fulfil-by date)."""
    explanation = {"start": day.isoformat(), "days": 0, "unit": "date", "end": day.isoformat()}
    return Deadline(end_of_day(day), False, explanation)


def deadline_from_basis(basis: dict, calendar: WorkCalendar) -> Deadline:
    """Compute a deadline again from what it was computed from (see ``Deadline.basis``)."""
    start = date.fromisoformat(basis["start"])
    if basis["unit"] == WORKING_DAYS:
        return working_days_deadline_from_date(start, basis["days"], calendar)
    return calendar_days_deadline(end_of_day(start), basis["days"])


def working_days_before(due_at: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """Return the instant from which only ``days`` working days remain before ``due_at``.

    That is the end of the ``days``-th working day before the deadline's own day: a reminder
    "3 working days before" fires when the last three working days begin.
    """
    key = ("working_days_before", due_at, days)
    if key not in calendar.memo:
        day, counted = local_date(due_at), 0
        while counted < days:
            day -= timedelta(days=1)
            if calendar.is_workday(day):
                counted += 1
        calendar.memo[key] = end_of_day(day)
    return calendar.memo[key]


def working_days_between(start: datetime, end: datetime, calendar: WorkCalendar) -> int:
    """Return the working days after ``start``'s day up to and including ``end``'s day (in
    Shanghai): how deadlines count, the start day not counted."""
    day, last, counted = local_date(start) + timedelta(days=1), local_date(end), 0
    while day <= last:
        counted += calendar.is_workday(day)
        day += timedelta(days=1)
    return counted


def working_days_left(now: datetime, due_at: datetime, calendar: WorkCalendar) -> int:
    """Return how many working days remain until ``due_at``, today included if it is one."""
    today, last = local_date(now), local_date(due_at)
    if now > due_at:
        return 0
    left, day = 0, today
    while day <= last:
        if calendar.is_workday(day):
            left += 1
        day += timedelta(days=1)
    return left


def days_left(
    now: datetime, due_at: datetime, unit: str, calendar: WorkCalendar
) -> tuple[int, bool]:
    """Return how many days (working days for a working-day deadline) remain until ``due_at``,
    counted from today, and whether today is one of them: the one definition of "days left"
    that every page shows. Nothing remains once the deadline has passed."""
    today = local_date(now)
    if now > due_at:
        return 0, False
    if unit == WORKING_DAYS:
        return working_days_left(now, due_at, calendar), calendar.is_workday(today)
    return (local_date(due_at) - today).days + 1, True
