"""What is pending on a case, derived from the table of deadlines (``cases.models.DEADLINES``).

Pure functions over a case row, the policy and the calendar: which deadlines start when a case
enters a status, the reminders a deadline carries, and the timers the sweep still has to do, so
that ``Case.next_action_at`` is always the earliest of them.
"""

from dataclasses import dataclass
from datetime import datetime

from core.calendar import WorkCalendar

from .deadlines import (
    Deadline,
    calendar_days_deadline,
    working_days_before,
    working_days_deadline,
)
from .models import (
    CALENDAR_DAYS,
    DEADLINES,
    WORKING_DAYS,
    Case,
    DeadlineKind,
    DeadlinePolicy,
)

# The case columns that hold deadlines and their marks, and the flags the sweep sets.
DEADLINE_FIELDS = [
    field
    for kind in DEADLINES.values()
    for field in (kind.due_field, kind.provisional_field)
    if field
]
MISSED_FLAGS = [kind.missed_flag for kind in DEADLINES.values() if kind.missed_flag]


def deadline_start(
    key: str, now: datetime, policy: DeadlinePolicy, calendar: WorkCalendar
) -> Deadline:
    """Return the ``key`` deadline starting from an event at ``now``, its length from the policy."""
    kind = DEADLINES[key]
    days = getattr(policy, kind.policy_days)
    if kind.unit == WORKING_DAYS:
        return working_days_deadline(now, days, calendar)
    assert kind.unit == CALENDAR_DAYS, f"{key} has no length of its own"
    return calendar_days_deadline(now, days)


def deadlines_on_entry(
    status: str, now: datetime, policy: DeadlinePolicy, calendar: WorkCalendar
) -> dict[str, Deadline]:
    """Return the deadlines that start when a case enters ``status`` at ``now``."""
    return {
        key: deadline_start(key, now, policy, calendar)
        for key, kind in DEADLINES.items()
        if kind.starts_on == status
    }


def reminder_days(key: str, policy: DeadlinePolicy) -> list[int]:
    """Return the working days before the ``key`` deadline at which the policy reminds."""
    field = DEADLINES[key].reminders
    value = getattr(policy, field) if field else None
    if not value:
        return []
    return list(value) if isinstance(value, list) else [value]


def _reminders_of(case: Case, kind: DeadlineKind, policy: DeadlinePolicy) -> list[int]:
    """The reminders the case was given with its deadline; a later policy change does not
    move them (cases keep what they were given). Rows from before the snapshot use the policy.
    """
    basis = case.deadline_basis.get(kind.key) or {}
    return basis.get("reminders", reminder_days(kind.key, policy))


@dataclass(frozen=True, order=True)
class Timer:
    """Something the sweep does at ``at``: a deadline passing, or a reminder before it."""

    at: datetime
    deadline: str
    reminder_days: int = 0  # 0: the deadline itself

    @property
    def is_reminder(self) -> bool:
        return self.reminder_days > 0

    @property
    def reminder_key(self) -> str:
        """How ``Case.reminders_sent`` remembers that this reminder went out."""
        return f"{self.deadline}_{self.reminder_days}"


def reminders_forget(case: Case, key: str) -> None:
    """Let the reminders of the ``key`` deadline go out again (the deadline started afresh)."""
    case.reminders_sent = [r for r in case.reminders_sent if r.rsplit("_", 1)[0] != key]


def pending_timers(case: Case, policy: DeadlinePolicy, calendar: WorkCalendar) -> list[Timer]:
    """Return everything the sweep still has to do for ``case``, earliest first.

    A timer is due once its instant has passed. Each is done at most once: doing it either moves
    the case on, clears the deadline, or sets the flag (or reminder key) that removes the timer.
    """
    timers: list[Timer] = []
    for kind in DEADLINES.values():
        due = kind.due_at(case)
        if due is None or case.status not in kind.live_in or kind.is_missed(case):
            continue
        for days in _reminders_of(case, kind, policy):
            timer = Timer(working_days_before(due, days, calendar), kind.key, days)
            if timer.reminder_key not in case.reminders_sent:
                timers.append(timer)
        timers.append(Timer(due, kind.key))
    return sorted(timers)


def next_action_at(case: Case, policy: DeadlinePolicy, calendar: WorkCalendar) -> datetime | None:
    timers = pending_timers(case, policy, calendar)
    return timers[0].at if timers else None


def live_deadlines(case: Case) -> list[tuple[DeadlineKind, datetime]]:
    """Return the deadlines the case carries now, in the table's order."""
    return [
        (kind, kind.due_at(case))
        for kind in DEADLINES.values()
        if kind.due_at(case) is not None and case.status in kind.live_in
    ]
