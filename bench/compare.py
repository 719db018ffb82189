"""Benchmark the portal side by side with django-helpdesk on this machine, in one run.

    .venv/bin/python bench/compare.py                       # small: 10,000 cases (make bench)
    .venv/bin/python bench/compare.py --sizes 10000,100000,1000000 --write-docs  # FULL=1

For each size it builds both databases from nothing (``odr_bench`` for the portal, loaded by
``portal_data``; ``helpdesk_bench`` for django-helpdesk, installed in its own virtual environment
by ``helpdesk_data``), starts a gunicorn for each with the same number of sync workers, and times
the pages with a signed-in client: each page is requested a few times to warm it, then ``--repeat``
times in sequence, in ``--rounds`` rounds that alternate between the two systems so that both meet
the same background load; every answer must be a 200 that shows what the page should. At the
largest size it also

- files complaints / creates tickets over HTTP under concurrent load for ``--seconds``
  (``--users`` client threads; the portal's complaint is its three-step form, three POSTs, and
  its API, one POST; the helpdesk's ticket the public form, one POST), and times the engine's
  ``case_file`` directly;
- runs ``bench/sweep_bench.py`` (the deadline sweep, its own database ``odr_bench_sweep``).

For every portal page it also records the slowest SQL queries with EXPLAIN (ANALYZE, BUFFERS) in
``bench/results/``. ``--write-docs`` puts the tables into docs/benchmarks.md between its markers.
Only databases whose names start with ``odr_bench`` or ``helpdesk_bench`` are touched.
"""

import argparse
import base64
import importlib.metadata
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from common import (
    BENCH,
    ROOT,
    CheckFailed,
    Client,
    Gunicorn,
    Response,
    contains,
    csrf_from,
    database_exists,
    database_url,
    machine,
    recreate_database,
    run_load,
    say,
    summary_ms,
    time_page,
)

PORTAL_DATABASE = os.environ.get("BENCH_PORTAL_DATABASE", "odr_bench")
if not PORTAL_DATABASE.startswith("odr_bench"):
    sys.exit(f"refusing to use database {PORTAL_DATABASE!r}: its name must start with odr_bench")
SERVER_ENV = {
    "DATABASE_URL": database_url(PORTAL_DATABASE),
    "ODR_DATA_DIR": os.environ.get("BENCH_DATA_DIR", "/tmp/odr-bench"),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
    "SECURE_COOKIES": "0",
    "DEBUG": "0",
    "LOG_LEVEL": "WARNING",
    # Both systems keep their database connections between requests, as deployed.
    "CONN_MAX_AGE": "60",
    # The shared cache, as deployed with more than one web process (README, "Configuration"):
    # the API's rate limits and the per-process copies' versions are read there.
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12"),
    # The load test files far more complaints per consumer than a person may: the API's limits
    # are still checked on every request (the cache round trips are measured), never reached;
    # counted per second, each consumer's record of requests stays as short as a person's.
    "ODR_API_RATE_COMPLAINT": "1000000/s",
    "ODR_API_RATE_WRITE": "1000000/s",
    # The servers run as deployed: PostgreSQL binds the parameters (the default).
    "DB_SERVER_SIDE_BINDING": "1",
}
os.environ.update(SERVER_ENV)
# This process loads the data with raw SQL (DDL with values, several statements at once), which
# only client-side binding takes; the servers get SERVER_ENV's setting.
os.environ["DB_SERVER_SIDE_BINDING"] = "0"
os.environ["DJANGO_SETTINGS_MODULE"] = "odr.settings"
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import helpdesk_data  # noqa: E402
import portal_data  # noqa: E402
import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, connections  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.models import Case  # noqa: E402
from cases.services import case_file  # noqa: E402
from merchants.models import Merchant  # noqa: E402

RESULTS = BENCH / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
DOC_START, DOC_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
PORTAL_PORT, HELPDESK_PORT = 8701, 8702
CASE_NUMBER = re.compile(r"\b\d{8}-[0-9A-Z]{8}\b")
NEXT_CURSOR = re.compile(r'href="([^"]*[?&]after=[^"&#]+)"')
# The API's list endpoint for the merchant owner: the first that exists is measured.
API_CANDIDATES = ["/api/v1/merchant/inbox/", "/api/v1/cases/"]
# Consumers' filing in one request, measured when the portal has it.
API_FILING = "/api/v1/consumer/cases/"


def _api_filing_exists() -> bool:
    try:
        view = resolve(API_FILING).func
    except Resolver404:
        return False
    return hasattr(getattr(view, "view_class", None), "post")


API_FILING_EXISTS = _api_filing_exists()
# Per page and round: at most this long once MIN_REQUESTS requests are in.
PAGE_BUDGET_SECONDS = 45
MIN_REQUESTS = 5


# --- Building the data ---------------------------------------------------------------------------


