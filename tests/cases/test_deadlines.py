"""Deadline arithmetic against the official mainland China calendar (product §5).

Every expected date below was worked out from the State Council's holiday notices, not from the
code under test:

- Spring Festival 2025: off Tue 28 Jan – Tue 4 Feb; make-up working days Sun 26 Jan, Sat 8 Feb.
- Spring Festival 2026: off Sun 15 Feb – Mon 23 Feb; make-up working days Sat 14 Feb, Sat 28 Feb.
- National Day and Mid-Autumn 2025: off Wed 1 Oct – Wed 8 Oct; make-up working days Sun 28 Sep,
  Sat 11 Oct.
- 2027 is not in the calendar package (chinesecalendar 1.11.0 ends with 2026), so it is counted
  Monday to Friday and marked provisional until an admin publishes it. 1 Jan 2027 is a Friday.
"""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.deadlines import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    calendar_days_deadline,
    deadline_from_basis,
    working_days_before,
    working_days_deadline,
    working_days_left,
)
from core.calendar import WorkCalendar
from core.dates import SHANGHAI

CALENDAR = WorkCalendar()

# The years chinesecalendar 1.11.0 knows, written out rather than read from the package.
PACKAGE_YEARS = range(2004, 2027)

# What an admin might enter for New Year 2027 before the package knows it. Illustrative only: the
# State Council has not published 2027, so the make-up Saturday is invented to show it is honoured.
NEW_YEAR_2027 = {date(2027, 1, 1): False, date(2027, 1, 9): True}
PUBLISHED_2027 = WorkCalendar(overrides=NEW_YEAR_2027, published_years=frozenset({2027}))


def shanghai(*args: int) -> datetime:
    """Return an aware Asia/Shanghai datetime: shanghai(2025, 1, 24, 10)."""
    return datetime(*args, tzinfo=SHANGHAI)


def event_on(day: date, clock: time) -> datetime:
    """Return the UTC instant of ``clock`` Shanghai time on ``day``."""
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


def end_of_day_utc(day: date) -> datetime:
    """Return 23:59:59 Asia/Shanghai (UTC+8, no DST) on ``day``, spelled as the UTC instant."""
    return datetime.combine(day, time(15, 59, 59), tzinfo=UTC)


def days_between(start: date, end: date) -> list[date]:
    """Return the days after ``start`` up to and including ``end``."""
    return [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]


# --- N working days around the holidays -------------------------------------------------------

SPRING_FESTIVAL_2025 = [
    # Working days after Fri 24 Jan: Sun 26, Mon 27 Jan, Wed 5, Thu 6, Fri 7, Sat 8, Mon 10 … Feb.
    pytest.param(date(2025, 1, 24), 1, date(2025, 1, 26), id="fri-24jan+1=makeup-sun-26jan"),
    pytest.param(date(2025, 1, 24), 2, date(2025, 1, 27), id="fri-24jan+2=mon-27jan"),
    pytest.param(date(2025, 1, 24), 3, date(2025, 2, 5), id="fri-24jan+3=wed-5feb-after-holiday"),
    pytest.param(date(2025, 1, 24), 5, date(2025, 2, 7), id="fri-24jan+5=fri-7feb"),
    pytest.param(date(2025, 1, 24), 6, date(2025, 2, 8), id="fri-24jan+6=makeup-sat-8feb"),
    pytest.param(date(2025, 1, 24), 10, date(2025, 2, 13), id="fri-24jan+10=thu-13feb"),
    pytest.param(date(2025, 1, 25), 1, date(2025, 1, 26), id="sat-25jan+1=makeup-sun-26jan"),
    pytest.param(date(2025, 1, 27), 1, date(2025, 2, 5), id="mon-27jan+1=wed-5feb"),
    pytest.param(date(2025, 1, 30), 1, date(2025, 2, 5), id="during-holiday+1=wed-5feb"),
    pytest.param(date(2025, 2, 7), 1, date(2025, 2, 8), id="fri-7feb+1=makeup-sat-8feb"),
    pytest.param(date(2025, 2, 8), 1, date(2025, 2, 10), id="makeup-sat-8feb+1=mon-10feb"),
]


@pytest.mark.parametrize(("event_day", "days", "due_day"), SPRING_FESTIVAL_2025)
def test_deadline_skips_spring_festival_2025(event_day: date, days: int, due_day: date) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, CALENDAR)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is False


