"""The complaint figures, defined once: what each count adds up over the case table (``COUNTS``,
the columns of the weekly rollups in ``regulators.stats``), and what each figure shown is made of
(``FIGURES``: on-time acknowledgement, on-time settlement, the settlement rate, the average
working days to settle, satisfaction, money recovered, …). The rollup, the regulator and merchant
dashboards, the exports and the supervision list all count and divide through here, under the
same keys.

- acknowledgement on time: acknowledged before the deadline, of those acknowledged or overdue;
- settlement on time: settled in negotiation, of those settled in negotiation or whose
  settlement deadline passed;
- settlement rate: cases that reached an agreement (negotiated or mediated), of all;
- working days to settle: the average from filing to the first agreement; rating: the average
  of 1–5;
- recovered: refunds and compensation under agreements whose fulfilment was confirmed (or
  presumed), in yuan.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DecimalField,
    Exists,
    Expression,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from .models import Agreement, Case, CaseEvent, Remedy, Status

E = CaseEvent.Type


def _event(*types: str) -> Exists:
    return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), type__in=types))


def _recovered() -> Subquery:
    """Refunds and compensation under the case's agreements whose fulfilment was confirmed."""
    paid = (
        Agreement.objects.filter(
            case=OuterRef("pk"),
            remedy__in=[Remedy.REFUND, Remedy.COMPENSATION],
        )
        .filter(Q(confirmed_at__isnull=False) | Q(confirmation_presumed=True))
        .order_by()
        .values("case")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(paid, output_field=DecimalField(max_digits=14, decimal_places=2))


# What a case contributes to the counts: annotations of the case table, each made on demand.
PER_CASE: dict[str, Callable[[], Expression]] = {
    "settled_in_negotiation": lambda: Exists(
        Agreement.objects.filter(case=OuterRef("pk"), kind=Agreement.Kind.NEGOTIATED)
    ),
    "reached_regulator": lambda: Exists(
        CaseEvent.objects.filter(case=OuterRef("pk"), data__to=Status.REGULATOR_INTAKE)
    ),
    "was_accepted": lambda: _event(E.ACCEPTED),
    "was_refused": lambda: _event(E.NOT_ACCEPTED),
    "was_mediated": lambda: _event(E.MEDIATION_CONCLUDED),
    "was_decided": lambda: _event(E.ACCEPTED, E.NOT_ACCEPTED),
    "was_agreed": lambda: Exists(Agreement.objects.filter(case=OuterRef("pk"))),
    "settle_days": lambda: Subquery(
        Agreement.objects.filter(case=OuterRef("pk"))
        .order_by("created_at")
        .values("working_days_to_settle")[:1]
    ),
    "paid": lambda: Coalesce(_recovered(), Value(0, output_field=DecimalField())),
}


@dataclass(frozen=True)
class Counted:
    """One count over a set of cases: its aggregate, and the ``PER_CASE`` annotations it reads."""

    aggregate: Callable[[], Aggregate]
    reads: tuple[str, ...] = ()


def _where(q: Q) -> Callable[[], Aggregate]:
    return lambda: Count("pk", filter=q)


def _flag(name: str) -> Counted:
    return Counted(_where(Q(**{name: True})), (name,))


COUNTS: dict[str, Counted] = {
    "filed": Counted(lambda: Count("pk")),
    # Filed with an active ODR merchant (it acknowledged, was late to, or has yet to).
    "to_merchant": Counted(
        _where(
            Q(acknowledged_at__isnull=False) | Q(acknowledge_late=True) | Q(status=Status.SUBMITTED)
        )
    ),
    "settled_directly": _flag("settled_in_negotiation"),
    "escalated": _flag("reached_regulator"),
    "accepted": _flag("was_accepted"),
    "not_accepted": _flag("was_refused"),
    "mediated": _flag("was_mediated"),
    "acknowledged_on_time": Counted(
        _where(Q(acknowledged_at__isnull=False, acknowledge_late=False))
    ),
    "acknowledged_late": Counted(_where(Q(acknowledge_late=True))),
    "settle_late": Counted(_where(Q(settle_late=True))),
    "intake_on_time": Counted(_where(Q(was_decided=True, intake_overdue=False)), ("was_decided",)),
    "intake_late": Counted(_where(Q(intake_overdue=True))),
    "recovered": Counted(lambda: Sum("paid"), ("paid",)),
    "agreed": _flag("was_agreed"),
    "rated": Counted(lambda: Count("rating")),
    "rating_sum": Counted(lambda: Sum("rating")),
    "settle_days_sum": Counted(lambda: Sum("settle_days"), ("settle_days",)),
    "settle_days_count": Counted(lambda: Count("settle_days"), ("settle_days",)),
    # Where the cases are now.
    **{f"now_{s}": Counted(_where(Q(status=s))) for s in Status.values},
}
# Every count, in the rollups' order (their columns).
COUNTED = list(COUNTS)


def case_counts(cases: QuerySet[Case], group: Sequence[str], names: Iterable[str]) -> QuerySet:
    """Return ``cases`` grouped by the fields ``group``, each group with the counts ``names`` as
    ``COUNTS`` defines them (each annotation they read made once): one grouped query."""
    names = list(names)
    reads = dict.fromkeys(read for name in names for read in COUNTS[name].reads)
    return (
        cases.annotate(**{read: PER_CASE[read]() for read in reads})
        .order_by()
        .values(*group)
        .annotate(**{name: COUNTS[name].aggregate() for name in names})
    )


def summed(names: Iterable[str]) -> dict[str, Aggregate]:
    """Return each count of ``names`` added up over rows that hold it (the rollups), 0 for no
    rows."""
    zero = {"recovered": Value(Decimal("0"), output_field=DecimalField())}
    return {name: Coalesce(Sum(name), zero.get(name, 0)) for name in names}


def zeros(names: Iterable[str]) -> dict:
    """Return the counts ``names`` of no cases."""
    return {name: Decimal("0") if name == "recovered" else 0 for name in names}


# --- The figures shown, from the counts ---------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """Return ``part`` as a share of ``whole``; None of nothing."""
    return part / whole if whole else None


def _of_both(part: int, other: int) -> float | None:
    """``part`` as a share of ``part`` and ``other`` (on time of on time or late)."""
    return rate(part, part + other)


def _average(total: int, count: int) -> float | None:
    return total / count if count else None


def recovered_in_yuan(total) -> Decimal:
    """Return a sum of ``recovered`` (yuan) with the column's two decimals (SQLite returns the
    sum of a decimal column unscaled: 120, not 120.00); None, for no rows, is 0.00."""
    return Decimal(total or 0).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Figure:
    """A figure shown: the counts it is made of, and how (a function of them, in that order)."""

    counts: tuple[str, ...]
    value: Callable


FIGURES: dict[str, Figure] = {
    "acknowledged_on_time_rate": Figure(("acknowledged_on_time", "acknowledged_late"), _of_both),
    "settled_on_time_rate": Figure(("settled_directly", "settle_late"), _of_both),
    "settlement_rate": Figure(("agreed", "filed"), rate),
    "settled_directly_rate": Figure(("settled_directly", "to_merchant"), rate),
    "intake_on_time_rate": Figure(("intake_on_time", "intake_late"), _of_both),
    "acceptance_rate": Figure(("accepted", "not_accepted"), _of_both),
    "mediation_rate": Figure(("mediated", "accepted"), rate),
    "working_days_to_settle": Figure(("settle_days_sum", "settle_days_count"), _average),
    "rating": Figure(("rating_sum", "rated"), _average),
    "recovered": Figure(("recovered",), recovered_in_yuan),
}


def counts_for(names: Iterable[str]) -> list[str]:
    """Return the counts the figures ``names`` are made of, each once."""
    return list(dict.fromkeys(count for name in names for count in FIGURES[name].counts))


def figures(counts: dict, names: Iterable[str]) -> dict:
    """Return the figures ``names`` from ``counts`` (a row of ``case_counts`` or of summed
    rollups)."""
    return {
        name: FIGURES[name].value(*(counts[count] for count in FIGURES[name].counts))
        for name in names
    }