def build_portal(cases: int) -> None:
    connections.close_all()
    recreate_database(PORTAL_DATABASE)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    portal_data.load(cases)
    say(f"portal: {cases:,} cases loaded in {time.perf_counter() - started:.0f} s")


def loaded() -> bool:
    """Whether both databases exist and hold a load (what --reuse keeps as it is)."""
    if not (database_exists(PORTAL_DATABASE) and database_exists(helpdesk_data.DATABASE)):
        return False
    try:
        return Case.objects.exists() and helpdesk_data.ticket_count() > 0
    except (DatabaseError, psycopg.Error):  # created but never migrated
        connections.close_all()
        return False


def build_helpdesk(tickets: int) -> None:
    started = time.perf_counter()
    helpdesk_data.load(tickets)
    say(f"helpdesk: {tickets:,} tickets loaded in {time.perf_counter() - started:.0f} s")


def table_sizes() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
            "WHERE relname IN ('cases_case', 'cases_caseevent', 'cases_message')"
        )
        return {name: {"rows": rows, "bytes": size} for name, rows, size in cursor.fetchall()}


# --- Servers -------------------------------------------------------------------------------------


def portal_server(workers: int) -> Gunicorn:
    return Gunicorn(
        ROOT / ".venv" / "bin" / "python",
        "odr.wsgi",
        PORTAL_PORT,
        workers=workers,
        env=SERVER_ENV,
        cwd=ROOT,
        log=RESULTS / "portal-gunicorn.log",
    )


def helpdesk_server(workers: int) -> Gunicorn:
    return Gunicorn(
        helpdesk_data.PYTHON,
        "wsgi:application",
        HELPDESK_PORT,
        workers=workers,
        env=helpdesk_data.ENV,
        cwd=helpdesk_data.SITE,
        log=RESULTS / "helpdesk-gunicorn.log",
    )


def worker_memory_mib(server: Gunicorn) -> list[float]:
    """Resident memory of each worker of ``server`` (children of its master process)."""
    sizes = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != server.process.pid:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError):
            continue
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        if rss:
            sizes.append(round(int(rss.group(1)) / 1024, 1))
    return sorted(sizes)


# --- Portal pages --------------------------------------------------------------------------------


def numbers_in(response: Response) -> list[str]:
    return CASE_NUMBER.findall(response.text)


def case_rows(minimum: int, heading: str):
    """Accept a list page showing its heading and at least ``minimum`` case numbers."""

    def check(response: Response) -> str | None:
        if heading not in response.text:
            return f"no {heading!r}"
        found = len(set(numbers_in(response)))
        return None if found >= minimum else f"{found} case number(s), expected {minimum}+"

    return check


def all_belong(numbers: list[str], **scope) -> bool:
    return not Case.objects.filter(number__in=numbers).exclude(**scope).exists()


