"""What regulator staff see: every list is scoped here to the office's jurisdiction subtree (the
office and every office below it, product §2), one selector per list, each index-driven at every
level of the tree.

The subtree's office ids are read first (one query on the small office table) and the case
queries filter ``office_id = ANY(…)``: a county's queue is then a scan of its (office, status)
index, and a province's or the nation's walks the queue's partial index in deadline order.
"""

from datetime import date, datetime

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import User
from cases.figures import COUNTED, case_counts, counts_for, figures, summed, zeros
from cases.models import CallbackVisit, Case, OfficeBacklogCount, Referral, Status
from core.dates import default_period, local_date, twelve_months_start
from core.paging import KeysetPage, keyset_page
from core.regions import region_prefix
from merchants.models import Merchant, MerchantEvent

from .models import (
    BusinessInvitation,
    CallbackSample,
    ComplainantReview,
    Office,
    OfficeIndustryWeekStats,
    OfficeMerchantRanking,
    OfficeSubtreeWeekStats,
    OfficeWeekStats,
    RegulatorMembership,
    in_subtree,
    office_subtree_ids,
)
from .stats import RANKED_MERCHANTS, merchants_ranked

QUEUE_PAGE_SIZE = 25
# Each queue: the cases' status and the deadline that orders it (most urgent first).
QUEUES = {
    "intake": (Status.REGULATOR_INTAKE, "intake_due_at"),
    "mediation": (Status.MEDIATION, "mediation_due_at"),
}


def office_cases(office: Office, *, subtree_ids: list[int] | None = None) -> QuerySet[Case]:
    """Every case owned by ``office`` or an office below it."""
    return in_subtree(Case.objects.all(), office, subtree_ids)


def office_queue(
    office: Office, queue: str, *, cursor: str | None, subtree_ids: list[int] | None = None
) -> KeysetPage:
    """One page of the intake (待受理) or mediation queue of the subtree: the nearest deadline
    first, so overdue cases lead, then by arrival."""
    status, deadline = QUEUES[queue]
    cases = (
        office_cases(office, subtree_ids=subtree_ids)
        .filter(status=status)
        .select_related("merchant", "office", "consumer")
    )
    return keyset_page(
        cases, field=deadline, descending=False, cursor=cursor, size=QUEUE_PAGE_SIZE, nulls=False
    )


# Each kept count, as the backlog names it.
BACKLOG_ENTRY = {
    OfficeBacklogCount.Kind.INTAKE: "intake",
    OfficeBacklogCount.Kind.INTAKE_OVERDUE: "overdue",
    OfficeBacklogCount.Kind.MEDIATION: "mediation",
}


def office_queue_counts(office: Office, *, subtree_ids: list[int]) -> list[dict]:
    """For each office of the subtree that has any: cases awaiting acceptance, how many of them
    are past the decision deadline (as the deadline sweep, every minute, found them), and cases
    in mediation. Read from the counts the engine keeps per office (``OfficeBacklogCount``): a
    few rows per office, however many cases there are."""
    backlog = OfficeBacklogCount.objects.filter(count__gt=0).order_by()
    counts = in_subtree(backlog, office, subtree_ids)
    by_office: dict[int, dict] = {}
    for office_id, kind, n in counts.values_list("office_id", "kind", "count"):
        entry = by_office.setdefault(office_id, {"intake": 0, "overdue": 0, "mediation": 0})
        entry[BACKLOG_ENTRY[kind]] = n
    offices = Office.objects.filter(pk__in=by_office).order_by("path")
    return [{"office": o, **by_office[o.pk]} for o in offices]


def office_open_referrals() -> QuerySet[Referral]:
    """Referrals awaiting the enforcement decision, with what their lists show."""
    return Referral.objects.filter(status=Referral.Status.REFERRED).select_related(
        "case", "case__merchant", "office"
    )


def office_referrals(
    office: Office, *, cursor: str | None, subtree_ids: list[int] | None = None
) -> KeysetPage:
    """Open enforcement referrals (诉转案) of the subtree, the nearest decision deadline first."""
    referrals = in_subtree(office_open_referrals(), office, subtree_ids)
    return keyset_page(
        referrals, field="decide_due_at", descending=False, cursor=cursor, size=QUEUE_PAGE_SIZE
    )


