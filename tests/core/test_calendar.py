"""The working-day calendar: package, admin overrides and published years (product §5)."""

from datetime import date

import pytest

from core.calendar import WorkCalendar, load_calendar
from core.models import CalendarOverride, CalendarYear

PACKAGE = WorkCalendar()

# Spring Festival 2025: off Tue 28 Jan – Tue 4 Feb, make-up working days Sun 26 Jan and Sat 8 Feb.
SUN_26_JAN_2025 = date(2025, 1, 26)
TUE_28_JAN_2025 = date(2025, 1, 28)
SAT_1_FEB_2025 = date(2025, 2, 1)
MON_3_MAR_2025 = date(2025, 3, 3)
SAT_8_MAR_2025 = date(2025, 3, 8)
FRI_1_JAN_2027 = date(2027, 1, 1)
SAT_9_JAN_2027 = date(2027, 1, 9)


WORKDAYS = [
    pytest.param(SUN_26_JAN_2025, True, id="makeup-sunday-2025-is-worked"),
    pytest.param(date(2025, 1, 27), True, id="monday-before-spring-festival-2025"),
    pytest.param(TUE_28_JAN_2025, False, id="spring-festival-2025-weekday-off"),
    pytest.param(SAT_1_FEB_2025, False, id="weekend-inside-spring-festival-2025"),
    pytest.param(date(2025, 2, 8), True, id="makeup-saturday-2025-is-worked"),
    pytest.param(date(2025, 10, 6), False, id="mid-autumn-2025-monday-off"),
    pytest.param(date(2025, 10, 11), True, id="national-day-2025-makeup-saturday"),
    pytest.param(date(2026, 2, 14), True, id="makeup-saturday-before-spring-festival-2026"),
    pytest.param(date(2026, 2, 23), False, id="last-day-of-spring-festival-2026"),
    pytest.param(date(2026, 2, 28), True, id="makeup-saturday-after-spring-festival-2026"),
    pytest.param(MON_3_MAR_2025, True, id="ordinary-monday"),
    pytest.param(SAT_8_MAR_2025, False, id="ordinary-saturday"),
    pytest.param(FRI_1_JAN_2027, True, id="uncovered-2027-counts-monday-to-friday"),
    pytest.param(date(2027, 1, 2), False, id="uncovered-2027-saturday"),
]


@pytest.mark.parametrize(("day", "is_workday"), WORKDAYS)
def test_package_calendar_follows_the_official_arrangement(day: date, is_workday: bool) -> None:
    assert PACKAGE.is_workday(day) is is_workday


def test_override_turns_a_package_holiday_into_a_working_day() -> None:
    calendar = WorkCalendar(overrides={TUE_28_JAN_2025: True})

    assert calendar.is_workday(TUE_28_JAN_2025)
    assert not calendar.is_holiday(TUE_28_JAN_2025)
    # The neighbouring holiday is still the package's.
    assert not calendar.is_workday(date(2025, 1, 29))


def test_override_turns_a_package_makeup_day_into_a_day_off() -> None:
    calendar = WorkCalendar(overrides={SUN_26_JAN_2025: False})

    assert not calendar.is_workday(SUN_26_JAN_2025)
    assert not calendar.is_makeup_workday(SUN_26_JAN_2025)


def test_override_turns_an_ordinary_weekday_into_a_holiday() -> None:
    calendar = WorkCalendar(overrides={MON_3_MAR_2025: False})

    assert not calendar.is_workday(MON_3_MAR_2025)
    assert calendar.is_holiday(MON_3_MAR_2025)


def test_override_turns_an_ordinary_saturday_into_a_makeup_day() -> None:
    calendar = WorkCalendar(overrides={SAT_8_MAR_2025: True})

    assert calendar.is_workday(SAT_8_MAR_2025)
    assert calendar.is_makeup_workday(SAT_8_MAR_2025)


def test_overrides_apply_in_a_year_the_package_does_not_know() -> None:
    calendar = WorkCalendar(overrides={FRI_1_JAN_2027: False, SAT_9_JAN_2027: True})

    assert calendar.is_holiday(FRI_1_JAN_2027)
    assert calendar.is_makeup_workday(SAT_9_JAN_2027)


