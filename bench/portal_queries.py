"""Server time of the portal's heaviest selectors on the benchmark database: the merchant inbox
of a merchant with a tenth of all cases, and the regulator queues and dashboards at every level.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/odr_bench \\
        .venv/bin/python bench/portal_queries.py

Run it on a database loaded by ``bench/compare.py`` (``make bench FULL=1`` leaves one with a
million cases, merchant 1 holding a tenth of them). It calls the selectors the pages call, in
one process (no HTTP), each warmed once and then timed 15 times (7 for the dashboards): median
and 95th percentile. The regulator rollup is refreshed first when it is empty.
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
from regulators.models import Office, OfficeWeekStats  # noqa: E402
from regulators.selectors import (  # noqa: E402
    office_dashboard,
    office_queue,
    office_queue_counts,
    office_subtree_ids,
)
from regulators.stats import monday, office_stats_refresh  # noqa: E402


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
    t("backlog counts national", lambda: office_queue_counts(national, now=now, subtree_ids=nids))
    t("intake queue national", lambda: office_queue(national, "intake", cursor=None))
    if not OfficeWeekStats.objects.exists():
        a = time.perf_counter()
        rows = office_stats_refresh()
        print(f"rollup refresh of a year: {rows} rows in {time.perf_counter() - a:.1f} s")
    fw, lw = monday(today - timedelta(days=364)), monday(today)
    t(
        "regulator dashboard national (12 months)",
        lambda: office_dashboard(national, fw, lw, now=now),
        n=7,
    )
    t(
        "regulator dashboard province (12 months)",
        lambda: office_dashboard(province, fw, lw, now=now),
        n=7,
    )
    t(
        "regulator dashboard county (12 months)",
        lambda: office_dashboard(county, fw, lw, now=now),
        n=7,
    )


if __name__ == "__main__":
    main()