# --- Supervision of merchants, callbacks, steering, abnormal complainants ----------------------
#
# Merchants are the office's by region: a merchant's region code starts with the significant
# prefix of the office's (``core.regions.region_prefix``), a prefix match on the indexed
# ``Merchant.region_code``. Cases are the subtree's by owning office (``office_cases``).

LIST_PAGE_SIZE = 25
# The statuses of merchants that applied to onboard at some point: the supervision list's tabs.
SUPERVISED_STATUSES = [
    Merchant.OdrStatus.APPLIED,
    Merchant.OdrStatus.ACTIVE,
    Merchant.OdrStatus.SUSPENDED,
    Merchant.OdrStatus.REJECTED,
    Merchant.OdrStatus.EXITED,
]


def office_merchants(office: Office) -> QuerySet[Merchant]:
    """Every merchant registered in the regions of ``office`` (its own and those below): the
    rule of ``Office.covers``, as a prefix match on the indexed region code."""
    return Merchant.objects.filter(region_code__startswith=region_prefix(office.region_code))


def office_merchant_get(office: Office, pk: int) -> Merchant:
    """Return the office's merchant ``pk``, or 404 for one missing or outside its regions."""
    return get_object_or_404(office_merchants(office), pk=pk)


def office_merchant_page(office: Office, status: str, *, cursor: str | None) -> KeysetPage:
    """One page of the office's merchants in ODR status ``status``: applications oldest first
    (the longest waiting), every other status by name."""
    merchants = office_merchants(office).filter(odr_status=status)
    if status == Merchant.OdrStatus.APPLIED:
        return keyset_page(
            merchants, field="updated_at", descending=False, cursor=cursor, size=LIST_PAGE_SIZE
        )
    return keyset_page(
        merchants, field="name", descending=False, cursor=cursor, size=LIST_PAGE_SIZE
    )


def office_merchant_counts(office: Office) -> dict[str, int]:
    """How many of the office's merchants are in each supervised ODR status (one query)."""
    rows = (
        office_merchants(office)
        .filter(odr_status__in=SUPERVISED_STATUSES)
        .order_by()
        .values_list("odr_status")
        .annotate(n=Count("pk"))
    )
    return {status: n for status, n in rows}


# The figures the supervision list shows of each merchant, as ``cases.figures`` defines them.
MERCHANT_FIGURES = [
    "acknowledged_on_time_rate",
    "settled_on_time_rate",
    "settlement_rate",
    "rating",
]


def merchant_figures(merchant_ids: list[int], *, since: datetime) -> dict[int, dict]:
    """Each merchant's figures over the complaints filed since ``since``, counted from the case
    table as the rollup counts them (``cases.figures``): complaints; on-time acknowledgement and
    settlement, the settlement rate, the average rating (1–5). One grouped query for all the
    merchants."""
    counted = ["filed", "rated", *counts_for(MERCHANT_FIGURES)]
    rows = case_counts(
        Case.objects.filter(merchant_id__in=merchant_ids, filed_at__gte=since),
        ["merchant_id"],
        counted,
    )
    by_merchant = {pk: zeros(counted) for pk in merchant_ids}
    by_merchant.update((row["merchant_id"], row) for row in rows)
    return {
        pk: {
            "complaints": counts["filed"],
            **figures(counts, MERCHANT_FIGURES),
            "rated": counts["rated"],
        }
        for pk, counts in by_merchant.items()
    }


def callback_page(membership: RegulatorMembership, *, state: str, cursor: str | None) -> KeysetPage:
    """One page of the callback list, the latest closed first: the office's own samples for an
    officer, the subtree's for a supervisor. ``state`` "pending" keeps the cases nobody has
    called back yet, "done" those called back; each row carries its latest call's result."""
    office = membership.office
    if membership.role == RegulatorMembership.Role.SUPERVISOR:
        own = in_subtree(CallbackSample.objects.all(), office)
    else:
        own = CallbackSample.objects.filter(office=office)
    visits = CallbackVisit.objects.filter(case_id=OuterRef("case_id")).order_by(
        "-created_at", "-pk"
    )
    samples = own.select_related("case", "case__merchant", "case__consumer", "office").annotate(
        called_at=Subquery(visits.values("created_at")[:1]),
        satisfaction=Subquery(visits.values("satisfaction")[:1]),
        outcome_real=Subquery(visits.values("outcome_real")[:1]),
    )
    if state == "pending":
        samples = samples.filter(~Exists(visits))
    elif state == "done":
        samples = samples.filter(Exists(visits))
    return keyset_page(
        samples, field="closed_at", descending=True, cursor=cursor, size=LIST_PAGE_SIZE
    )


