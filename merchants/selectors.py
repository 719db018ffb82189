"""Reading merchants and the merchant portal's lists: the respondent search, the inbox and its
counts. Cases are scoped to the merchant by ``cases.selectors.case_list_for_merchant``."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case as Choose
from django.db.models import (
    Count,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Length

from cases.deadlines import add_working_days
from cases.figures import counts_for, figures, summed
from cases.models import (
    MERCHANT_NEXT_DUE,
    MerchantStatusCount,
    Status,
)
from cases.rules import Party
from cases.selectors import (
    case_list_for_merchant,
    consumer_name_for,
    deadline_shown,
    merchant_next_deadline,
)
from core.calendar import WorkCalendar
from core.credit_code import normalize_credit_code
from core.dates import end_of_day, local_date, week_start

# Imported from here by callers that predate ``core.dates``.
from core.dates import start_of_day as start_of_day
from core.paging import KeysetPage, keyset_page
from regulators.models import OfficeWeekStats

from .models import Merchant, MerchantMembership

# How many name matches are ranked for a search: a common word ("有限公司") matches most rows, and
# ranking all of them would sort the table. The trigram index finds this many; they are ranked.
SEARCH_CANDIDATES = 200
SEARCH_MIN_CHARS = 2
SEARCH_MAX_CHARS = 50
_CREDIT_CODE = re.compile(r"[0-9A-Z]{18}")


def merchant_search(query: str, *, limit: int = 8) -> list[Merchant]:
    """Return known businesses whose name contains ``query``, or whose unified social credit code
    is ``query``: active ODR merchants first, then the closest names. One query."""
    query = (query or "").strip()[:SEARCH_MAX_CHARS]
    code = normalize_credit_code(query)
    if _CREDIT_CODE.fullmatch(code):
        return list(Merchant.objects.filter(credit_code=code)[:1])
    if len(query) < SEARCH_MIN_CHARS:
        return []
    candidates = Merchant.objects.filter(name__contains=query).values("pk")[:SEARCH_CANDIDATES]
    return list(_ranked(Merchant.objects.filter(pk__in=candidates))[:limit])


def _ranked(merchants: QuerySet[Merchant]) -> QuerySet[Merchant]:
    active_first = Choose(
        When(odr_status=Merchant.OdrStatus.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return merchants.order_by(active_first, Length("name"), "name", "pk")


# --- The inbox ---------------------------------------------------------------------------------

INBOX_PAGE_SIZE = 25
# "Due soon": the deadline the merchant must meet next falls within this many working days,
# today included (as "N working days left" counts them, product §5).
DUE_SOON_WORKING_DAYS = 2


@dataclass
class InboxFilter:
    """What the inbox shows: ``status`` (a status, or "" for every open case), ``due`` ("soon",
    "overdue" or ""), only cases not yet acknowledged, or the case with a number or order
    reference (``query``)."""

    status: str = ""
    due: str = ""
    unacknowledged: bool = False
    query: str = ""

    @classmethod
    def from_params(cls, params) -> "InboxFilter":
        status = params.get("status", "")
        due = params.get("due", "")
        return cls(
            status=status if status in Status.values else "",
            due=due if due in ("soon", "overdue") else "",
            unacknowledged=params.get("unacknowledged") == "1",
            query=(params.get("q") or "").strip()[:100],
        )

    @property
    def newest_first(self) -> bool:
        """Closed cases hold no deadline: newest first. Everything else by the deadline."""
        return self.status == Status.CLOSED


def inbox_page(
    merchant, flt: InboxFilter, *, cursor: str | None, now: datetime, calendar: WorkCalendar
) -> KeysetPage:
    """One page of the merchant's inbox: the cases ``flt`` selects, by the deadline the merchant
    must meet next (``MERCHANT_NEXT_DUE``: soonest first, cases without one after them, oldest
    first) or newest first; one query."""
    cases = case_list_for_merchant(merchant).alias(next_due_at=MERCHANT_NEXT_DUE)
    if flt.query:
        number = flt.query.upper()
        cases = cases.filter(Q(number=number) | Q(order_reference=flt.query))
    elif flt.status:
        cases = cases.filter(status=flt.status)
    else:
        cases = cases.exclude(status=Status.CLOSED)
    if flt.unacknowledged:
        cases = cases.filter(status=Status.SUBMITTED, acknowledged_at__isnull=True)
    if flt.due == "soon":
        cases = cases.filter(_due_soon(now, calendar))
    elif flt.due == "overdue":
        cases = cases.filter(_overdue(now))
    if flt.newest_first:
        return keyset_page(
            cases, field="filed_at", descending=True, cursor=cursor, size=INBOX_PAGE_SIZE
        )
    return keyset_page(
        cases.annotate(next_due_at=MERCHANT_NEXT_DUE),
        field="next_due_at",
        descending=False,
        cursor=cursor,
        size=INBOX_PAGE_SIZE,
        nulls=False,  # no deadline is a date after every deadline
    )


def due_soon_limit(now: datetime, calendar: WorkCalendar) -> datetime:
    """The end of the last day that counts as "due soon"."""
    yesterday = local_date(now) - timedelta(days=1)
    return end_of_day(add_working_days(yesterday, DUE_SOON_WORKING_DAYS, calendar))


# Missed, as the sweep records it: the acknowledgement (the case stays open, still to be
# acknowledged) or an agreement's fulfil-by date.
_MARKED_LATE = Q(status=Status.SUBMITTED, acknowledge_late=True) | Q(
    status=Status.SETTLED, fulfilment_overdue=True
)


def _overdue(now: datetime) -> Q:
    """Past the deadline the merchant must meet next, or marked late by the sweep. Reads
    ``next_due_at`` (``MERCHANT_NEXT_DUE``, aliased)."""
    return Q(next_due_at__lt=now) | _MARKED_LATE


def _due_soon(now: datetime, calendar: WorkCalendar) -> Q:
    """The deadline the merchant must meet next falls from now to the end of the due-soon days,
    and nothing is overdue yet. Reads ``next_due_at`` like ``_overdue``."""
    return Q(next_due_at__gte=now, next_due_at__lte=due_soon_limit(now, calendar)) & ~_MARKED_LATE


def inbox_counts(merchant, *, now: datetime, calendar: WorkCalendar) -> dict:
    """How many of the merchant's cases are in each status (kept by the engine in
    ``MerchantStatusCount``), and how many open ones are overdue or due soon, in all and per
    status (one grouped count over the inbox's index of deadlines and the small partial indexes
    of what was marked late): two queries whatever the number of cases."""
    by_status = (
        dict(MerchantStatusCount.objects.filter(merchant=merchant).values_list("status", "count"))
        if merchant.staff_handle_cases
        else {}
    )
    overdue, soon = _overdue(now), _due_soon(now, calendar)
    attention = {
        row["status"]: row
        for row in case_list_for_merchant(merchant)
        .alias(next_due_at=MERCHANT_NEXT_DUE)
        .exclude(status=Status.CLOSED)
        .filter(overdue | soon)
        .order_by()
        .values("status")
        .annotate(overdue=Count("pk", filter=overdue), soon=Count("pk", filter=soon))
    }
    overdue_by_status = {s: row["overdue"] for s, row in attention.items()}
    return {
        # (status, label, cases, overdue among them)
        "by_status": [
            (s, label, by_status.get(s, 0), overdue_by_status.get(s, 0))
            for s, label in Status.choices
        ],
        "open": sum(n for s, n in by_status.items() if s != Status.CLOSED),
        # Acknowledging moves a case out of "submitted": those are the ones not acknowledged.
        "unacknowledged": by_status.get(Status.SUBMITTED, 0),
        "overdue": sum(overdue_by_status.values()),
        "soon": sum(row["soon"] for row in attention.values()),
    }


def inbox_rows(cases, *, now: datetime, calendar: WorkCalendar) -> list[dict]:
    """Each case as the inbox shows it: the consumer masked unless they consented, and the
    deadline the merchant must meet next (``next_deadline``) with its days left (counted as on
    every page)."""
    rows = []
    for case in cases:
        deadline = None
        if shown := merchant_next_deadline(case):
            kind, due = shown
            deadline = deadline_shown(case, kind, due, now, calendar)
            deadline["urgent"] = deadline["overdue"] or (
                deadline["working_days"] and deadline["left"] <= 1
            )
        rows.append(
            {
                "case": case,
                "consumer": consumer_name_for(case, Party.MERCHANT),
                "deadline": deadline,
                "can_acknowledge": case.status == Status.SUBMITTED and not case.acknowledged_at,
            }
        )
    return rows


# --- The dashboard -----------------------------------------------------------------------------


def merchant_dashboard(merchant, start: date, end: date) -> dict:
    """The merchant's figures for complaints filed in the weeks from ``start`` to ``end`` (the
    weeks, Monday to Sunday in Shanghai, that hold those dates), added up from the weekly rollup
    the regulator dashboards read (``regulators.stats``, at most minutes behind) and made as
    ``cases.figures`` defines them: two queries whatever the number of cases.

    ``by_status``: where those cases are now; on-time acknowledgement and settlement, the
    settlement rate, the average working days to settle, satisfaction (1–5) and the money
    refunded or paid in compensation; ``weekly``: complaints filed per week.
    """
    first_week, last_week = week_start(start), week_start(end)
    rows = OfficeWeekStats.objects.filter(
        merchant=merchant, week__gte=first_week, week__lte=last_week
    ).order_by()
    sums = rows.aggregate(**summed(DASHBOARD_COUNTS), computed_at=Max("refreshed_at"))
    shown = figures(sums, DASHBOARD_FIGURES)
    weekly = rows.values_list("week").annotate(n=Sum("filed")).order_by("week")
    # The page's names for the figures (``cases.figures`` names them with ``_rate``).
    return {
        "chosen_start": start,
        "chosen_end": end,
        "start": first_week,
        "end": last_week + timedelta(days=6),
        "computed_at": sums["computed_at"],
        "total": sums["filed"],
        "by_status": [(s, label, sums[f"now_{s}"]) for s, label in Status.choices],
        "acknowledged_on_time": shown["acknowledged_on_time_rate"],
        "settled_on_time": shown["settled_on_time_rate"],
        "settlement_rate": shown["settlement_rate"],
        "working_days_to_settle": shown["working_days_to_settle"],
        "rating": shown["rating"],
        "rated": sums["rated"],
        "paid": shown["recovered"],
        "weekly": [(week.isoformat(), n) for week, n in weekly],
    }


# The figures the merchant dashboard shows, and the rollup's counts it adds up for them.
DASHBOARD_FIGURES = [
    "acknowledged_on_time_rate",
    "settled_on_time_rate",
    "settlement_rate",
    "working_days_to_settle",
    "rating",
    "recovered",
]
DASHBOARD_COUNTS = [
    "filed",
    *counts_for(DASHBOARD_FIGURES),
    *(f"now_{status}" for status in Status.values),
]


# --- Owners --------------------------------------------------------------------------------------


def merchant_owned_by(user, merchant) -> bool:
    """Whether ``user`` is one of ``merchant``'s owners: the one "is owner" check (one query)."""
    return MerchantMembership.objects.filter(
        user=user, merchant=merchant, role=MerchantMembership.Role.OWNER
    ).exists()


def merchant_owners(merchant) -> QuerySet[MerchantMembership]:
    """The memberships of ``merchant``'s owners, with their users."""
    return merchant.memberships.filter(role=MerchantMembership.Role.OWNER).select_related("user")