SPRING_FESTIVAL_2026 = [
    # Working days after Fri 13 Feb: Sat 14, Tue 24, Wed 25, Thu 26, Fri 27, Sat 28 Feb, Mon 2 Mar …
    pytest.param(date(2026, 2, 13), 1, date(2026, 2, 14), id="fri-13feb+1=makeup-sat-14feb"),
    pytest.param(date(2026, 2, 13), 2, date(2026, 2, 24), id="fri-13feb+2=tue-24feb-after-holiday"),
    pytest.param(date(2026, 2, 13), 5, date(2026, 2, 27), id="fri-13feb+5=fri-27feb"),
    pytest.param(date(2026, 2, 13), 6, date(2026, 2, 28), id="fri-13feb+6=makeup-sat-28feb"),
    pytest.param(date(2026, 2, 13), 7, date(2026, 3, 2), id="fri-13feb+7=mon-2mar"),
    pytest.param(date(2026, 2, 13), 10, date(2026, 3, 5), id="fri-13feb+10=thu-5mar"),
    pytest.param(date(2026, 2, 12), 2, date(2026, 2, 14), id="thu-12feb+2=makeup-sat-14feb"),
    pytest.param(date(2026, 2, 12), 3, date(2026, 2, 24), id="thu-12feb+3=tue-24feb"),
    pytest.param(date(2026, 2, 14), 1, date(2026, 2, 24), id="makeup-sat-14feb+1=tue-24feb"),
    pytest.param(date(2026, 2, 16), 1, date(2026, 2, 24), id="during-holiday+1=tue-24feb"),
    pytest.param(date(2026, 2, 27), 1, date(2026, 2, 28), id="fri-27feb+1=makeup-sat-28feb"),
]


@pytest.mark.parametrize(("event_day", "days", "due_day"), SPRING_FESTIVAL_2026)
def test_deadline_skips_spring_festival_2026(event_day: date, days: int, due_day: date) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, CALENDAR)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is False


NATIONAL_DAY_2025 = [
    # Working days after Fri 26 Sep: Sun 28, Mon 29, Tue 30 Sep, Thu 9, Fri 10, Sat 11, Mon 13 Oct …
    pytest.param(date(2025, 9, 26), 1, date(2025, 9, 28), id="fri-26sep+1=makeup-sun-28sep"),
    pytest.param(date(2025, 9, 26), 3, date(2025, 9, 30), id="fri-26sep+3=tue-30sep"),
    pytest.param(date(2025, 9, 26), 4, date(2025, 10, 9), id="fri-26sep+4=thu-9oct-after-holiday"),
    pytest.param(date(2025, 9, 26), 6, date(2025, 10, 11), id="fri-26sep+6=makeup-sat-11oct"),
    pytest.param(date(2025, 9, 26), 7, date(2025, 10, 13), id="fri-26sep+7=mon-13oct"),
    pytest.param(date(2025, 9, 26), 10, date(2025, 10, 16), id="fri-26sep+10=thu-16oct"),
    pytest.param(date(2025, 9, 30), 1, date(2025, 10, 9), id="tue-30sep+1=thu-9oct"),
    pytest.param(date(2025, 10, 6), 1, date(2025, 10, 9), id="mid-autumn-mon-6oct+1=thu-9oct"),
    pytest.param(date(2025, 10, 10), 1, date(2025, 10, 11), id="fri-10oct+1=makeup-sat-11oct"),
]


@pytest.mark.parametrize(("event_day", "days", "due_day"), NATIONAL_DAY_2025)
def test_deadline_skips_national_day_2025(event_day: date, days: int, due_day: date) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, CALENDAR)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is False


NEW_YEAR_2027_UNCOVERED = [
    # Monday to Friday after Wed 30 Dec 2026: Thu 31 Dec, Fri 1, Mon 4, Tue 5, Wed 6 Jan 2027.
    pytest.param(
        date(2026, 12, 30), 1, date(2026, 12, 31), False, id="wed-30dec+1=thu-31dec-known"
    ),
    pytest.param(date(2026, 12, 30), 2, date(2027, 1, 1), True, id="wed-30dec+2=fri-1jan-counted"),
    pytest.param(date(2026, 12, 30), 3, date(2027, 1, 4), True, id="wed-30dec+3=mon-4jan"),
    pytest.param(date(2026, 12, 30), 5, date(2027, 1, 6), True, id="wed-30dec+5=wed-6jan"),
    pytest.param(date(2026, 12, 31), 1, date(2027, 1, 1), True, id="thu-31dec+1=fri-1jan"),
    pytest.param(date(2027, 1, 1), 1, date(2027, 1, 4), True, id="fri-1jan+1=mon-4jan"),
    pytest.param(date(2027, 1, 8), 1, date(2027, 1, 11), True, id="fri-8jan+1=mon-11jan-no-makeup"),
]


