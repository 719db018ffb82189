"""What happens when a deadline passes (product §4–5): one handler per deadline of the table.

``apply_due`` does, earliest first, every timer of a locked case that is due; the sweep calls it
for batches of cases, the services for the one case they are about to change (so a late action
meets the state the deadline produced).
"""

from collections.abc import Callable

from django.db import transaction

from .models import DEADLINES, Agreement, Case, CaseEvent, Offer, Resolution, Status
from .op import Op
from .timers import Timer, deadline_start, pending_timers

E = CaseEvent.Type


def _acknowledge(op: Op, due: str) -> str:
    """Late acknowledgement is counted; the settlement clock keeps running."""
    op.case.acknowledge_late = True
    op.record(E.ACKNOWLEDGEMENT_OVERDUE, {"due_at": due})
    return "acknowledgement_overdue"


def _settle(op: Op, due: str) -> str:
    op.case.settle_late = True
    op.transition(
        Status.REGULATOR_INTAKE, E.DEADLINE_MISSED, data={"deadline": "settle", "due_at": due}
    )
    return "escalated"


def _offer(op: Op, due: str) -> str:
    lapsed = op.case.offers.filter(status=Offer.Status.OPEN).update(
        status=Offer.Status.LAPSED, decided_at=op.now
    )
    op.set_deadline("offer", None)
    if lapsed:
        op.record(E.OFFER_LAPSED, {"due_at": due})
    return "offer_lapsed"


def _choice(op: Op, due: str) -> str:
    op.transition(Status.CLOSED, E.CHOICE_WINDOW_EXPIRED, resolution=Resolution.NOT_SETTLED)
    return "closed_not_settled"


def _fulfil(op: Op, due: str) -> str:
    """The merchant did not say the agreement is fulfilled by its date: the consumer now has the
    confirmation window to confirm or report non-fulfilment, so the case cannot stay open for
    ever."""
    op.case.fulfilment_overdue = True
    explained = op.set_deadline(
        "confirm", deadline_start("confirm", op.now, op.policy, op.calendar)
    )
    op.record(E.FULFILMENT_OVERDUE, {"due_at": due, "deadlines": {"confirm": explained}})
    return "fulfilment_overdue"


def _confirm(op: Op, due: str) -> str:
    agreement = op.case.current_agreement()
    if agreement is not None:
        Agreement.objects.filter(pk=agreement.pk).update(confirmation_presumed=True)
    op.transition(
        Status.CLOSED,
        E.FULFILMENT_PRESUMED,
        resolution=Resolution.SETTLED,
        data={"agreement": agreement.pk if agreement else None},
    )
    return "closed_settled"


def _intake(op: Op, due: str) -> str:
    """A legal decision is never made automatically: the case is marked and supervisors alerted."""
    op.case.intake_overdue = True
    op.record(E.INTAKE_OVERDUE, {"due_at": due})
    return "intake_overdue"


def _mediation(op: Op, due: str) -> str:
    op.transition(
        Status.CLOSED,
        E.MEDIATION_EXPIRED,
        resolution=Resolution.MEDIATION_EXPIRED,
        data={"due_at": due},
    )
    return "mediation_expired"


def _rating(op: Op, due: str) -> str:
    op.set_deadline("rating", None)
    op.record(E.RATING_WINDOW_CLOSED, {"due_at": due})
    return "rating_window_closed"


# Deadline key -> what happens when it passes; the handler returns a word for the sweep's report.
ON_DUE: dict[str, Callable[[Op, str], str]] = {
    "acknowledge": _acknowledge,
    "settle": _settle,
    "choice": _choice,
    "offer": _offer,
    "fulfil": _fulfil,
    "confirm": _confirm,
    "intake": _intake,
    "mediation": _mediation,
    "rating": _rating,
}
assert ON_DUE.keys() == DEADLINES.keys(), "every deadline needs its handler"


def _remind(op: Op, timer: Timer) -> str:
    case = op.case
    case.reminders_sent = [*case.reminders_sent, timer.reminder_key]
    due = DEADLINES[timer.deadline].due_at(case)
    if op.now > due:
        return "reminder_skipped"  # the deadline itself is already due; no point reminding
    op.record(
        E.REMINDER_SENT,
        {
            "deadline": timer.deadline,
            "working_days_before": timer.reminder_days,
            "due_at": due.isoformat(),
        },
    )
    return "reminder"


def _do(op: Op, timer: Timer) -> str:
    if timer.is_reminder:
        return _remind(op, timer)
    due = DEADLINES[timer.deadline].due_at(op.case)
    return ON_DUE[timer.deadline](op, due.isoformat())


def apply_due(op: Op) -> tuple[list[str], list[Timer]]:
    """Do every timer of ``op.case`` that is due at ``op.now``, earliest first; return what was
    done and the timers still pending."""
    done = []
    for _ in range(20):  # each round does one timer; a case never has this many at once
        pending = pending_timers(op.case, op.policy, op.calendar)
        if not pending or pending[0].at >= op.now:
            return done, pending
        done.append(_do(op, pending[0]))
    return done, pending_timers(op.case, op.policy, op.calendar)


def case_apply_due(case_id: int, *, now, policy, calendar) -> bool:
    """Do whatever deadlines of one case are already due; return whether anything was done."""
    if not Case.objects.filter(pk=case_id, next_action_at__lt=now).exists():
        return False
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id, next_action_at__lt=now).first()
        if case is None:
            return False
        op = Op(case, now, policy, calendar)
        apply_due(op)
        op.save()
    return True