def _count(cases: QuerySet[Case], group: str, counted: Count) -> Subquery:
    """``counted`` over ``cases`` (filtered on an ``OuterRef``) as a subquery: the lists below
    order and page by such counts with ``keyset_page``, which compares rows in WHERE (a grouped
    outer query would need HAVING)."""
    return Coalesce(Subquery(cases.order_by().values(group).annotate(n=counted).values("n")[:1]), 0)


def steering_page(office: Office, *, now: datetime, cursor: str | None) -> KeysetPage:
    """One page of the businesses in the office's regions that are not onboarded and drew
    complaints in the twelve months to today, the most complained about first, each with its
    count (``complaints``) and when it was last invited (``invited_at``), counted in SQL."""
    recent = Case.objects.filter(merchant_id=OuterRef("pk"), filed_at__gte=twelve_months_start(now))
    last_invitation = BusinessInvitation.objects.filter(merchant=OuterRef("pk")).order_by(
        "-sent_at"
    )
    merchants = (
        office_merchants(office)
        .filter(Exists(recent), odr_status=Merchant.OdrStatus.NOT_ONBOARDED)
        .annotate(
            complaints=_count(recent, "merchant_id", Count("pk")),
            invited_at=Subquery(last_invitation.values("sent_at")[:1]),
        )
    )
    return keyset_page(
        merchants,
        field="complaints",
        descending=True,
        cursor=cursor,
        size=LIST_PAGE_SIZE,
        nulls=False,
    )


def steering_merchant_get(office: Office, pk: int) -> Merchant:
    """Return a business of the office's regions that is not onboarded, or 404."""
    return get_object_or_404(
        office_merchants(office).filter(odr_status=Merchant.OdrStatus.NOT_ONBOARDED), pk=pk
    )


def invitation_page(office: Office, *, cursor: str | None) -> KeysetPage:
    """One page of the invitations to onboard sent by the office and the offices below it,
    newest first, each with when the business applied after it (``applied_at``), if it did."""
    applied = MerchantEvent.objects.filter(
        merchant=OuterRef("merchant_id"),
        action=MerchantEvent.Action.APPLIED,
        created_at__gte=OuterRef("sent_at"),
    ).order_by("created_at")
    invitations = (
        in_subtree(BusinessInvitation.objects.all(), office)
        .select_related("merchant", "sent_by", "office")
        .annotate(applied_at=Subquery(applied.values("created_at")[:1]))
    )
    return keyset_page(
        invitations, field="sent_at", descending=True, cursor=cursor, size=LIST_PAGE_SIZE
    )


def invitation_get_for_office(office: Office, pk: int) -> BusinessInvitation:
    """Return an invitation sent by the office or an office below it, or 404."""
    invitations = BusinessInvitation.objects.select_related("merchant", "office", "sent_by")
    return get_object_or_404(in_subtree(invitations, office), pk=pk)


def abnormal_thresholds() -> dict[str, int]:
    return {
        "complaints": settings.ODR_ABNORMAL_COMPLAINTS,
        "merchants": settings.ODR_ABNORMAL_MERCHANTS,
    }