@pytest.mark.parametrize(("event_day", "days", "due_day", "provisional"), NEW_YEAR_2027_UNCOVERED)
def test_deadline_counts_monday_to_friday_in_uncovered_2027(
    event_day: date, days: int, due_day: date, provisional: bool
) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, CALENDAR)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is provisional
    assert deadline.explanation["provisional_years"] == ([2027] if provisional else [])


NEW_YEAR_2027_PUBLISHED = [
    # With 1 Jan off and Sat 9 Jan worked: Thu 31 Dec, Mon 4, Tue 5, Wed 6, Thu 7, Fri 8, Sat 9 …
    pytest.param(date(2026, 12, 30), 2, date(2027, 1, 4), id="wed-30dec+2=mon-4jan-1jan-off"),
    pytest.param(date(2026, 12, 30), 5, date(2027, 1, 7), id="wed-30dec+5=thu-7jan"),
    pytest.param(date(2026, 12, 30), 7, date(2027, 1, 9), id="wed-30dec+7=makeup-sat-9jan"),
    pytest.param(date(2026, 12, 31), 1, date(2027, 1, 4), id="thu-31dec+1=mon-4jan"),
    pytest.param(date(2027, 1, 8), 1, date(2027, 1, 9), id="fri-8jan+1=makeup-sat-9jan"),
]


@pytest.mark.parametrize(("event_day", "days", "due_day"), NEW_YEAR_2027_PUBLISHED)
def test_published_2027_is_not_provisional_and_honours_its_overrides(
    event_day: date, days: int, due_day: date
) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, PUBLISHED_2027)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is False
    assert deadline.explanation["provisional_years"] == []


def test_overrides_for_an_unpublished_year_are_honoured_but_stay_provisional() -> None:
    unpublished = WorkCalendar(overrides=NEW_YEAR_2027)

    deadline = working_days_deadline(shanghai(2026, 12, 30, 10), 2, unpublished)

    assert deadline.due_at == end_of_day_utc(date(2027, 1, 4))
    assert deadline.provisional is True


def test_publishing_2027_leaves_a_deadline_reaching_into_2028_provisional() -> None:
    # Thu 30 Dec 2027 + 2 working days: Fri 31 Dec, then Mon 3 Jan 2028 (1 Jan 2028 is a Saturday).
    deadline = working_days_deadline(shanghai(2027, 12, 30, 10), 2, PUBLISHED_2027)

    assert deadline.due_at == end_of_day_utc(date(2028, 1, 3))
    assert deadline.provisional is True
    assert deadline.explanation["provisional_years"] == [2028]


# --- When a deadline starts and ends ----------------------------------------------------------


def test_day_of_event_does_not_count() -> None:
    # Mon 3 Mar 2025 is an ordinary working day; one minute into it still counts from the next day.
    deadline = working_days_deadline(shanghai(2025, 3, 3, 0, 1), 1, CALENDAR)

    assert deadline.due_at == end_of_day_utc(date(2025, 3, 4))


def test_deadline_ends_at_23_59_59_shanghai_which_is_15_59_59_utc() -> None:
    deadline = working_days_deadline(shanghai(2025, 1, 27, 10), 1, CALENDAR)

    assert deadline.due_at == datetime(2025, 2, 5, 15, 59, 59, tzinfo=UTC)
    assert deadline.due_at.utcoffset() == timedelta(0)
    assert deadline.due_at.astimezone(SHANGHAI).replace(tzinfo=None) == datetime(
        2025, 2, 5, 23, 59, 59
    )


def test_late_evening_event_counts_from_its_shanghai_date() -> None:
    # 23:30 on Sun 26 Jan 2025 (a make-up working day) in Shanghai; the next working day is Mon 27.
    event = datetime(2025, 1, 26, 15, 30, tzinfo=UTC)
    assert event.astimezone(SHANGHAI) == shanghai(2025, 1, 26, 23, 30)

    deadline = working_days_deadline(event, 1, CALENDAR)

    assert deadline.explanation["start"] == "2025-01-26"
    assert deadline.due_at == end_of_day_utc(date(2025, 1, 27))