MAKEUP_WORKDAYS = [
    pytest.param(SUN_26_JAN_2025, True, id="makeup-sunday-2025"),
    pytest.param(date(2025, 2, 8), True, id="makeup-saturday-2025"),
    pytest.param(date(2025, 9, 28), True, id="makeup-sunday-before-national-day-2025"),
    pytest.param(date(2026, 2, 14), True, id="makeup-saturday-2026"),
    pytest.param(date(2025, 1, 27), False, id="ordinary-working-monday"),
    pytest.param(SAT_1_FEB_2025, False, id="weekend-off-inside-holiday"),
    pytest.param(SAT_8_MAR_2025, False, id="ordinary-saturday"),
    pytest.param(SAT_9_JAN_2027, False, id="uncovered-2027-saturday"),
]


@pytest.mark.parametrize(("day", "expected"), MAKEUP_WORKDAYS)
def test_is_makeup_workday_means_a_weekend_day_that_is_worked(day: date, expected: bool) -> None:
    assert PACKAGE.is_makeup_workday(day) is expected


HOLIDAYS = [
    pytest.param(TUE_28_JAN_2025, True, id="spring-festival-2025-tuesday"),
    pytest.param(date(2025, 10, 6), True, id="mid-autumn-2025-monday"),
    pytest.param(date(2026, 2, 16), True, id="spring-festival-2026-monday"),
    pytest.param(SAT_1_FEB_2025, False, id="weekend-inside-holiday-is-just-a-weekend"),
    pytest.param(SUN_26_JAN_2025, False, id="makeup-sunday"),
    pytest.param(MON_3_MAR_2025, False, id="ordinary-monday"),
    pytest.param(FRI_1_JAN_2027, False, id="uncovered-2027-new-year-unknown"),
]


@pytest.mark.parametrize(("day", "expected"), HOLIDAYS)
def test_is_holiday_means_a_weekday_off(day: date, expected: bool) -> None:
    assert PACKAGE.is_holiday(day) is expected


COVERAGE = [
    pytest.param(2003, False, id="before-the-package"),
    pytest.param(2004, True, id="first-package-year"),
    pytest.param(2025, True, id="2025"),
    pytest.param(2026, True, id="last-package-year"),
    pytest.param(2027, False, id="after-the-package"),
]


@pytest.mark.parametrize(("year", "covered"), COVERAGE)
def test_package_covers_2004_to_2026(year: int, covered: bool) -> None:
    assert PACKAGE.is_covered(year) is covered


def test_published_year_is_covered() -> None:
    calendar = WorkCalendar(published_years=frozenset({2027}))

    assert calendar.is_covered(2027)
    assert not calendar.is_covered(2028)


def test_years_not_covered_names_each_uncovered_year_once() -> None:
    days = [date(2026, 12, 31), FRI_1_JAN_2027, SAT_9_JAN_2027, date(2028, 1, 3)]

    assert PACKAGE.years_not_covered(days) == {2027, 2028}
    assert WorkCalendar(published_years=frozenset({2027})).years_not_covered(days) == {2028}


def test_load_calendar_reads_overrides_and_published_years(db) -> None:
    CalendarOverride.objects.create(date=TUE_28_JAN_2025, is_workday=True, name="correction")
    CalendarOverride.objects.create(date=FRI_1_JAN_2027, is_workday=False, name="元旦")
    CalendarOverride.objects.create(date=SAT_9_JAN_2027, is_workday=True, name="元旦调休")
    CalendarYear.objects.create(year=2027, published=True)
    CalendarYear.objects.create(year=2028, published=False)

    calendar = load_calendar()

    assert calendar.overrides == {
        TUE_28_JAN_2025: True,
        FRI_1_JAN_2027: False,
        SAT_9_JAN_2027: True,
    }
    assert calendar.published_years == frozenset({2027})
    assert calendar.is_workday(TUE_28_JAN_2025)
    assert calendar.is_holiday(FRI_1_JAN_2027)
    assert calendar.is_makeup_workday(SAT_9_JAN_2027)
    assert calendar.is_covered(2027)
    assert not calendar.is_covered(2028)


def test_load_calendar_without_rows_is_the_package_calendar(db) -> None:
    calendar = load_calendar()

    assert calendar == PACKAGE
    assert not calendar.is_covered(2027)
