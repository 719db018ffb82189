"""The operation: the changes made to one locked case, its new events, and what to publish.

Services, the sweep and the provisional recomputation all change a case through an ``Op``:
``Op.transition`` is the one function that writes ``Case.status``; ``Op.record`` the one that
appends to the event chain; ``Op.set_deadline`` the one that writes a deadline column. The caller
holds the case row locked; ``Op.save`` writes it with the new events and their outbox rows
(``cases.notifications.outbox_write``) and, once the transaction commits, announces the new
events (``events_recorded``), which ``cases.tasks`` turns into a nudge of the outbox relay.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from core.calendar import WorkCalendar
from core.errors import InvalidTransition

from .deadlines import Deadline
from .ledger import event_append
from .models import (
    DEADLINES,
    INITIAL_STATUSES,
    MERCHANT_DEADLINES,
    TRANSITIONS,
    Case,
    CaseEvent,
    DeadlinePolicy,
    MerchantStatusCount,
    Offer,
    OfficeBacklogCount,
    Status,
)
from .notifications import outbox_write
from .timers import deadlines_on_entry, next_action_at, reminder_days, reminders_forget

# Sent after the transaction that recorded events commits, with the saved ``events``.
events_recorded = Signal()


def events_publish_on_commit(events: list[CaseEvent]) -> None:
    """Announce ``events`` once the current transaction commits (never from inside it)."""
    if events:
        # robust: the change is committed; a failing receiver must not turn it into an error.
        transaction.on_commit(
            lambda: events_recorded.send_robust(sender=Case, events=events), robust=True
        )


@dataclass
class Op:
    case: Case
    now: datetime
    policy: DeadlinePolicy
    calendar: WorkCalendar
    actor: object | None = None
    party: str | None = None
    events: list[CaseEvent] = field(default_factory=list)
    # Status changes (merchant id, old status or "", new status) not yet counted.
    moves: list[tuple[int, str, str]] = field(default_factory=list)
    # The office backlog counts (office id, kind) the case was in when last counted.
    counted: tuple[tuple[int, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        self.counted = self._backlog()

    def _backlog(self) -> tuple[tuple[int, str], ...]:
        office = self.case.office_id
        return tuple((office, kind) for kind in OfficeBacklogCount.kinds_of(self.case))

    def backlog_changes(self) -> list[tuple[int, str, int]]:
        """What the case changed in the office backlog counts since they were last taken
        (office id, kind, -1 or +1): a status change, a transfer, a missed decision deadline."""
        now = self._backlog()
        changes = [(*key, -1) for key in self.counted if key not in now]
        changes += [(*key, 1) for key in now if key not in self.counted]
        self.counted = now
        return changes

    def record(self, type: str, data: dict | None = None, *, internal: bool = False) -> CaseEvent:
        """Append an event to the case's chain (saved with the case by ``Op.save``)."""
        event = event_append(
            self.case, type, now=self.now, actor=self.actor, data=data, internal=internal
        )
        self.events.append(event)
        return event

    def set_deadline(self, key: str, deadline: Deadline | None) -> dict | None:
        """Set (or clear) the ``key`` deadline of the case; return its explanation for the event."""
        case, kind = self.case, DEADLINES[key]
        setattr(case, kind.due_field, deadline.due_at if deadline else None)
        if kind.provisional_field:
            setattr(case, kind.provisional_field, bool(deadline and deadline.provisional))
            if deadline:
                basis = {**deadline.basis, "reminders": reminder_days(key, self.policy)}
                case.deadline_basis = {**case.deadline_basis, key: basis}
            else:
                case.deadline_basis = {k: v for k, v in case.deadline_basis.items() if k != key}
        self._merchant_due()
        return deadline.explained() if deadline else None

    def _merchant_due(self) -> None:
        key = MERCHANT_DEADLINES.get(self.case.status)
        self.case.merchant_due_at = DEADLINES[key].due_at(self.case) if key else None

    def transition(
        self,
        to: str,
        event_type: str,
        *,
        resolution: str = "",
        data: dict | None = None,
        deadlines: dict[str, Deadline] | None = None,
    ) -> CaseEvent:
        """Move the case to ``to`` — the only place that writes ``Case.status``.

        Checks the transition table (a new case, with no status yet, may only enter one of the
        initial statuses), clears the deadlines the new status does not live with, starts the ones
        it begins (plus ``deadlines`` the caller knows, such as an agreement's fulfil-by date),
        withdraws an offer left open, and records the event.
        """
        case = self.case
        old = case.status
        allowed = TRANSITIONS[old] if old else {(s, "") for s in INITIAL_STATUSES}
        if (to, resolution) not in allowed:
            raise InvalidTransition(
                _("A case cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label if old else "—", "new": Status(to).label}
            )
        data = dict(data or {})
        if old:
            data.update({"from": old, "to": to})
        else:
            data["to"] = to
        if resolution:
            data["resolution"] = resolution

        if case.offer_due_at and to not in DEADLINES["offer"].live_in:
            withdrawn = case.offers.filter(status=Offer.Status.OPEN).update(
                status=Offer.Status.WITHDRAWN, decided_at=self.now
            )
            if withdrawn:
                data["offer_withdrawn"] = True
        for key, kind in DEADLINES.items():
            if to not in kind.live_in:
                self.set_deadline(key, None)
        starting = {
            **deadlines_on_entry(to, self.now, self.policy, self.calendar),
            **(deadlines or {}),
        }
        explained = {key: self.set_deadline(key, deadline) for key, deadline in starting.items()}
        if explained:
            data["deadlines"] = explained
        # A deadline that starts afresh has not been missed, nor reminded of, yet.
        for key in starting:
            if DEADLINES[key].missed_flag:
                setattr(case, DEADLINES[key].missed_flag, False)
            reminders_forget(case, key)
        # Overdue fulfilment concerns only the agreement being fulfilled, whatever comes next.
        case.fulfilment_overdue = False
        case.status = to
        case.resolution = resolution
        case.closed_at = self.now if to == Status.CLOSED else None
        self.moves.append((case.merchant_id, old or "", to))
        self._merchant_due()
        return self.record(event_type, data)

    def save(self) -> None:
        """Write the case, its new events and their outbox (who is to hear of them); publish the
        events once the transaction commits."""
        self.case.next_action_at = next_action_at(self.case, self.policy, self.calendar)
        self.case.save()
        CaseEvent.objects.bulk_create(self.events)
        outbox_write(self.events)
        status_counts_apply(self.moves)
        backlog_counts_apply(self.backlog_changes())
        events_publish_on_commit(self.events)
        self.events, self.moves = [], []


def status_counts_apply(moves: list[tuple[int, str, str]]) -> None:
    """Count status changes into ``MerchantStatusCount`` (in the transaction that made them)."""
    delta: Counter = Counter()
    for merchant_id, old, new in moves:
        if old:
            delta[(merchant_id, old)] -= 1
        delta[(merchant_id, new)] += 1
    _counts_add(MerchantStatusCount, ("merchant_id", "status"), delta)


def backlog_counts_apply(changes: list[tuple[int, str, int]]) -> None:
    """Count backlog changes (``Op.backlog_changes``) into ``OfficeBacklogCount``, in the
    transaction that made them."""
    delta: Counter = Counter()
    for office_id, kind, n in changes:
        delta[(office_id, kind)] += n
    _counts_add(OfficeBacklogCount, ("office_id", "kind"), delta)


def _counts_add(model, key: tuple[str, str], delta: Counter) -> None:
    """Add ``delta`` {(key values): n} to the ``count`` column of a kept-counts table: one upsert
    per key touched, in a fixed order so that two transactions never wait for each other's rows
    crosswise."""
    rows = [(*values, n) for values, n in sorted(delta.items()) if n]
    if not rows:
        return
    table, columns = model._meta.db_table, ", ".join(key)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({columns}) DO UPDATE SET count = {table}.count + excluded.count",
            rows,
        )
