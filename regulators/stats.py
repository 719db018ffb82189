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
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from cases.figures import COUNTED, case_counts
from cases.models import Case
from core.dates import SHANGHAI, default_period, local_date, start_of_day, week_start

from .models import (
    Office,
    OfficeIndustryWeekStats,
    OfficeMerchantRanking,
    OfficeSubtreeWeekStats,
    OfficeWeekStats,
    in_subtree,
)

# The weeks a dashboard can show (a year and a bit) and those the frequent refresh covers.
YEAR_OF_WEEKS = 54
RECENT_WEEKS = 6
# How many merchants a dashboard ranks (kept ranked for every office over the default period,
# ``core.dates.default_period``, by each refresh).
RANKED_MERCHANTS = 20


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


def office_stats_refresh(since: date | None = None, *, now: datetime | None = None) -> int:
    """Recompute the rollup from the week of ``since`` (default: a year ago); return the rows."""
    now = now or timezone.now()
    first_week = week_start(since or local_date(now) - timedelta(weeks=YEAR_OF_WEEKS))
    start = start_of_day(first_week)
    cases = case_counts(
        Case.objects.filter(filed_at__gte=start).annotate(
            week=TruncWeek("filed_at", tzinfo=SHANGHAI)
        ),
        ["office_id", "merchant_id", "week"],
        COUNTED,
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
    offices = list(Office.objects.only("pk", "path", "parent_id"))
    period = OfficeWeekStats.objects.filter(week__gte=first, week__lte=last).order_by()
    rows = []
    for office in offices:
        subtree = [other.pk for other in offices if other.is_within(office)]
        ranked = merchants_ranked(in_subtree(period, office, subtree), RANKED_MERCHANTS)
        for rank, row in enumerate(ranked, start=1):
            rows.append(
                OfficeMerchantRanking(
                    office_id=office.pk,
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