def test_early_morning_event_counts_from_its_shanghai_date_not_the_utc_date() -> None:
    # 00:30 on Mon 27 Jan 2025 in Shanghai is still Sun 26 Jan in UTC. Counting from the UTC date
    # would give Mon 27 Jan; counting from Monday skips the whole Spring Festival to Wed 5 Feb.
    event = datetime(2025, 1, 26, 16, 30, tzinfo=UTC)
    assert event.astimezone(SHANGHAI) == shanghai(2025, 1, 27, 0, 30)

    deadline = working_days_deadline(event, 1, CALENDAR)

    assert deadline.explanation["start"] == "2025-01-27"
    assert deadline.due_at == end_of_day_utc(date(2025, 2, 5))


# --- Calendar-day deadlines -------------------------------------------------------------------

CALENDAR_DAY_CASES = [
    pytest.param(shanghai(2025, 1, 24, 10), 7, date(2025, 1, 31), id="7-days-ending-on-a-holiday"),
    pytest.param(shanghai(2025, 9, 30, 23, 30), 1, date(2025, 10, 1), id="late-evening+1"),
    pytest.param(shanghai(2025, 1, 27, 0, 30), 7, date(2025, 2, 3), id="early-morning+7"),
    pytest.param(shanghai(2026, 2, 13, 10), 14, date(2026, 2, 27), id="14-days-over-festival-2026"),
    pytest.param(shanghai(2026, 12, 30, 10), 7, date(2027, 1, 6), id="into-uncovered-2027"),
]


@pytest.mark.parametrize(("event_at", "days", "due_day"), CALENDAR_DAY_CASES)
def test_calendar_day_deadline_ignores_holidays_and_is_never_provisional(
    event_at: datetime, days: int, due_day: date
) -> None:
    deadline = calendar_days_deadline(event_at.astimezone(UTC), days)

    assert deadline.due_at == end_of_day_utc(due_day)
    assert deadline.provisional is False
    assert deadline.explanation["unit"] == CALENDAR_DAYS
    assert deadline.explanation["end"] == due_day.isoformat()


# --- Reminders and "N working days left" ------------------------------------------------------

REMINDER_CASES = [
    # Counting back from the deadline's day, skipping days off and counting make-up days.
    pytest.param(date(2025, 2, 7), 1, date(2025, 2, 6), id="fri-7feb-1-before=thu-6feb"),
    pytest.param(date(2025, 2, 7), 3, date(2025, 1, 27), id="fri-7feb-3-before=mon-27jan"),
    pytest.param(date(2025, 2, 10), 1, date(2025, 2, 8), id="mon-10feb-1-before=makeup-sat-8feb"),
    pytest.param(date(2026, 2, 24), 3, date(2026, 2, 12), id="tue-24feb-3-before=thu-12feb"),
    pytest.param(date(2026, 2, 25), 2, date(2026, 2, 14), id="wed-25feb-2-before=makeup-sat-14feb"),
    pytest.param(date(2025, 10, 9), 2, date(2025, 9, 29), id="thu-9oct-2-before=mon-29sep"),
    pytest.param(date(2025, 10, 13), 3, date(2025, 10, 9), id="mon-13oct-3-before=thu-9oct"),
    pytest.param(date(2027, 1, 4), 1, date(2027, 1, 1), id="uncovered-mon-4jan-1-before=fri-1jan"),
]


@pytest.mark.parametrize(("due_day", "days", "reminder_day"), REMINDER_CASES)
def test_reminder_fires_at_the_end_of_the_nth_working_day_before_the_deadline(
    due_day: date, days: int, reminder_day: date
) -> None:
    assert working_days_before(end_of_day_utc(due_day), days, CALENDAR) == end_of_day_utc(
        reminder_day
    )