def abnormal_complainant_page(office: Office, *, now: datetime, cursor: str | None) -> KeysetPage:
    """One page of the complainants the subtree's cases of the last twelve months single out
    (product §6): at least ``ODR_ABNORMAL_COMPLAINTS`` complaints, or complaints against at
    least ``ODR_ABNORMAL_MERCHANTS`` merchants, or a complaint a merchant flagged as suspected
    profit-seeking; the most complaints first, each with its counts.

    One query: the grouped count over the subtree's cases finds the complainants, and the counts
    shown are computed again for the page's rows only."""
    limits = abnormal_thresholds()
    ids, since = office_subtree_ids(office), twelve_months_start(now)
    singled_out = (
        office_cases(office, subtree_ids=ids)
        .filter(filed_at__gte=since)
        .order_by()
        .values("consumer_id")
        .annotate(
            n=Count("pk"),
            m=Count("merchant_id", distinct=True),
            flags=Count("complainant_flag"),
        )
        .filter(Q(n__gte=limits["complaints"]) | Q(m__gte=limits["merchants"]) | Q(flags__gt=0))
        .values("consumer_id")
    )
    theirs = office_cases(office, subtree_ids=ids).filter(
        consumer_id=OuterRef("pk"), filed_at__gte=since
    )
    consumers = User.objects.filter(pk__in=singled_out).annotate(
        complaints=_count(theirs, "consumer_id", Count("pk")),
        merchants=_count(theirs, "consumer_id", Count("merchant_id", distinct=True)),
        flagged=_count(theirs, "consumer_id", Count("complainant_flag")),
    )
    return keyset_page(
        consumers,
        field="complaints",
        descending=True,
        cursor=cursor,
        size=LIST_PAGE_SIZE,
        nulls=False,
    )


def complainant_reviews(office: Office, consumer_ids: list[int]) -> dict[int, list]:
    """The decisions on these complainants by the offices of ``office``'s jurisdiction chain
    (above it and below it), newest first, per complainant (one query)."""
    below = Office.objects.subtree_of(office).values("pk")
    chain = Q(office_id__in=office.ancestor_ids) | Q(office_id__in=below)
    reviews = (
        ComplainantReview.objects.filter(chain, consumer_id__in=consumer_ids)
        .select_related("reviewer", "office")
        .order_by("-created_at", "-pk")
    )
    by_consumer: dict[int, list] = {pk: [] for pk in consumer_ids}
    for review in reviews:
        by_consumer[review.consumer_id].append(review)
    return by_consumer


def complainant_get_for_office(
    office: Office, pk: int, *, subtree_ids: list[int] | None = None
) -> User:
    """Return the consumer ``pk`` when a case of the office's subtree is theirs, else 404."""
    cases = office_cases(office, subtree_ids=subtree_ids).filter(consumer_id=OuterRef("pk"))
    return get_object_or_404(User.objects.filter(Exists(cases)), pk=pk)


def complainant_summary(
    office: Office, consumer: User, *, now: datetime, subtree_ids: list[int] | None = None
) -> dict:
    """The complainant's counts over the subtree's cases of the last twelve months (one query)."""
    return (
        office_cases(office, subtree_ids=subtree_ids)
        .filter(consumer=consumer, filed_at__gte=twelve_months_start(now))
        .aggregate(
            complaints=Count("pk"),
            merchants=Count("merchant", distinct=True),
            flagged=Count("complainant_flag"),
        )
    )


def complainant_case_page(
    office: Office,
    consumer: User,
    *,
    now: datetime,
    cursor: str | None,
    subtree_ids: list[int] | None = None,
) -> KeysetPage:
    """The evidence: one page of the complainant's cases in the subtree over the last twelve
    months, newest first, with the merchant and any merchant's flag."""
    cases = (
        office_cases(office, subtree_ids=subtree_ids)
        .filter(consumer=consumer, filed_at__gte=twelve_months_start(now))
        .select_related("merchant", "office", "complainant_flag", "complainant_flag__flagged_by")
    )
    return keyset_page(cases, field="filed_at", descending=True, cursor=cursor, size=LIST_PAGE_SIZE)


# --- The dashboard (from the weekly rollup, never the case table) ------------------------------


# The figures a dashboard shows of every row: its counts, and these made of them.
DASHBOARD_FIGURES = [
    "recovered",
    "settled_directly_rate",
    "acknowledged_on_time_rate",
    "settled_on_time_rate",
    "intake_on_time_rate",
    "acceptance_rate",
    "mediation_rate",
]


def _with_rates(sums: dict) -> dict:
    """A dashboard's row: the summed counts, and the figures made of them."""
    return {**sums, **figures(sums, DASHBOARD_FIGURES)}


