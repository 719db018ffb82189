"""The deadline sweep (DESIGN §5).

Every minute beat runs ``sweep_deadlines`` (so does ``manage.py sweep_deadlines``). It claims due
cases in batches with ``SELECT … FOR UPDATE SKIP LOCKED`` over the partial index on
``next_action_at``, does each due timer through the services' ``Op``, and commits the batch.
Two sweeps at once claim disjoint rows; a crash rolls the batch back for the next sweep; a timer,
once done, is gone from the row (the status moved or a flag was set), so nothing happens twice.
On PostgreSQL a batch is written back with COPY; docs/benchmarks.md has the figures.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone

from core.calendar import WorkCalendar, load_calendar

from .deadlines import calendar_days_deadline
from .models import Agreement, Case, CaseEvent, DeadlinePolicy, Offer, Resolution, Status
from .timers import Timer, pending_timers

logger = logging.getLogger(__name__)
E = CaseEvent.Type

# Fields a timer can change; the batch writes exactly these back.
SWEPT_FIELDS = [
    "status",
    "resolution",
    "closed_at",
    "acknowledge_due_at",
    "acknowledge_due_provisional",
    "settle_due_at",
    "settle_due_provisional",
    "choice_due_at",
    "offer_due_at",
    "fulfil_due_at",
    "confirm_due_at",
    "intake_due_at",
    "intake_due_provisional",
    "mediation_due_at",
    "mediation_due_provisional",
    "rating_due_at",
    "deadline_basis",
    "next_action_at",
    "acknowledge_late",
    "fulfilment_overdue",
    "intake_overdue",
    "reminders_sent",
    "last_event_seq",
    "last_event_hash",
    "updated_at",
]


def _do(op, timer: Timer) -> str:
    """Do one due timer on the locked case; return what was done (for the sweep's report)."""
    case = op.case
    kind = timer.kind
    if kind == "acknowledge":
        case.acknowledge_late = True
        op.record(
            E.ACKNOWLEDGEMENT_OVERDUE, {"due_at": case.acknowledge_due_at.isoformat()}, notify=True
        )
        return "acknowledgement_overdue"
    if kind.startswith(("settle_", "intake_")):
        deadline, days = kind.rsplit("_", 1)
        case.reminders_sent = [*case.reminders_sent, kind]
        due = case.settle_due_at if deadline == "settle" else case.intake_due_at
        if due is not None and op.now > due:
            return "reminder_skipped"  # the deadline itself is already due; no point reminding
        op.record(
            E.REMINDER_SENT,
            {"deadline": deadline, "working_days_before": int(days), "due_at": due.isoformat()},
            notify=True,
        )
        return "reminder"
    if kind == "settle":
        op.transition(
            Status.REGULATOR_INTAKE,
            E.DEADLINE_MISSED,
            data={"deadline": "settle", "due_at": case.settle_due_at.isoformat()},
        )
        return "escalated"
    if kind == "offer":
        lapsed = Offer.objects.filter(case=case, status=Offer.Status.OPEN).update(
            status=Offer.Status.LAPSED, decided_at=op.now
        )
        due = case.offer_due_at
        op.set_deadline("offer", None)
        if lapsed:
            op.record(E.OFFER_LAPSED, {"due_at": due.isoformat()}, notify=True)
        return "offer_lapsed"
    if kind == "choice":
        op.transition(Status.CLOSED, E.CHOICE_WINDOW_EXPIRED, resolution=Resolution.NOT_SETTLED)
        return "closed_not_settled"
    if kind == "fulfil":
        # The merchant did not say the agreement is fulfilled by its date: the consumer now has
        # the confirmation window to confirm or report non-fulfilment, so the case cannot stay
        # open for ever.
        case.fulfilment_overdue = True
        explained = op.set_deadline(
            "confirm", calendar_days_deadline(op.now, op.policy.confirm_days)
        )
        op.record(
            E.FULFILMENT_OVERDUE,
            {"due_at": case.fulfil_due_at.isoformat(), "deadlines": {"confirm": explained}},
            notify=True,
        )
        return "fulfilment_overdue"
    if kind == "confirm":
        agreement = case.agreements.order_by("-created_at", "-pk").first()
        if agreement is not None:
            Agreement.objects.filter(pk=agreement.pk).update(confirmation_presumed=True)
        op.transition(
            Status.CLOSED,
            E.FULFILMENT_PRESUMED,
            resolution=Resolution.SETTLED,
            data={"agreement": agreement.pk if agreement else None},
        )
        return "closed_settled"
    if kind == "intake":
        case.intake_overdue = True
        op.record(E.INTAKE_OVERDUE, {"due_at": case.intake_due_at.isoformat()}, notify=True)
        return "intake_overdue"
    if kind == "mediation":
        op.transition(
            Status.CLOSED,
            E.MEDIATION_EXPIRED,
            resolution=Resolution.MEDIATION_EXPIRED,
            data={"due_at": case.mediation_due_at.isoformat()},
        )
        return "mediation_expired"
    if kind == "rating":
        due = case.rating_due_at
        op.set_deadline("rating", None)
        op.record(E.RATING_WINDOW_CLOSED, {"due_at": due.isoformat()})
        return "rating_window_closed"
    raise ValueError(f"unknown timer {kind!r}")


def _apply_due(op) -> tuple[list[str], list[Timer]]:
    """Do every timer of ``op.case`` that is due at ``op.now``, earliest first; return what was
    done and the timers still pending."""
    done = []
    for _ in range(20):  # each round does one timer; a case never has this many at once
        pending = pending_timers(op.case, op.policy, op.calendar)
        if not pending or pending[0].at >= op.now:
            return done, pending
        done.append(_do(op, pending[0]))
    return done, pending_timers(op.case, op.policy, op.calendar)


def apply_due_timers(op) -> list[str]:
    """Do every timer of ``op.case`` that is due at ``op.now``, earliest first."""
    return _apply_due(op)[0]


@dataclass
class SweepReport:
    cases: int = 0
    batches: int = 0
    actions: Counter = field(default_factory=Counter)
    stuck: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        details = ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items())) or "nothing due"
        stuck = f"; {len(self.stuck)} case(s) set aside, see the log" if self.stuck else ""
        return f"{self.cases} case(s) in {self.batches} batch(es): {details}{stuck}"