def deep_cursor_path(client: Client, first_page: Response, base: str, scope: dict) -> str | None:
    """Return the path of a page deep in a keyset-paginated list (``?after=`` cursors), or None
    when the list has no next page link.

    The cursor of the first page's next link tells the ordering column (the field of the last
    row whose value it holds) and, with the rows' order on the page, the direction; the deep
    cursor is that of the row halfway down the whole list (``scope``) in that order.
    """
    link = NEXT_CURSOR.search(first_page.text)
    if link is None:
        return None
    path = link.group(1).replace("&amp;", "&")
    cursor = re.search(r"after=([^&]+)", path).group(1)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
    except (ValueError, TypeError):
        return _followed(client, path, 20)
    if value is None:  # rows without a value sort last: no way to tell the column
        return _followed(client, path, 20)
    row = Case.objects.filter(pk=pk).values().first() or {}
    wanted = datetime.fromisoformat(value["t"]) if isinstance(value, dict) else value
    shown = list(dict.fromkeys(numbers_in(first_page)))
    field, descending = _ordering(shown, [k for k, v in row.items() if v == wanted and k != "id"])
    if field is None:
        return _followed(client, path, 20)
    rows = Case.objects.filter(**scope, **{f"{field}__isnull": False}).order_by(
        *(("-" if descending else "") + f for f in (field, "pk"))
    )
    middle = rows.count() // 2
    deep = rows.values(field, "pk")[middle]
    deep_value = deep[field]
    if isinstance(value, dict):
        deep_value = {"t": deep_value.isoformat()}
    elif isinstance(deep_value, Decimal | date):
        deep_value = str(deep_value)
    encoded = (
        base64.urlsafe_b64encode(
            json.dumps([deep_value, deep["pk"]], separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("=")
    )
    return re.sub(r"after=[^&]+", f"after={encoded}", path if path.startswith("/") else base + path)


def _ordering(shown: list[str], candidates: list[str]) -> tuple[str | None, bool]:
    """Among the columns holding the cursor's value, return the one the rows ``shown`` (case
    numbers, in page order) are sorted by, and whether descending."""
    for field in candidates:
        values = dict(Case.objects.filter(number__in=shown).values_list("number", field))
        ordered = [values[n] for n in shown if values.get(n) is not None]
        if len(ordered) < 2:
            continue
        if ordered == sorted(ordered):
            return field, False
        if ordered == sorted(ordered, reverse=True):
            return field, True
    return None, False


def _followed(client: Client, path: str, pages: int) -> str:
    """Follow next links ``pages`` times; return the last page's path."""
    for _ in range(pages):
        response = client.get(path)
        link = NEXT_CURSOR.search(response.text)
        if response.status != 200 or link is None:
            break
        path = link.group(1).replace("&amp;", "&")
    return path


def portal_pages(fixture: portal_data.Fixture) -> tuple[dict, dict, list[str]]:
    """Return the portal's pages to time ({name: (session, paths, check)}), the same for the API,
    and notes about what could not be measured."""
    owner = portal_data.session_for(fixture.owner_id)
    county = portal_data.session_for(fixture.county_officer_id)
    national = portal_data.session_for(fixture.national_officer_id)
    heading = 'data-testid="home-heading"'
    pages = {
        "inbox_first": (owner, ["/merchant/"], case_rows(10, heading)),
        "dashboard_county": (county, ["/regulator/"], case_rows(10, heading)),
        "dashboard_national": (national, ["/regulator/"], case_rows(10, heading)),
        "case_thread": (
            owner,
            [f"/cases/{fixture.thread_case}/"],
            contains(fixture.thread_case, f"（{portal_data.THREAD_ENTRIES - 2}）"),
        ),
    }
    notes = []
    if exists("/regulator/queue/intake/"):
        # The workbench shows each office's backlog; its cases are in the queues.
        queue = "/regulator/queue/intake/"
        pages["dashboard_county"] = (county, ["/regulator/", queue], backlog_then_cases(heading))
        pages["queue_national"] = (national, [queue], case_rows(10, 'data-testid="queue"'))
    if exists("/regulator/dashboard/"):
        pages["dashboard_national"] = (
            national,
            ["/regulator/dashboard/"],
            contains('data-testid="figures"'),
        )
    client = Client(PORTAL_PORT, {"sessionid": owner})
    first = client.get("/merchant/")
    if not all_belong(numbers_in(first), merchant_id=fixture.big_merchant_id):
        raise CheckFailed("the merchant inbox shows another merchant's case")
    deep = deep_cursor_path(client, first, "/merchant/", {"merchant_id": fixture.big_merchant_id})
    if deep:
        pages["inbox_deep"] = (owner, [deep], case_rows(5, 'data-testid="home-heading"'))
    else:
        notes.append(
            "merchant inbox deep page: not measured, /merchant/ has no next-page link "
            "(it shows the 50 newest open cases)"
        )
    api = {}
    found = next((path for path in API_CANDIDATES if exists(path)), None)
    if found:
        api["api_list"] = (owner, [found], api_rows)
    else:
        notes.append(f"API list: not measured, none of {', '.join(API_CANDIDATES)} exists yet")
    return pages, api, notes


def exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def api_rows(response: Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    rows = body.get("results", body.get("data", body)) if isinstance(body, dict) else body
    return None if isinstance(rows, list) and rows else "no rows in the JSON"


def backlog_then_cases(heading: str):
    """The workbench (its heading) and then a queue (case numbers): one check per path."""
    rows = case_rows(10, 'data-testid="queue"')

    def check(response: Response) -> str | None:
        if 'data-testid="queue"' in response.text:
            return rows(response)
        return None if heading in response.text else f"no {heading!r}"

    return check


def explain_page(session: str, path: str, top: int = 2) -> list[dict]:
    """Render ``path`` in-process and EXPLAIN (ANALYZE, BUFFERS) its slowest SELECTs."""
    client = DjangoClient()
    client.cookies["sessionid"] = session
    client.get(path)  # warm
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    queries = sorted(
        (q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")),
        key=lambda q: -float(q["time"]),
    )
    explained = []
    for query in queries[:top]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        explained.append({"ms": float(query["time"]) * 1000, "sql": query["sql"], "plan": plan})
    return explained


# --- Helpdesk pages ------------------------------------------------------------------------------


def helpdesk_login() -> dict[str, str]:
    client = Client(HELPDESK_PORT)
    page = client.get("/login/")
    response = client.request(
        "POST",
        "/login/",
        data={
            "csrfmiddlewaretoken": csrf_from(page),
            "username": helpdesk_data.STAFF_USER,
            "password": helpdesk_data.STAFF_PASSWORD,
            "next": "/dashboard/",
        },
    )
    if response.status != 302 or "sessionid" not in client.cookies:
        raise CheckFailed(f"helpdesk sign-in failed: HTTP {response.status}")
    return client.cookies


def json_rows(minimum: int):
    def check(response: Response) -> str | None:
        try:
            rows = response.json()["data"]
        except (ValueError, KeyError):
            return "not the ticket list's JSON"
        return None if len(rows) >= minimum else f"{len(rows)} ticket(s), expected {minimum}+"

    return check


def helpdesk_pages(cookies: dict[str, str]) -> dict:
    client = Client(HELPDESK_PORT, cookies)
    shell = client.get("/tickets/")
    found = re.search(r'"url": "([^"]*datatables_ticket_list/[^"]*)"', shell.text)
    if shell.status != 200 or not found:
        raise CheckFailed("helpdesk ticket list: no datatables URL on /tickets/")
    data = found.group(1) + "?draw=1&start=0&length=25&search%5Bvalue%5D="
    total = client.get(data).json()["recordsFiltered"]
    deep = found.group(1) + f"?draw=2&start={total // 2 // 25 * 25}&length=25&search%5Bvalue%5D="
    thread = helpdesk_data.thread_ticket()
    shell_check = contains("datatables_ticket_list")
    subjects = [s for c in helpdesk_data.CORPUS["categories"] for s in c["subjects"]]

    def any_subject(response: Response) -> str | None:
        return None if any(s in response.text for s in subjects) else "no ticket shown"

    return {
        "inbox_first": (["/tickets/", data], [shell_check, json_rows(25)]),
        "inbox_deep": (["/tickets/", deep], [shell_check, json_rows(25)]),
        "dashboard_county": (["/dashboard/"], [any_subject]),
        "dashboard_national": (["/reports/"], [contains("/reports/")]),
        "case_thread": (
            [f"/tickets/{thread}/"],
            [contains(f"（{helpdesk_data.THREAD_ENTRIES - 1}）")],
        ),
    }, total


def time_view(client: Client, paths: list[str], checks: list, repeat: int) -> dict:
    """Time a page view made of ``paths`` fetched one after the other (a page and its data)."""
    for path, check in zip(paths, checks, strict=True):
        time_page(client, path, repeat=1, expect=check, warmup=3)
    times = []
    budget_ends = time.perf_counter() + PAGE_BUDGET_SECONDS
    for _ in range(repeat):
        if len(times) >= MIN_REQUESTS and time.perf_counter() > budget_ends:
            break  # a slow page: fewer requests, so that the run stays bounded in time
        started = time.perf_counter()
        for path, check in zip(paths, checks, strict=True):
            response = client.get(path)
            if response.status != 200 or check(response):
                raise CheckFailed(f"{path}: HTTP {response.status} {check(response)}")
        times.append(time.perf_counter() - started)
    return {"paths": paths, "times": times}


def measure_pages(portal: dict, helpdesk: dict, repeat: int, rounds: int) -> dict:
    """Time every page of both systems, alternating between them round by round."""
    timings: dict[str, dict[str, list[float]]] = {}
    paths: dict[str, dict[str, list[str]]] = {}
    failed: dict[str, dict[str, str]] = {}
    views = {"portal": {}, "helpdesk": {}}
    for name, (session, page_paths, check) in portal.items():
        views["portal"][name] = (
            Client(PORTAL_PORT, {"sessionid": session}),
            page_paths,
            [check] * len(page_paths),
        )
    for name, (page_paths, checks, cookies) in helpdesk.items():
        views["helpdesk"][name] = (Client(HELPDESK_PORT, cookies), page_paths, checks)
    for _ in range(rounds):
        for name in sorted(set(portal) | set(helpdesk)):
            for system in ("portal", "helpdesk"):
                if name not in views[system] or system in failed.get(name, {}):
                    continue
                client, page_paths, checks = views[system][name]
                paths.setdefault(name, {})[system] = page_paths
                try:
                    view = time_view(client, page_paths, checks, repeat)
                except (CheckFailed, OSError) as error:  # recorded, and the run goes on
                    failed.setdefault(name, {})[system] = f"{type(error).__name__}: {error}"[:300]
                    client.close()
                    say(f"  {name} ({system}) FAILED: {failed[name][system]}")
                    continue
                timings.setdefault(name, {}).setdefault(system, []).extend(view["times"])
    result = {
        name: {
            system: {"paths": paths[name][system], **summary_ms(times)}
            for system, times in by_system.items()
        }
        for name, by_system in timings.items()
    }
    for name, systems in failed.items():
        for system, error in systems.items():
            result.setdefault(name, {})[system] = {"paths": paths[name][system], "failed": error}
    return result


# --- Filing under load ---------------------------------------------------------------------------

COMPLAINT = {
    "subject": "新买的手机屏幕出现绿线",
    "facts": "收到货第二天屏幕就出现了一条绿线，重启也没有用。联系客服三次都没有答复。",
    "claim_remedy": "refund",
    "claim": "退货退款",
    "amount_claimed": "2999.00",
    "amount_paid": "2999.00",
    "order_reference": "JD-2026-0001",
    "contact_phone": "13900000001",
}
PREFIX = "filing_wizard"


def portal_filer(session: str, merchant_id: int):
    """One consumer filing complaints through the three-step form, one complaint per call."""
    client = Client(PORTAL_PORT, {"sessionid": session})
    opened = client.get("/my/complaints/new/?restart=1")
    if opened.status != 200 or not client.csrf_token:
        raise CheckFailed(f"the filing form did not open: HTTP {opened.status}")
    url = "/my/complaints/new/"
    purchased = (date.today() - timedelta(days=10)).isoformat()

    def step(name: str, data: dict) -> Response:
        payload = {f"{PREFIX}-current_step": name, **{f"{name}-{k}": v for k, v in data.items()}}
        return client.post(url, payload)

    def file_one() -> bool:
        first = step("business", {"merchant": merchant_id})
        if first.status != 200 or 'name="complaint-subject"' not in first.text:
            raise CheckFailed(f"step 1: HTTP {first.status}")
        second = step("complaint", {**COMPLAINT, "purchase_date": purchased})
        if second.status != 200 or 'name="confirm-consent_contact"' not in second.text:
            raise CheckFailed(f"step 2: HTTP {second.status}")
        third = step("confirm", {"consent_contact": "on"})
        if third.status != 302 or "/filed/" not in third.headers.get("location", ""):
            raise CheckFailed(f"step 3: HTTP {third.status}")
        return True

    return file_one


def portal_api_filer(session: str, merchant: dict):
    """One consumer filing complaints through the API, one POST per complaint (the business
    named as an app would after a search: its credit code, or its name and region)."""
    client = Client(PORTAL_PORT, {"sessionid": session})
    opened = client.get("/my/")  # sets the CSRF cookie, as the app's first page would
    if opened.status != 200 or not client.csrf_token:
        raise CheckFailed(f"the consumer's page did not open: HTTP {opened.status}")
    purchased = (date.today() - timedelta(days=10)).isoformat()
    body = {**COMPLAINT, **merchant, "purchase_date": purchased}

    def file_one() -> bool:
        response = client.post(API_FILING, body)
        if response.status != 201 or not CASE_NUMBER.search(response.text):
            raise CheckFailed(f"API filing: HTTP {response.status} {response.text[:200]}")
        return True

    return file_one


def helpdesk_filer(index: int):
    """One anonymous submitter creating tickets through the public form, one per call."""
    client = Client(HELPDESK_PORT)
    opened = client.get("/tickets/submit/")
    token = csrf_from(opened)
    if opened.status != 200 or not token:
        raise CheckFailed(f"the helpdesk form did not open: HTTP {opened.status}")

    def file_one() -> bool:
        response = client.request(
            "POST",
            "/tickets/submit/",
            data={
                "csrfmiddlewaretoken": token,
                "title": COMPLAINT["subject"],
                "body": COMPLAINT["facts"] + COMPLAINT["claim"],
                "submitter_email": f"filer{index}@consumer.bench.invalid",
            },
        )
        if response.status != 302 or "ticket=" not in response.headers.get("location", ""):
            raise CheckFailed(f"ticket form: HTTP {response.status} {response.text[:200]}")
        return True

    return file_one


def measure_filing(fixture: portal_data.Fixture, users: int, seconds: float, rounds: int) -> dict:
    """Complaints / tickets per second under ``users`` concurrent clients, alternating: the
    portal's form, the portal's API (when the portal has consumer filing there) and the
    helpdesk's ticket form."""
    systems = ["portal", "helpdesk"]
    merchant = Merchant.objects.get(pk=fixture.filing_merchant_id)
    described = {"merchant_name": merchant.name, "merchant_region_code": merchant.region_code}
    if merchant.credit_code:  # the generated merchants have none: found by name in the region
        described["merchant_credit_code"] = merchant.credit_code
    if API_FILING_EXISTS:
        systems.insert(1, "portal_api")
    results: dict[str, list[dict]] = {system: [] for system in systems}
    sessions = [portal_data.session_for(pk) for pk in fixture.consumer_ids[:users]]
    for _ in range(rounds):
        for system in systems:
            if system == "portal":
                filers = [portal_filer(s, fixture.filing_merchant_id) for s in sessions]
            elif system == "portal_api":
                filers = [portal_api_filer(s, described) for s in sessions]
            else:
                filers = [helpdesk_filer(i) for i in range(users)]
            run_load(filers, min(3.0, seconds))  # warm every worker
            result = run_load(filers, seconds)
            summary = result.summary()
            summary["load_average"] = os.getloadavg()[0]
            results[system].append(summary)
            say(f"  filing {system}: {json.dumps(summary, ensure_ascii=False)}")
    return results


def measure_case_file(fixture: portal_data.Fixture, count: int) -> dict:
    """Time the engine's ``case_file`` in this process, one complaint after another."""
    consumer = User.objects.get(pk=fixture.consumer_ids[-1])
    merchant = Merchant.objects.get(pk=fixture.filing_merchant_id)
    fields = {k: v for k, v in COMPLAINT.items() if not k.startswith("amount")}
    times = []
    for i in range(count + 5):
        started = time.perf_counter()
        case_file(
            consumer=consumer,
            merchant=merchant,
            amount_claimed=Decimal("2999.00"),
            amount_paid=Decimal("2999.00"),
            purchase_date=date.today() - timedelta(days=10),
            **{**fields, "order_reference": f"DIRECT-{i}"},
        )
        if i >= 5:  # the first few load code paths
            times.append(time.perf_counter() - started)
    summary = summary_ms(times)
    summary["per_second"] = round(len(times) / sum(times), 1)
    return summary


# --- The sweep -----------------------------------------------------------------------------------


def run_sweep(cases: int, due: int, repeat: int, log: Path) -> dict:
    command = [
        str(ROOT / ".venv" / "bin" / "python"),
        str(BENCH / "sweep_bench.py"),
        "--cases",
        str(cases),
        "--due",
        str(due),
        "--closed",
        str(cases // 10),
        "--repeat",
        str(repeat),
        "--idle-repeat",
        "10",
        "--workers",
        "2",
    ]
    env = {**os.environ, "DATABASE_URL": database_url("odr_bench_sweep")}
    started = time.perf_counter()
    with log.open("w") as out:
        finished = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    text = log.read_text()
    summary = next((line for line in text.splitlines() if line.startswith("summary:")), "")
    rates = re.findall(r"= ([\d,]+) cases/s", text)
    return {
        "command": " ".join(command[1:]),
        "ok": finished.returncode == 0,
        "summary": summary,
        "single_sweeps_cases_per_s": [int(r.replace(",", "")) for r in rates[:repeat]],
        "two_sweeps_cases_per_s": int(rates[repeat].replace(",", ""))
        if len(rates) > repeat
        else None,
        "seconds": round(time.perf_counter() - started),
    }


# --- Reporting -----------------------------------------------------------------------------------

PAGE_NAMES = {
    "inbox_first": ("merchant inbox, first page", "ticket list, first page (page + its JSON)"),
    "inbox_deep": ("merchant inbox, page halfway down", "ticket list at offset N/2 (page + JSON)"),
    "dashboard_county": ("regulator workbench, county office", "staff dashboard (`/dashboard/`)"),
    "dashboard_national": ("regulator dashboard, national office", "reports index (`/reports/`)"),
    "queue_national": ("intake queue, national office", "—"),
    "case_thread": ("case page, 200-entry thread", "ticket page, 200 follow-ups"),
    "api_list": ("API list, merchant owner", "—"),
}


def shown_paths(page: dict) -> str:
    """The portal's measured paths, without their query strings."""
    return " + ".join(f"`{path.split('?')[0]}`" for path in page.get("paths", []))


def cell(page: dict) -> str:
    if "failed" in page:
        return "failed: " + page["failed"].split(":", 1)[-1].strip()[:80]
    return f"{page['median_ms']:.1f} / {page['p95_ms']:.1f}"


def ratio(portal: float | None, helpdesk: float | None) -> str:
    """Portal ÷ helpdesk, and how many times faster the portal is when it is."""
    if not portal or not helpdesk:
        return "—"
    value = portal / helpdesk
    return f"{value:.2g} ({1 / value:.0f}× faster)" if value < 1 else f"{value:.2f}"


def filing_table(filing: dict, run: dict) -> list[str]:
    """The filing load test as a table: the portal's form, its API when measured, the helpdesk."""
    columns = [
        ("portal", "portal: complaint (3 POSTs of the form)", 3),
        ("portal_api", "portal: complaint through the API (1 POST)", 1),
        ("helpdesk", "django-helpdesk: ticket (public form, 1 POST)", 1),
    ]
    columns = [c for c in columns if filing.get(c[0])]

    def median(system: str, key: str, times: int = 1) -> str:
        values = [r[key] for r in filing[system] if key in r]  # none when every request failed
        return (
            f"{times * statistics.median(values):.{1 if key == 'per_second' else 0}f}"
            if values
            else "—"
        )

    def ratio(system: str) -> str:
        mine, theirs = median(system, "per_second"), median("helpdesk", "per_second")
        return "—" if "—" in (mine, theirs) else f"{float(mine) / float(theirs):.2f}"

    rounds = len(filing["portal"])
    return [
        f"Filing under load ({run['users']} client threads, {run['seconds_load']:.0f} s per "
        f"round, {rounds} rounds each, alternating, medians of the rounds; portal ÷ helpdesk "
        f"for the form / the API):",
        "",
        "| | " + " | ".join(label for _s, label, _p in columns) + " | portal ÷ helpdesk |",
        "|---|" + "---|" * (len(columns) + 1),
        "| complaints (tickets) per second | "
        + " | ".join(median(s, "per_second") for s, _l, _p in columns)
        + " | "
        + " / ".join(ratio(s) for s, _l, _p in columns if s != "helpdesk")
        + " |",
        "| HTTP requests per second | "
        + " | ".join(median(s, "per_second", posts) for s, _l, posts in columns)
        + " | |",
        "| latency p50 / p95 / p99, ms | "
        + " | ".join(
            " / ".join(median(s, k) for k in ("median_ms", "p95_ms", "p99_ms"))
            for s, _l, _p in columns
        )
        + " | |",
        "| failed operations | "
        + " | ".join(str(sum(r["failed"] for r in filing[s])) for s, _l, _p in columns)
        + " | |",
    ]


def render(run: dict) -> str:
    """The results as markdown for docs/benchmarks.md."""
    largest = run["sizes"][-1]
    top = run["by_size"][str(largest)]
    m = run["machine"]
    pg_settings = ", ".join(f"{k} {v}" for k, v in m["postgresql_settings"].items())
    lines = [
        f"Run of {run['started']} ({run['seconds'] / 60:.0f} min), command: `{run['command']}`",
        "",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; PostgreSQL "
        f"{m['postgresql']} on the same machine ({pg_settings}); "
        f"Python {m['python']}; 1-minute load average at the start {m['load_average'][0]:.2f}.",
        f"- Versions: {', '.join(f'{k} {v}' for k, v in run['versions'].items())}.",
        f"- Servers: gunicorn, {run['workers']} sync workers each, `CONN_MAX_AGE=60`, DEBUG off; "
        f"sessions in the database; the portal publishes its notification tasks to Redis (no "
        f"worker consumes them during the run), the helpdesk's email goes to the dummy backend.",
        f"- Pages: {run['repeat']} sequential requests per round after 3 warm-up requests, "
        f"{run['rounds']} rounds alternating between the systems; median and p95 over all.",
        "",
        f"### Side by side at {largest:,} cases / tickets",
        "",
        "| scenario | portal | ms (median / p95) | django-helpdesk | ms (median / p95) "
        "| portal ÷ helpdesk (median) |",
        "|---|---|---|---|---|---|",
    ]
    for name, (portal_name, helpdesk_name) in PAGE_NAMES.items():
        page = top["pages"].get(name, {})
        p, h = page.get("portal"), page.get("helpdesk")
        if not p and not h:
            continue
        lines.append(
            f"| {name.replace('_', ' ')} | {portal_name} {shown_paths(p) if p else ''} | "
            + (cell(p) if p else "not measured")
            + f" | {helpdesk_name if h else '—'} | "
            + (cell(h) if h else "—")
            + f" | {ratio(p and p.get('median_ms'), h and h.get('median_ms'))} |"
        )
    filing = top.get("filing")
    if filing:
        lines += ["", *filing_table(filing, run)]
    lines += ["", "### Growth: each page's median (ms) by table size", ""]
    names = [
        n for n in PAGE_NAMES if any(n in run["by_size"][str(s)]["pages"] for s in run["sizes"])
    ]
    header = "| page | " + " | ".join(f"{s:,}" for s in run["sizes"]) + " |"
    lines += [header, "|---|" + "---|" * len(run["sizes"])]
    for name in names:
        for system in ("portal", "helpdesk"):
            cells = []
            for size in run["sizes"]:
                page = run["by_size"][str(size)]["pages"].get(name, {}).get(system)
                cells.append(
                    "—"
                    if not page
                    else "failed"
                    if "failed" in page
                    else f"{page['median_ms']:.1f}"
                )
            if any(c != "—" for c in cells):
                label = PAGE_NAMES[name][0 if system == "portal" else 1]
                lines.append(f"| {system}: {label} | " + " | ".join(cells) + " |")
    lines += ["", "### Portal alone", ""]
    direct = top.get("case_file")
    if direct:
        lines.append(
            f"- `case_file` called directly, one after another in one process: median "
            f"{direct['median_ms']:.1f} ms, p95 {direct['p95_ms']:.1f} ms "
            f"({direct['per_second']:.0f} complaints/s on one core)."
        )
    sweep = top.get("sweep")
    if sweep:
        lines.append(
            f"- Deadline sweep (`bench/{sweep['command'].split('bench/', 1)[-1]}`): "
            f"{sweep['summary'].removeprefix('summary: ')}; two sweeps at once: "
            f"{sweep['two_sweeps_cases_per_s'] or '—'} cases/s."
        )
    memory = top.get("worker_memory_mib")
    if memory:
        lines.append(
            f"- Resident memory per gunicorn worker after the run: portal {memory['portal']} MiB, "
            f"helpdesk {memory['helpdesk']} MiB."
        )
    for note in top.get("notes", []):
        lines.append(f"- {note}.")
    sizes = top.get("tables", {})
    if sizes:
        lines.append(
            "- Portal tables: "
            + ", ".join(
                f"`{t}` {v['rows']:,} rows, {v['bytes'] / 2**20:,.0f} MiB with indexes"
                for t, v in sorted(sizes.items())
            )
            + "."
        )
    return "\n".join(lines) + "\n"


def write_docs(markdown: str) -> None:
    text = DOCS.read_text()
    start, end = text.index(DOC_START) + len(DOC_START), text.index(DOC_END)
    DOCS.write_text(text[:start] + "\n" + markdown + text[end:])


# --- Main ----------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    names = ["Django", "gunicorn", "psycopg", "django-formtools", "django-allauth"]
    found = {name: importlib.metadata.version(name) for name in names}
    found["django-helpdesk"] = helpdesk_data.version()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000", help="case counts, comma-separated")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers, each")
    parser.add_argument("--users", type=int, default=8, help="concurrent filing clients")
    parser.add_argument("--seconds", type=float, default=15, help="each filing load round")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--case-file", type=int, default=100, help="direct case_file calls")
    parser.add_argument("--sweep-due", type=int, default=None, help="default: 2%% of the cases")
    parser.add_argument("--sweep-repeat", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep both loaded databases")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--render", action="store_true", help="only render bench/results/run.json again"
    )
    args = parser.parse_args()
    if args.render:
        markdown = render(json.loads((RESULTS / "run.json").read_text()))
        say(markdown)
        if args.write_docs:
            write_docs(markdown)
        return
    # Stopped from outside: leave through the context managers, which stop both servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    sizes = sorted(int(s) for s in args.sizes.split(","))
    RESULTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    run = {
        "started": datetime.now().astimezone().isoformat(timespec="minutes"),
        "command": "python bench/compare.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "sizes": sizes,
        "workers": args.workers,
        "users": args.users,
        "seconds_load": args.seconds,
        "repeat": args.repeat,
        "rounds": args.rounds,
        "by_size": {},
    }
    helpdesk_data.ensure_venv()
    run["versions"] = versions()
    say(f"machine: {json.dumps(run['machine'], ensure_ascii=False)}")
    for size in sizes:
        say(f"\n=== {size:,} cases / tickets ===")
        if not (args.reuse and loaded()):
            if args.reuse:
                say("--reuse: nothing loaded to reuse, loading both")
            build_portal(size)
            build_helpdesk(size)
        result = measure_size(size, args, last=size == sizes[-1])
        run["by_size"][str(size)] = result
        (RESULTS / f"run-{size}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    run["seconds"] = time.perf_counter() - started
    (RESULTS / "run.json").write_text(json.dumps(run, indent=2, ensure_ascii=False, default=str))
    markdown = render(run)
    (RESULTS / "results.md").write_text(markdown)
    say("\n" + markdown)
    if args.write_docs:
        write_docs(markdown)
        say(f"written to {DOCS.relative_to(ROOT)}")


def measure_size(size: int, args, *, last: bool) -> dict:
    fixture = portal_data.fixture()
    result: dict = {"cases": fixture.cases, "tickets": helpdesk_data.ticket_count()}
    result["tables"] = table_sizes()
    with portal_server(args.workers) as portal, helpdesk_server(args.workers) as helpdesk:
        pages, api, notes = portal_pages(fixture)
        cookies = helpdesk_login()
        desk, open_tickets = helpdesk_pages(cookies)
        result["helpdesk_open_tickets"] = open_tickets
        desk = {name: (paths, checks, cookies) for name, (paths, checks) in desk.items()}
        result["pages"] = measure_pages({**pages, **api}, desk, args.repeat, args.rounds)
        for name, systems in result["pages"].items():
            systems = {s: v for s, v in systems.items() if "median_ms" in v}
            say(
                f"  {name}: "
                + "; ".join(
                    f"{s} {v['median_ms']:.1f} ms (p95 {v['p95_ms']:.1f})"
                    for s, v in systems.items()
                )
            )
        explains = {}
        for name, (session, paths, _) in {**pages, **api}.items():
            explains[name] = {"path": paths[0], "queries": explain_page(session, paths[0])}
        (RESULTS / f"explain-{size}.json").write_text(
            json.dumps(explains, indent=2, ensure_ascii=False)
        )
        if last:
            result["filing"] = measure_filing(fixture, args.users, args.seconds, args.rounds)
            result["worker_memory_mib"] = {
                "portal": worker_memory_mib(portal),
                "helpdesk": worker_memory_mib(helpdesk),
            }
    result["notes"] = notes
    if last:
        result["case_file"] = measure_case_file(fixture, args.case_file)
        say(f"  case_file: {result['case_file']}")
        if not args.no_sweep:
            due = args.sweep_due or max(1_000, size // 50)
            result["sweep"] = run_sweep(
                size, min(due, size), args.sweep_repeat, RESULTS / "sweep.log"
            )
            say(f"  sweep: {result['sweep']}")
    return result


if __name__ == "__main__":
    main()
