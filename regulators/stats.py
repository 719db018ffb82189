"""The weekly rollups of complaint figures the dashboards add up instead of reading the case
table: per office and merchant (``OfficeWeekStats``), and per office and industry
(``OfficeIndustryWeekStats``, a few rows per office and week whatever the number of merchants).

``office_stats_refresh`` recomputes the weeks from ``since`` on in one aggregate query over the
cases filed in them (grouped by office, merchant and filing week) and writes the rows with an
upsert, then adds those rows up per industry in a second query; weeks before ``since`` keep their
rows. The Celery beat task runs it every few minutes for the recent weeks and nightly for the
whole year, so a dashboard is at most minutes behind.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from cases.deadlines import SHANGHAI, local_date
from cases.models import Agreement, Case, CaseEvent, Remedy, Status

from .models import (
    Office,
    OfficeIndustryWeekStats,
    OfficeMerchantRanking,
    OfficeSubtreeWeekStats,
    OfficeWeekStats,
)

E = CaseEvent.Type
# The weeks a dashboard can show (a year and a bit) and those the frequent refresh covers.
YEAR_OF_WEEKS = 54
RECENT_WEEKS = 6
# A dashboard's default period: the last 52 weeks, this one included; and how many merchants it
# ranks (kept ranked for every office over the default period by each refresh).
DEFAULT_WEEKS = 52
RANKED_MERCHANTS = 20
COUNTED = [
    "filed",
    "to_merchant",
    "settled_directly",
    "escalated",
    "accepted",
    "not_accepted",
    "mediated",
    "acknowledged_on_time",
    "acknowledged_late",
    "settle_late",
    "intake_on_time",
    "intake_late",
    "recovered",
    "agreed",
    "rated",
    "rating_sum",
    "settle_days_sum",
    "settle_days_count",
    *(f"now_{status}" for status in Status.values),
]


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def default_period(today: date) -> tuple[date, date]:
    """The first and last weeks (Mondays) of a dashboard's default period."""
    last = monday(today)
    return last - timedelta(weeks=DEFAULT_WEEKS - 1), last


def merchants_ranked(rows: QuerySet[OfficeWeekStats], top: int, *fields: str) -> QuerySet:
    """The ``top`` merchants of the per-merchant rollup ``rows`` with the most complaints, their
    figures added up (with ``fields`` of each): ranked on the rollup's covering index (merchant
    and count only), then added up for those merchants alone. Two queries."""
    ranked = rows.values("merchant_id").annotate(n=Sum("filed")).order_by("-n", "merchant_id")[:top]
    return (
        rows.filter(merchant_id__in=[row["merchant_id"] for row in ranked])
        .values("merchant_id", *fields)
        .annotate(**{name: Sum(name) for name in COUNTED})
        .order_by("-filed", "merchant_id")
    )


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


def office_stats_refresh(since: date | None = None, *, now: datetime | None = None) -> int:
    """Recompute the rollup from the week of ``since`` (default: a year ago); return the rows."""
    now = now or timezone.now()
    first_week = monday(since or local_date(now) - timedelta(weeks=YEAR_OF_WEEKS))
    start = datetime.combine(first_week, datetime.min.time(), tzinfo=SHANGHAI)
    decided = _event(E.ACCEPTED, E.NOT_ACCEPTED)
    cases = (
        Case.objects.filter(filed_at__gte=start)
        .annotate(
            settled_in_negotiation=Exists(
                Agreement.objects.filter(case=OuterRef("pk"), kind=Agreement.Kind.NEGOTIATED)
            ),
            reached_regulator=Exists(
                CaseEvent.objects.filter(case=OuterRef("pk"), data__to=Status.REGULATOR_INTAKE)
            ),
            was_accepted=_event(E.ACCEPTED),
            was_refused=_event(E.NOT_ACCEPTED),
            was_mediated=_event(E.MEDIATION_CONCLUDED),
            was_decided=decided,
            was_agreed=Exists(Agreement.objects.filter(case=OuterRef("pk"))),
            settle_days=Subquery(
                Agreement.objects.filter(case=OuterRef("pk"))
                .order_by("created_at")
                .values("working_days_to_settle")[:1]
            ),
            paid=Coalesce(_recovered(), Value(0, output_field=DecimalField())),
            week=TruncWeek("filed_at", tzinfo=SHANGHAI),
        )
        .order_by()
        .values("office_id", "merchant_id", "week")
        .annotate(
            filed=Count("pk"),
            to_merchant=Count(
                "pk",
                filter=Q(acknowledged_at__isnull=False)
                | Q(acknowledge_late=True)
                | Q(status=Status.SUBMITTED),
            ),
            settled_directly=Count("pk", filter=Q(settled_in_negotiation=True)),
            escalated=Count("pk", filter=Q(reached_regulator=True)),
            accepted=Count("pk", filter=Q(was_accepted=True)),
            not_accepted=Count("pk", filter=Q(was_refused=True)),
            mediated=Count("pk", filter=Q(was_mediated=True)),
            acknowledged_on_time=Count(
                "pk", filter=Q(acknowledged_at__isnull=False, acknowledge_late=False)
            ),
            acknowledged_late=Count("pk", filter=Q(acknowledge_late=True)),
            settle_late=Count("pk", filter=Q(settle_late=True)),
            intake_on_time=Count("pk", filter=Q(was_decided=True, intake_overdue=False)),
            intake_late=Count("pk", filter=Q(intake_overdue=True)),
            recovered=Sum("paid"),
            agreed=Count("pk", filter=Q(was_agreed=True)),
            rated=Count("rating"),
            rating_sum=Sum("rating"),
            settle_days_sum=Sum("settle_days"),
            settle_days_count=Count("settle_days"),
            **{f"now_{s}": Count("pk", filter=Q(status=s)) for s in Status.values},
        )
    )
    rows = [
        OfficeWeekStats(
            office_id=row["office_id"],
            merchant_id=row["merchant_id"],
            week=local_date(row["week"]) if isinstance(row["week"], datetime) else row["week"],
            refreshed_at=now,
            **{name: row[name] or 0 for name in COUNTED},
        )
        for row in cases
    ]
    with transaction.atomic():
        # Rows of refreshed weeks that no longer have cases (a case transferred elsewhere).
        OfficeWeekStats.objects.filter(week__gte=first_week).exclude(refreshed_at=now).delete()
        OfficeWeekStats.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["office", "week", "merchant"],
            update_fields=[*COUNTED, "refreshed_at"],
        )
        _industry_rollup(first_week, now)
        _subtree_rollup(first_week, now)
        _ranking_refresh(now)
    return len(rows)