def due_cases(now: datetime, batch_size: int, *, exclude: set[int] = frozenset()):
    """Return the query that claims the next batch: due cases not locked by another sweep."""
    due = Case.objects.filter(next_action_at__lt=now)
    if exclude:
        due = due.exclude(pk__in=exclude)
    return due.order_by("next_action_at").select_for_update(skip_locked=True)[:batch_size]


def _copy_rows(objs: list, fields: list) -> list[list]:
    """Return the values of ``fields`` for COPY.

    psycopg adapts strings, numbers, booleans and aware datetimes as they are; only JSON needs
    Django's wrapper. (``get_db_prep_save`` on every value cost 8% of the sweep.)
    """
    db = transaction.get_connection()
    prepare = [(f.attname, isinstance(f, JSONField) and f.get_db_prep_save) for f in fields]
    return [
        [prep(getattr(obj, name), db) if prep else getattr(obj, name) for name, prep in prepare]
        for obj in objs
    ]


def _save_batch_postgresql(cases: list[Case], events: list[CaseEvent]) -> None:
    """Write a batch with COPY: the cases through a temporary table and one UPDATE, the events
    straight into their table, with ids taken from its sequence first so they can be notified.

    ``bulk_update`` builds a ``CASE WHEN id = … THEN …`` per field and row and took longer than
    all the rest of the sweep together; COPY also skips quoting every value into the SQL.
    """
    quote = connection.ops.quote_name
    fields = [Case._meta.get_field(name) for name in SWEPT_FIELDS]
    columns = ", ".join(quote(f.column) for f in fields)
    table, pk = quote(Case._meta.db_table), quote(Case._meta.pk.column)
    event_fields = [f for f in CaseEvent._meta.concrete_fields if not f.primary_key]
    event_table = CaseEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE swept_case AS SELECT {pk}, {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY swept_case ({columns}, {pk}) FROM STDIN") as copy:
            for row, case in zip(_copy_rows(cases, fields), cases, strict=True):
                copy.write_row([*row, case.pk])
        assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in fields)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM swept_case s WHERE {table}.{pk} = s.{pk}"
        )
        cursor.execute("DROP TABLE swept_case")  # a sweep can run inside an outer transaction
        if not events:
            return
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [event_table, CaseEvent._meta.pk.column, len(events)],
        )
        for event, event_id in zip(events, sorted(r[0] for r in cursor.fetchall()), strict=True):
            event.pk = event_id
        event_columns = ", ".join(quote(f.column) for f in [CaseEvent._meta.pk, *event_fields])
        with cursor.cursor.copy(f"COPY {quote(event_table)} ({event_columns}) FROM STDIN") as copy:
            # An event's data was already encoded once, for its hash: COPY takes that text.
            data_at = event_fields.index(CaseEvent._meta.get_field("data"))
            plain = [f for f in event_fields if f.name != "data"]
            for row, event in zip(_copy_rows(events, plain), events, strict=True):
                row.insert(data_at, event.data_json)
                copy.write_row([event.pk, *row])