def _add_into(sums: dict, row: dict) -> None:
    for name in COUNTED:
        sums[name] += row[name]


def _top_merchants(
    office: Office, ids: list[int], first_week: date, last_week: date, top: int, now: datetime
) -> list[dict]:
    """The ``top`` merchants with the most complaints in the period, with their figures: for the
    default period, the ranking the refresh keeps (one query); else ranked on the rollup."""
    if top <= RANKED_MERCHANTS and (first_week, last_week) == default_period(local_date(now)):
        stored = (
            OfficeMerchantRanking.objects.filter(
                office=office, first_week=first_week, last_week=last_week
            )
            .select_related("merchant")
            .order_by("rank")[:top]
        )
        ranked = [
            {
                "merchant_id": row.merchant_id,
                "merchant__name": row.merchant.name,
                "merchant__odr_status": row.merchant.odr_status,
                **{name: getattr(row, name) for name in COUNTED},
            }
            for row in stored
        ]
        if ranked:
            return [_with_rates(row) for row in ranked]
    period = {"week__gte": first_week, "week__lte": last_week}
    rows = in_subtree(OfficeWeekStats.objects.filter(**period).order_by(), office, ids)
    figures = merchants_ranked(rows, top, "merchant__name", "merchant__odr_status")
    return [_with_rates(row) for row in figures]


def office_dashboard(
    office: Office, first_week: date, last_week: date, *, now: datetime, top: int = RANKED_MERCHANTS
) -> dict:
    """The office's figures for complaints filed in the weeks ``first_week``–``last_week``
    (Mondays), from the rollups: totals, industries and each week from the office's per-subtree
    rows, each child office from its own, the office's own cases from the per-office rollup;
    the ``top`` merchants by volume; plus the live backlog and open referrals.
    A fixed number of queries whatever the number of cases."""
    subtree = list(Office.objects.subtree_of(office).values_list("pk", "parent_id", "name"))
    ids = [pk for pk, _parent, _name in subtree]
    period = {"week__gte": first_week, "week__lte": last_week}
    # The office's whole subtree: a few rows per week and industry, however large the tree.
    stats = OfficeSubtreeWeekStats.objects.filter(office=office, **period).order_by()
    weekly = list(stats.values("week").annotate(**summed(COUNTED)).order_by("week"))
    # The totals are the weeks added up (a loop over weeks, not cases).
    totals = zeros(COUNTED)
    for row in weekly:
        _add_into(totals, row)
    # Each child's subtree, and the cases the office owns itself.
    children = {pk: name for pk, parent, name in subtree if parent == office.pk}
    per_child = {
        row["office_id"]: row
        for row in OfficeSubtreeWeekStats.objects.filter(office_id__in=children, **period)
        .order_by()
        .values("office_id")
        .annotate(**summed(COUNTED))
    }
    own = OfficeIndustryWeekStats.objects.filter(office=office, **period).aggregate(
        **summed(COUNTED)
    )
    by_office = [{"office_id": office.pk, "name": office.name, "own": True, **_with_rates(own)}]
    if not own["filed"]:
        by_office = []
    by_office += [
        {
            "office_id": pk,
            "name": name,
            "own": False,
            **_with_rates(per_child.get(pk) or zeros(COUNTED)),
        }
        for pk, name in children.items()
    ]
    by_industry = [
        _with_rates(row)
        for row in stats.values("industry")
        .annotate(**summed(COUNTED))
        .order_by("-filed", "industry")[:top]
    ]
    by_merchant = _top_merchants(office, ids, first_week, last_week, top, now)
    backlog = office_queue_counts(office, subtree_ids=ids)
    return {
        "first_week": first_week,
        "last_week": last_week,
        "totals": _with_rates(totals),
        "by_office": by_office,
        "by_industry": by_industry,
        "by_merchant": by_merchant,
        "weekly": [_with_rates(row) for row in weekly],
        "backlog": {
            "intake": sum(b["intake"] for b in backlog),
            "overdue": sum(b["overdue"] for b in backlog),
            "mediation": sum(b["mediation"] for b in backlog),
        },
        "referrals": in_subtree(office_open_referrals(), office, ids).count(),
    }