WORKING_DAYS_LEFT_CASES = [
    # Today counts when it is a working day; the deadline's own day always does.
    pytest.param(shanghai(2025, 1, 27, 10), date(2025, 2, 7), 4, id="mon-27jan-to-fri-7feb"),
    pytest.param(shanghai(2025, 1, 28, 10), date(2025, 2, 7), 3, id="holiday-today-not-counted"),
    pytest.param(shanghai(2025, 1, 26, 10), date(2025, 1, 27), 2, id="makeup-sunday-counted"),
    pytest.param(shanghai(2025, 2, 7, 23), date(2025, 2, 7), 1, id="last-hour-of-deadline-day"),
    pytest.param(shanghai(2025, 2, 7, 23, 59, 59, 500000), date(2025, 2, 7), 0, id="just-past"),
    pytest.param(shanghai(2025, 2, 8, 0, 0), date(2025, 2, 7), 0, id="day-after-the-deadline"),
    pytest.param(shanghai(2026, 2, 13, 9), date(2026, 2, 24), 3, id="fri-13feb-to-tue-24feb"),
    pytest.param(shanghai(2025, 9, 27, 12), date(2025, 10, 9), 4, id="sat-27sep-to-thu-9oct"),
    pytest.param(shanghai(2026, 12, 30, 10), date(2027, 1, 4), 4, id="into-uncovered-2027"),
]


@pytest.mark.parametrize(("now", "due_day", "left"), WORKING_DAYS_LEFT_CASES)
def test_working_days_left_counts_today_and_the_deadline_day(
    now: datetime, due_day: date, left: int
) -> None:
    assert working_days_left(now.astimezone(UTC), end_of_day_utc(due_day), CALENDAR) == left


@pytest.mark.parametrize("days", [1, 2, 3])
def test_once_a_reminder_fires_exactly_that_many_working_days_remain(days: int) -> None:
    # Fri 24 Jan 2025 + 10 working days = Thu 13 Feb, across the Spring Festival.
    due_at = working_days_deadline(shanghai(2025, 1, 24, 10), 10, CALENDAR).due_at
    reminder = working_days_before(due_at, days, CALENDAR)

    assert working_days_left(reminder + timedelta(seconds=1), due_at, CALENDAR) == days


# --- How the deadline explains itself ---------------------------------------------------------

EXPLANATIONS = [
    pytest.param(
        date(2025, 1, 24),
        6,
        {
            "end": "2025-02-08",
            "holidays": [
                "2025-01-28",
                "2025-01-29",
                "2025-01-30",
                "2025-01-31",
                "2025-02-03",
                "2025-02-04",
            ],
            "makeup_workdays": ["2025-01-26", "2025-02-08"],
        },
        id="spring-festival-2025",
    ),
    pytest.param(
        date(2026, 2, 13),
        6,
        {
            "end": "2026-02-28",
            "holidays": [
                "2026-02-16",
                "2026-02-17",
                "2026-02-18",
                "2026-02-19",
                "2026-02-20",
                "2026-02-23",
            ],
            "makeup_workdays": ["2026-02-14", "2026-02-28"],
        },
        id="spring-festival-2026",
    ),
    pytest.param(
        date(2025, 9, 26),
        6,
        {
            "end": "2025-10-11",
            "holidays": [
                "2025-10-01",
                "2025-10-02",
                "2025-10-03",
                "2025-10-06",
                "2025-10-07",
                "2025-10-08",
            ],
            "makeup_workdays": ["2025-09-28", "2025-10-11"],
        },
        id="national-day-2025",
    ),
]


@pytest.mark.parametrize(("event_day", "days", "expected"), EXPLANATIONS)
def test_explanation_lists_weekday_holidays_skipped_and_makeup_days_worked(
    event_day: date, days: int, expected: dict
) -> None:
    deadline = working_days_deadline(event_on(event_day, time(10)), days, CALENDAR)

    assert deadline.explanation == {
        "start": event_day.isoformat(),
        "days": days,
        "unit": WORKING_DAYS,
        "provisional_years": [],
        **expected,
    }


def test_explanation_of_an_uncovered_year_names_it_and_lists_no_holidays() -> None:
    deadline = working_days_deadline(shanghai(2026, 12, 30, 10), 5, CALENDAR)

    assert deadline.explanation == {
        "start": "2026-12-30",
        "days": 5,
        "unit": WORKING_DAYS,
        "end": "2027-01-06",
        "holidays": [],
        "makeup_workdays": [],
        "provisional_years": [2027],
    }


def test_explanation_of_a_published_year_lists_the_admins_days() -> None:
    deadline = working_days_deadline(shanghai(2026, 12, 30, 10), 7, PUBLISHED_2027)

    assert deadline.explanation["holidays"] == ["2027-01-01"]
    assert deadline.explanation["makeup_workdays"] == ["2027-01-09"]