def _industry_rollup(first_week: date, now: datetime) -> None:
    """Replace the per-industry rows of the weeks from ``first_week`` with the sums of the
    per-merchant rows (one grouped query), under the merchants' current industries."""
    sums = (
        OfficeWeekStats.objects.filter(week__gte=first_week)
        .order_by()
        .values("office_id", "merchant__industry", "week")
        .annotate(**{name: Sum(name) for name in COUNTED})
    )
    rows = [
        OfficeIndustryWeekStats(
            office_id=row["office_id"],
            industry=row["merchant__industry"],
            week=row["week"],
            refreshed_at=now,
            **{name: row[name] for name in COUNTED},
        )
        for row in sums
    ]
    OfficeIndustryWeekStats.objects.filter(week__gte=first_week).delete()
    OfficeIndustryWeekStats.objects.bulk_create(rows, batch_size=2000)


def add_up_subtrees(rows, paths: dict[int, str], fields: list[str]) -> dict[tuple, dict]:
    """Add each per-office row (``office_id``, ``industry``, ``week`` and ``fields``) into the
    office itself and every office above it (the ids of its materialised ``path``): the
    figures of each (office's subtree, industry, week)."""
    sums: dict[tuple, dict] = {}
    for row in rows:
        for office_id in paths[row["office_id"]].strip("/").split("/"):
            key = (int(office_id), row["industry"], row["week"])
            into = sums.setdefault(key, dict.fromkeys(fields, 0))
            for name in fields:
                into[name] += row[name]
    return sums


def _subtree_rollup(first_week: date, now: datetime) -> None:
    """Replace the per-subtree rows of the weeks from ``first_week`` with the per-office rows
    added up into every office above (a loop over rollup rows, in the refresh task)."""
    own = OfficeIndustryWeekStats.objects.filter(week__gte=first_week).values(
        "office_id", "industry", "week", *COUNTED
    )
    paths = dict(Office.objects.values_list("pk", "path"))
    sums = add_up_subtrees(own.iterator(chunk_size=5000), paths, COUNTED)
    OfficeSubtreeWeekStats.objects.filter(week__gte=first_week).delete()
    OfficeSubtreeWeekStats.objects.bulk_create(
        (
            OfficeSubtreeWeekStats(
                office_id=office_id, industry=industry, week=week, refreshed_at=now, **figures
            )
            for (office_id, industry, week), figures in sums.items()
        ),
        batch_size=2000,
    )


def _ranking_refresh(now: datetime) -> None:
    """Rank the merchants of every office's subtree over the default period (two queries per
    office, in the refresh task: a dashboard then reads its ranking in one)."""
    first, last = default_period(local_date(now))
    offices = list(Office.objects.values_list("pk", "path", "parent_id"))
    period = OfficeWeekStats.objects.filter(week__gte=first, week__lte=last).order_by()
    rows = []
    for pk, path, parent in offices:
        subtree = [other for other, other_path, _parent in offices if other_path.startswith(path)]
        in_subtree = period if parent is None else period.filter(office_id__in=subtree)
        for rank, row in enumerate(merchants_ranked(in_subtree, RANKED_MERCHANTS), start=1):
            rows.append(
                OfficeMerchantRanking(
                    office_id=pk,
                    first_week=first,
                    last_week=last,
                    rank=rank,
                    merchant_id=row["merchant_id"],
                    refreshed_at=now,
                    **{name: row[name] for name in COUNTED},
                )
            )
    OfficeMerchantRanking.objects.all().delete()
    OfficeMerchantRanking.objects.bulk_create(rows, batch_size=2000)
