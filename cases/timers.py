"""Which deadlines each status lives with, and what is pending on a case (DESIGN §4–5).

Pure functions over a case row, the policy and the calendar; ``services`` uses them to set
deadlines on a transition and to keep ``Case.next_action_at`` equal to the earliest pending timer.
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
from .models import Case, DeadlinePolicy, Status

# Deadline column prefix -> statuses in which it is live. A column is cleared when the case
# moves to a status where it is not live.
LIVE_IN: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({Status.SUBMITTED}),
    "settle": frozenset({Status.SUBMITTED, Status.NEGOTIATING}),
    "choice": frozenset({Status.NOT_SETTLED}),
    "offer": frozenset({Status.SUBMITTED, Status.NEGOTIATING, Status.MEDIATION}),
    "fulfil": frozenset({Status.SETTLED}),
    "confirm": frozenset({Status.SETTLED}),
    "intake": frozenset({Status.REGULATOR_INTAKE}),
    "mediation": frozenset({Status.MEDIATION}),
    "rating": frozenset({Status.CLOSED}),
}
WORKING_DAY_DEADLINES = ("acknowledge", "settle", "intake", "mediation")


def deadlines_on_entry(
    status: str, now: datetime, policy: DeadlinePolicy, calendar: WorkCalendar
) -> dict[str, Deadline]:
    """Return the deadlines that start when a case enters ``status`` at ``now``."""
    if status == Status.SUBMITTED:
        return {
            "acknowledge": working_days_deadline(now, policy.acknowledge_working_days, calendar),
            "settle": working_days_deadline(now, policy.settle_working_days, calendar),
        }
    if status == Status.NOT_SETTLED:
        return {"choice": calendar_days_deadline(now, policy.not_settled_choice_days)}
    if status == Status.REGULATOR_INTAKE:
        return {"intake": working_days_deadline(now, policy.intake_working_days, calendar)}
    if status == Status.MEDIATION:
        return {"mediation": working_days_deadline(now, policy.mediation_working_days, calendar)}
    if status == Status.CLOSED:
        return {"rating": calendar_days_deadline(now, policy.rating_days)}
    return {}


def reminder_days(deadline: str, policy: DeadlinePolicy) -> list[int]:
    """Return the working days before ``deadline`` at which the policy reminds (DESIGN §5)."""
    if deadline == "settle":
        return list(policy.settle_reminder_working_days or [])
    if deadline == "intake" and policy.intake_reminder_working_days:
        return [policy.intake_reminder_working_days]
    return []


def _reminders_of(case: Case, deadline: str, policy: DeadlinePolicy) -> list[int]:
    """The reminders the case was given with its deadline; a later policy change does not
    move them (cases keep what they were given). Rows from before the snapshot use the policy.
    """
    basis = case.deadline_basis.get(deadline) or {}
    return basis.get("reminders", reminder_days(deadline, policy))


@dataclass(frozen=True, order=True)
class Timer:
    at: datetime
    kind: str


def reminder_key(deadline: str, days: int) -> str:
    return f"{deadline}_{days}"


def pending_timers(case: Case, policy: DeadlinePolicy, calendar: WorkCalendar) -> list[Timer]:
    """Return everything the sweep still has to do for ``case``, earliest first.

    A timer is due once its instant has passed. Each kind is done at most once: doing it either
    moves the case on or sets the flag that removes the timer.
    """
    timers: list[Timer] = []
    status = case.status
    if status == Status.SUBMITTED and case.acknowledge_due_at and not case.acknowledge_late:
        timers.append(Timer(case.acknowledge_due_at, "acknowledge"))
    if status in (Status.SUBMITTED, Status.NEGOTIATING) and case.settle_due_at:
        for days in _reminders_of(case, "settle", policy):
            key = reminder_key("settle", days)
            if key not in case.reminders_sent:
                at = working_days_before(case.settle_due_at, days, calendar)
                timers.append(Timer(at, key))
        timers.append(Timer(case.settle_due_at, "settle"))
    if status in LIVE_IN["offer"] and case.offer_due_at:
        timers.append(Timer(case.offer_due_at, "offer"))
    if status == Status.NOT_SETTLED and case.choice_due_at:
        timers.append(Timer(case.choice_due_at, "choice"))
    if status == Status.SETTLED and case.fulfil_due_at and not case.fulfilment_overdue:
        timers.append(Timer(case.fulfil_due_at, "fulfil"))
    if status == Status.SETTLED and case.confirm_due_at:
        timers.append(Timer(case.confirm_due_at, "confirm"))
    if status == Status.REGULATOR_INTAKE and case.intake_due_at and not case.intake_overdue:
        for days in _reminders_of(case, "intake", policy):
            key = reminder_key("intake", days)
            if key not in case.reminders_sent:
                timers.append(Timer(working_days_before(case.intake_due_at, days, calendar), key))
        timers.append(Timer(case.intake_due_at, "intake"))
    if status == Status.MEDIATION and case.mediation_due_at:
        timers.append(Timer(case.mediation_due_at, "mediation"))
    if status == Status.CLOSED and case.rating_due_at and case.rating is None:
        timers.append(Timer(case.rating_due_at, "rating"))
    return sorted(timers)


def next_action_at(case: Case, policy: DeadlinePolicy, calendar: WorkCalendar) -> datetime | None:
    timers = pending_timers(case, policy, calendar)
    return timers[0].at if timers else None