def _save_batch(cases: list[Case], events: list[CaseEvent]) -> None:
    if connection.vendor == "postgresql":
        _save_batch_postgresql(cases, events)
    else:
        Case.objects.bulk_update(cases, SWEPT_FIELDS)
        CaseEvent.objects.bulk_create(events)


def _sweep_batch(
    now: datetime,
    policy: DeadlinePolicy,
    calendar: WorkCalendar,
    batch_size: int,
    report: "SweepReport",
) -> int:
    """Claim and sweep one batch; return how many cases were claimed (0: nothing is due).

    A case whose timers raise is set aside (``report.stuck``) and the batch is rolled back and
    claimed again without it, so one bad row never stops the deadlines of all the others.
    """
    from .services import Op, _notify_on_commit

    current = None
    actions: Counter = Counter()
    try:
        with transaction.atomic():
            cases = list(due_cases(now, batch_size, exclude=report.stuck))
            if not cases:
                return 0
            events, notify = [], []
            for current in cases:
                op = Op(current, now, policy, calendar)
                done, pending = _apply_due(op)
                actions.update(done)
                current.next_action_at = pending[0].at if pending else None
                current.updated_at = now
                if current.next_action_at is not None and current.next_action_at < now:
                    logger.error("sweep: case %s still has a due timer", current.number)
                    report.stuck.add(current.pk)
                events.extend(op.events)
                notify.extend(op.notify)
            current = None
            _save_batch(cases, events)
            _notify_on_commit(notify)
    except Exception:
        if current is None:
            raise  # the batch itself failed (database gone, …): let the task retry
        logger.exception("sweep: case %s failed; setting it aside", current.number)
        report.stuck.add(current.pk)
        return len(cases)
    report.actions.update(actions)
    report.cases += len(cases)
    report.batches += 1
    return len(cases)


def sweep_deadlines(now: datetime | None = None, *, batch_size: int | None = None) -> SweepReport:
    """Do everything that is due on every case; return what was done."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ODR_SWEEP_BATCH_SIZE
    report = SweepReport()
    if not Case.objects.filter(next_action_at__lt=now).exists():
        return report
    policy, calendar = DeadlinePolicy.current(), load_calendar()
    while _sweep_batch(now, policy, calendar, batch_size, report):
        pass
    if report.cases:
        logger.info("sweep at %s: %s", now.isoformat(), report)
    return report
