"""Server time of the portal's heaviest selectors on the benchmark database: the merchant inbox
of a merchant with a tenth of all cases, and the regulator queues and dashboards at every level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/odr_bench \\
        .venv/bin/python bench/portal_queries.py

Run it on a database loaded by ``bench/compare.py`` (``make bench FULL=1`` leaves one with a
million cases, merchant 1 holding a tenth of them). It calls the selectors the pages call, in
one process (no HTTP), each warmed once and then timed 15 times (7 for the dashboards): median
and 95th percentile. The regulator rollups are refreshed first when they are empty (a deployment's
Celery beat keeps them current).
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/odr_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.deadlines import local_date  # noqa: E402
from cases.models import Case  # noqa: E402
from core.calendar import load_calendar  # noqa: E402
from merchants.models import Merchant  # noqa: E402
from merchants.selectors import (  # noqa: E402
    InboxFilter,
    inbox_counts,
    inbox_page,
    merchant_dashboard,
)
from regulators.models import Office, OfficeMerchantRanking  # noqa: E402
from regulators.selectors import (  # noqa: E402
    office_dashboard,
    office_queue,
    office_queue_counts,
    office_subtree_ids,
)
from regulators.stats import RECENT_WEEKS, default_period, office_stats_refresh  # noqa: E402


def t(label, fn, n=15):
    fn()
    xs = []
    for _ in range(n):
        a = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - a) * 1000)
    xs.sort()
    print(
        f"{label}: median {statistics.median(xs):.1f} ms, p95 {xs[int(len(xs) * 0.95) - 1]:.1f} ms"
    )


def main() -> None:
    now, cal = timezone.now(), load_calendar()
    m = Merchant.objects.get(pk=1)
    print("merchant 1 cases:", m.cases.count())
    t("inbox counts (merchant 1)", lambda: inbox_counts(m, now=now, calendar=cal))
    t("inbox page 1", lambda: inbox_page(m, InboxFilter(), cursor=None, now=now, calendar=cal))
    cur = None
    pages = 0
    while pages < 500:
        pg = inbox_page(m, InboxFilter(), cursor=cur, now=now, calendar=cal)
        pages += 1
        if not pg.next_cursor:
            break
        cur = pg.next_cursor
    print("pages walked:", pages)
    t(
        "inbox deep page (keyset)",
        lambda: inbox_page(m, InboxFilter(), cursor=cur, now=now, calendar=cal),
    )
    for name, flt in [
        ("status=negotiating", InboxFilter(status="negotiating")),
        ("unacknowledged", InboxFilter(unacknowledged=True)),
        ("due soon", InboxFilter(due="soon")),
        ("overdue", InboxFilter(due="overdue")),
        ("closed", InboxFilter(status="closed")),
    ]:
        t(f"inbox {name}", lambda flt=flt: inbox_page(m, flt, cursor=None, now=now, calendar=cal))
    today = local_date(now)
    t(
        "merchant dashboard 12 months",
        lambda: merchant_dashboard(m, today - timedelta(days=365), today),
        n=5,
    )
    national = Office.objects.get(level=0)
    province = Office.objects.filter(level=1).first()
    busy = (
        Case.objects.filter(status="regulator_intake", office__level=Office.Level.COUNTY)
        .values("office_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    county = Office.objects.get(pk=busy["office_id"])
    print("busiest county office by intake:", county.name, busy["n"])
    t(
        "intake queue of the busiest county office",
        lambda: office_queue(county, "intake", cursor=None),
    )
    nids = office_subtree_ids(national)
    t("backlog counts national", lambda: office_queue_counts(national, subtree_ids=nids))
    t("intake queue national", lambda: office_queue(national, "intake", cursor=None))
    if not OfficeMerchantRanking.objects.exists():
        a = time.perf_counter()
        rows = office_stats_refresh()
        print(f"rollup refresh of a year: {rows} rows in {time.perf_counter() - a:.1f} s")
    fw, lw = default_period(today)
    for label, office in (("national", national), ("province", province), ("county", county)):
        t(
            f"regulator dashboard {label} (default period: the last 52 weeks)",
            lambda office=office: office_dashboard(office, fw, lw, now=now),
            n=7,
        )
    # Another period: the merchants are ranked from the per-merchant rollup, not the kept ranking.
    other = (fw - timedelta(weeks=1), lw - timedelta(weeks=1))
    for label, office in (("national", national), ("province", province)):
        t(
            f"regulator dashboard {label} (another 52 weeks: merchants ranked from the rollup)",
            lambda office=office: office_dashboard(office, *other, now=now),
            n=7,
        )
    # What the Celery task does every few minutes (the rollups of the recent weeks and every
    # office's ranking), once.
    a = time.perf_counter()
    rows = office_stats_refresh(today - timedelta(weeks=RECENT_WEEKS))
    took = time.perf_counter() - a
    print(f"refresh of the recent {RECENT_WEEKS} weeks: {rows} rows in {took:.1f} s")


if __name__ == "__main__":
    main()
