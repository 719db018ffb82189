"""The mainland China statutory working-day calendar (product §5).

``chinesecalendar`` knows the official holiday arrangements, make-up working weekends (调休)
included, for the years it was released with. Admins can correct or extend it with
``CalendarOverride`` rows, which always win, and declare a later year complete with a
``CalendarYear`` row. A date in a year that neither covers is counted Monday to Friday and every
deadline computed across it is marked provisional.

``WorkCalendar`` is a plain value: build it once (``load_calendar``) and pass it to the pure
deadline functions.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import chinese_calendar

from .cached import ProcessCopy
from .models import CalendarOverride, CalendarYear

_PACKAGE_HOLIDAYS = chinese_calendar.holidays
_PACKAGE_WORKDAYS = chinese_calendar.workdays
_PACKAGE_YEARS = frozenset(
    range(
        min(chinese_calendar.holidays).year,
        max(max(chinese_calendar.holidays), max(chinese_calendar.workdays)).year + 1,
    )
)


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)
    published_years: frozenset[int] = frozenset()
    package_years: frozenset[int] = _PACKAGE_YEARS
    # Results of deadline arithmetic over this calendar (see cases.deadlines): a sweep computes
    # the same few deadlines for thousands of cases.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def is_covered(self, year: int) -> bool:
        """Return whether the official arrangement of ``year`` is known."""
        return year in self.package_years or year in self.published_years

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.package_years:
            # The package's own is_workday validates the year by scanning its tables on every
            # call; the lookup itself is two dict probes.
            return day in _PACKAGE_WORKDAYS or (day.weekday() < 5 and day not in _PACKAGE_HOLIDAYS)
        return day.weekday() < 5

    def is_makeup_workday(self, day: date) -> bool:
        """Return whether ``day`` is a weekend day worked in exchange for a holiday (调休)."""
        return day.weekday() >= 5 and self.is_workday(day)

    def is_holiday(self, day: date) -> bool:
        """Return whether ``day`` is a weekday off (a statutory holiday or a bridge day)."""
        return day.weekday() < 5 and not self.is_workday(day)

    def years_not_covered(self, days: Iterable[date]) -> set[int]:
        return {d.year for d in days if not self.is_covered(d.year)}


def load_calendar() -> WorkCalendar:
    """Build the calendar from the package and the admin's override tables."""
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    published = frozenset(
        CalendarYear.objects.filter(published=True).values_list("year", flat=True)
    )
    return WorkCalendar(overrides=overrides, published_years=published)


def current_calendar() -> WorkCalendar:
    """The calendar as ``load_calendar`` builds it, from this process's copy (``core.cached``):
    what services read on every request. Sweeps load their own."""
    return _calendar_copy.get()


_calendar_copy = ProcessCopy("calendar", load_calendar)
_calendar_copy.watch(CalendarOverride, CalendarYear)