# --- Computing a deadline again from its basis ------------------------------------------------

ROUND_TRIPS = [
    pytest.param(
        working_days_deadline(shanghai(2025, 1, 24, 10), 6, CALENDAR), id="working-days-2025"
    ),
    pytest.param(
        working_days_deadline(datetime(2025, 1, 26, 16, 30, tzinfo=UTC), 1, CALENDAR),
        id="working-days-early-morning",
    ),
    pytest.param(
        working_days_deadline(shanghai(2026, 2, 13, 10), 10, CALENDAR), id="working-days-2026"
    ),
    pytest.param(
        working_days_deadline(shanghai(2026, 12, 30, 10), 5, CALENDAR), id="provisional-2027"
    ),
    pytest.param(calendar_days_deadline(shanghai(2025, 9, 30, 23, 30), 7), id="calendar-days"),
    pytest.param(
        calendar_days_deadline(datetime(2025, 1, 26, 16, 30, tzinfo=UTC), 7),
        id="calendar-days-early-morning",
    ),
]


@pytest.mark.parametrize("deadline", ROUND_TRIPS)
def test_deadline_from_basis_gives_the_same_deadline(deadline) -> None:
    stored = json.loads(json.dumps(deadline.basis))

    assert deadline_from_basis(stored, CALENDAR) == deadline


def test_basis_holds_the_local_start_date_the_count_and_the_unit() -> None:
    deadline = working_days_deadline(datetime(2025, 1, 26, 16, 30, tzinfo=UTC), 3, CALENDAR)

    assert deadline.basis == {"start": "2025-01-27", "days": 3, "unit": WORKING_DAYS}


def test_provisional_deadline_recomputed_from_basis_after_2027_is_published() -> None:
    provisional = working_days_deadline(shanghai(2026, 12, 30, 10), 5, CALENDAR)
    assert provisional.due_at == end_of_day_utc(date(2027, 1, 6))

    recomputed = deadline_from_basis(provisional.basis, PUBLISHED_2027)

    assert recomputed.due_at == end_of_day_utc(date(2027, 1, 7))
    assert recomputed.provisional is False


# --- Properties over 2004–2030 ----------------------------------------------------------------

starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=1, max_value=60)


def due_day(deadline) -> date:
    return deadline.due_at.astimezone(SHANGHAI).date()


@settings(deadline=None)
@given(start=starts, clock=st.times(), days=counts)
def test_deadline_is_a_working_day_after_the_start_with_exactly_n_working_days(
    start: date, clock: time, days: int
) -> None:
    deadline = working_days_deadline(event_on(start, clock), days, CALENDAR)
    end = due_day(deadline)

    assert end > start
    assert CALENDAR.is_workday(end)
    assert sum(CALENDAR.is_workday(d) for d in days_between(start, end)) == days
    assert deadline.due_at.astimezone(SHANGHAI).time() == time(23, 59, 59)


@settings(deadline=None)
@given(start=starts, days=counts, more=counts)
def test_more_working_days_never_give_an_earlier_deadline(
    start: date, days: int, more: int
) -> None:
    event = event_on(start, time(12))

    fewer = working_days_deadline(event, days, CALENDAR)
    longer = working_days_deadline(event, days + more, CALENDAR)

    assert longer.due_at > fewer.due_at


@settings(deadline=None)
@given(start=starts, days=counts)
def test_deadline_is_provisional_iff_its_span_touches_an_uncovered_year(
    start: date, days: int
) -> None:
    deadline = working_days_deadline(event_on(start, time(12)), days, CALENDAR)
    span_years = {d.year for d in days_between(start, due_day(deadline))}
    uncovered = sorted(y for y in span_years if y not in PACKAGE_YEARS)

    assert deadline.provisional is bool(uncovered)
    assert deadline.explanation["provisional_years"] == uncovered


@settings(deadline=None)
@given(start=starts, days=counts, reminder=st.integers(min_value=1, max_value=5))
def test_after_a_reminder_exactly_that_many_working_days_remain(
    start: date, days: int, reminder: int
) -> None:
    due_at = working_days_deadline(event_on(start, time(12)), days, CALENDAR).due_at
    fires_at = working_days_before(due_at, reminder, CALENDAR)

    assert fires_at < due_at
    assert working_days_left(fires_at + timedelta(seconds=1), due_at, CALENDAR) == reminder
