"""Per-process copies of the deadline policy and the working-day calendar (core.cached): read
without a query, reloaded when an admin changes them, in this process at once and in the others
through the shared cache."""

from datetime import date

import pytest
import redis
from django.core.cache import cache

from cases.models import DeadlinePolicy
from core.cached import ProcessCopy
from core.calendar import current_calendar, load_calendar
from core.models import CalendarOverride, CalendarYear
from tests.conftest import at

FRI_1_JAN_2027 = date(2027, 1, 1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_copy(name: str, clock: Clock | None = None) -> tuple[ProcessCopy, list[int]]:
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    return ProcessCopy(name, load, max_age=60, clock=clock or Clock()), loads


def test_the_calendar_is_read_from_the_copy_without_a_query(db, django_assert_num_queries):
    first = current_calendar()

    with django_assert_num_queries(0):
        assert current_calendar() is first


def test_the_policy_is_read_from_the_copy_without_a_query(db, django_assert_num_queries):
    first = DeadlinePolicy.cached()

    with django_assert_num_queries(0):
        assert DeadlinePolicy.cached() is first


def test_an_override_saved_here_is_seen_by_the_next_read(db):
    assert current_calendar().is_workday(FRI_1_JAN_2027)  # 2027 not published: Mon–Fri

    CalendarOverride.objects.create(date=FRI_1_JAN_2027, is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027, published=True)

    calendar = current_calendar()
    assert calendar.is_holiday(FRI_1_JAN_2027) and calendar.is_covered(2027)


def test_a_deleted_override_is_forgotten(db):
    override = CalendarOverride.objects.create(date=FRI_1_JAN_2027, is_workday=False)
    assert current_calendar().is_holiday(FRI_1_JAN_2027)

    override.delete()

    assert current_calendar().is_workday(FRI_1_JAN_2027)


def test_another_process_reloads_within_a_second_of_the_commit(
    db, django_capture_on_commit_callbacks
):
    # Another process: its own copy of the calendar, the same shared cache.
    clock = Clock()
    elsewhere = ProcessCopy("calendar", load_calendar, clock=clock)
    assert elsewhere.get().is_workday(FRI_1_JAN_2027)

    with django_capture_on_commit_callbacks(execute=False) as committed:
        CalendarOverride.objects.create(date=FRI_1_JAN_2027, is_workday=False)
    # Not committed yet: the other process keeps the copy it has.
    assert elsewhere.get().is_workday(FRI_1_JAN_2027)

    for callback in committed:
        callback()
    clock.now += 0.5
    assert elsewhere.get().is_workday(FRI_1_JAN_2027)  # compared once a second
    clock.now += 0.5

    assert elsewhere.get().is_holiday(FRI_1_JAN_2027)


def test_a_changed_policy_gives_the_next_complaint_its_deadline(file_case):
    assert file_case().settle_due_at == at(2026, 3, 16, 23, 59, 59)  # 10 working days

    policy = DeadlinePolicy.current()
    policy.settle_working_days = 12
    policy.save()

    assert file_case().settle_due_at == at(2026, 3, 18, 23, 59, 59)


def test_a_copy_is_reloaded_when_it_is_older_than_max_age(db):
    clock = Clock()
    copy, loads = counting_copy("test-age", clock)

    assert copy.get() == 1
    clock.now += 59
    assert copy.get() == 1
    clock.now += 2

    assert copy.get() == 2 and len(loads) == 2


def test_a_copy_is_reloaded_when_the_shared_version_changes(db):
    clock = Clock()
    copy, _loads = counting_copy("test-version", clock)
    assert copy.get() == 1 and copy.get() == 1

    cache.set(copy.key, "another process changed it")
    clock.now += 1

    assert copy.get() == 2
    assert copy.get() == 2


def test_the_shared_version_is_read_at_most_once_a_second(db, monkeypatch):
    clock = Clock()
    copy, _loads = counting_copy("test-reads", clock)
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: reads.append(key) or real_get(key))
    for _ in range(10):
        copy.get()
        clock.now += 0.25

    assert len(reads) == 3  # at 0, 1 and 2 seconds


def test_a_cache_outage_keeps_the_copy_until_max_age(db, settings):
    clock = Clock()
    copy, _loads = counting_copy("test-outage", clock)
    assert copy.get() == 1
    # Nothing listens on port 1: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("anything")

    clock.now += 1
    assert copy.get() == 1
    clock.now += 60
    assert copy.get() == 2
