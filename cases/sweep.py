"""The deadline sweep (product §5).

Every minute beat runs ``sweep_deadlines`` (so does ``manage.py sweep_deadlines``). It claims due
cases in batches with ``SELECT … FOR UPDATE SKIP LOCKED`` over the partial index on
``next_action_at``, does what is due on each (``cases.due``) through an ``Op``, and writes the
batch back at once.
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

from .due import apply_due
from .models import Case, CaseEvent, DeadlinePolicy
from .notifications import outbox_write
from .op import Op, backlog_counts_apply, events_publish_on_commit, status_counts_apply
from .timers import DEADLINE_FIELDS, MISSED_FLAGS

logger = logging.getLogger(__name__)

# Fields a timer can change; the batch writes exactly these back.
SWEPT_FIELDS = [
    "status",
    "resolution",
    "closed_at",
    *DEADLINE_FIELDS,
    "deadline_basis",
    "next_action_at",
    "merchant_due_at",
    *MISSED_FLAGS,
    "reminders_sent",
    "last_event_seq",
    "last_event_hash",
    "updated_at",
]


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
    """Write the batch: the cases, their events and the events' outbox rows (the same function
    as ``Op.save`` decides who is to hear of them)."""
    if connection.vendor == "postgresql":
        _save_batch_postgresql(cases, events)
    else:
        Case.objects.bulk_update(cases, SWEPT_FIELDS)
        CaseEvent.objects.bulk_create(events)
    outbox_write(events, bulk=True)


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
    current = None
    actions: Counter = Counter()
    try:
        with transaction.atomic():
            cases = list(due_cases(now, batch_size, exclude=report.stuck))
            if not cases:
                return 0
            events, moves, backlog = [], [], []
            for current in cases:
                op = Op(current, now, policy, calendar)
                done, pending = apply_due(op)
                actions.update(done)
                current.next_action_at = pending[0].at if pending else None
                current.updated_at = now
                if current.next_action_at is not None and current.next_action_at < now:
                    logger.error("sweep: case %s still has a due timer", current.number)
                    report.stuck.add(current.pk)
                events.extend(op.events)
                moves.extend(op.moves)
                backlog.extend(op.backlog_changes())
            current = None
            _save_batch(cases, events)
            status_counts_apply(moves)
            backlog_counts_apply(backlog)
            events_publish_on_commit(events)
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
