"""Benchmark the deadline sweep on PostgreSQL (figures in docs/benchmarks.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/odr_bench ODR_DATA_DIR=/tmp/odr-bench \\
        .venv/bin/python bench/sweep_bench.py --cases 1000000 --due 20000

Builds its own database (dropped and created again; its name must start with ``odr_bench``),
migrates it, loads ``--cases`` open cases in SQL (``INSERT … SELECT generate_series``) of which
``--due`` are ``negotiating`` cases whose settlement deadline has passed, plus ``--closed`` closed
cases with nothing pending, and VACUUM ANALYZEs. Then it

1. times sweeps with nothing due (``now`` just before the earliest ``next_action_at``),
2. prints EXPLAIN (ANALYZE, BUFFERS) of the "anything due?" query and of the claiming query,
3. times a full sweep at the real now (``--repeat`` times, putting the due cases back between
   runs), and
4. checks with SQL that exactly the due cases moved to ``regulator_intake`` with one
   ``deadline_missed`` event each, and verifies their hash chains with ``ledger_verify``.

``--workers 2`` adds a run of two concurrent sweeps over the same due cases, which must between
them move every case exactly once. ``--profile`` runs the first sweep under cProfile.
``--reuse`` keeps a database loaded earlier and only puts its due cases back.
"""

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/odr_bench")
os.environ.setdefault("ODR_DATA_DIR", "/tmp/odr-bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings")
# The loader runs raw SQL that only client-side binding takes (several statements at once).
os.environ.setdefault("DB_SERVER_SIDE_BINDING", "0")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from loading import column_defaults  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.ledger import ledger_verify  # noqa: E402
from cases.models import GENESIS_HASH, Case, DeadlinePolicy  # noqa: E402
from cases.sweep import due_cases, sweep_deadlines  # noqa: E402
from merchants.models import Merchant  # noqa: E402
from regulators.models import Office  # noqa: E402

MERCHANTS = 1_000
CONSUMERS = 10_000
OFFICES = 30

FACTS = (
    "I bought a washing machine online; it leaked from the first wash and the shop ignored "
    "three requests to repair or replace it. The delivery note and chat screenshots are attached."
)


def say(message: str) -> None:
    print(message, flush=True)


# --- Database ------------------------------------------------------------------------------------


def recreate_database() -> None:
    """Drop and create the benchmark database, then migrate it."""
    name = connection.settings_dict["NAME"]
    url = urlparse(os.environ["DATABASE_URL"])
    admin_url = url._replace(path="/postgres").geturl()
    connections.close_all()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


def database_loaded() -> bool:
    """Whether the benchmark database exists and holds cases (without Django's connection)."""
    try:
        with psycopg.connect(os.environ["DATABASE_URL"]) as db:
            if not db.execute("SELECT to_regclass('cases_case') IS NOT NULL").fetchone()[0]:
                return False
            return db.execute("SELECT EXISTS (SELECT 1 FROM cases_case)").fetchone()[0]
    except psycopg.OperationalError:  # no such database
        return False


def sql(statement: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def scalar(statement: str, params=None):
    return sql(statement, params)[0][0]


def vacuum_analyze() -> None:
    connection.ensure_connection()
    with connection.cursor() as cursor:  # outside a transaction: Django runs in autocommit
        cursor.execute("VACUUM ANALYZE")


def load_parties() -> None:
    """Offices, merchants and consumers the cases point at."""
    sql(
        """
        INSERT INTO regulators_office (id, name, region_code, level, path, parent_id)
        SELECT g, 'Office ' || g, lpad((110000 + g * 100)::text, 6, '0'),
               CASE WHEN g = 1 THEN 0 ELSE 2 END,
               CASE WHEN g = 1 THEN '/1/' ELSE '/1/' || g || '/' END,
               CASE WHEN g = 1 THEN NULL ELSE 1 END
        FROM generate_series(1, %(offices)s) g;
        INSERT INTO merchants_merchant (id, name, region_code, address, industry, contact_phone,
            odr_status, odr_status_reason, pledges, created_at, updated_at)
        SELECT g, 'Merchant ' || g, '110101', '', 'retail', '', 'active', '', '[]', now(), now()
        FROM generate_series(1, %(merchants)s) g;
        INSERT INTO accounts_user (id, password, is_superuser, is_staff, is_active, date_joined,
            email, name, phone)
        SELECT g, '!', false, false, true, now(), 'consumer' || g || '@bench.invalid',
               'Consumer ' || g, ''
        FROM generate_series(1, %(consumers)s) g;
        SELECT setval(pg_get_serial_sequence('regulators_office', 'id'), %(offices)s);
        SELECT setval(pg_get_serial_sequence('merchants_merchant', 'id'), %(merchants)s);
        SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %(consumers)s);
        """,
        {"offices": OFFICES, "merchants": MERCHANTS, "consumers": CONSUMERS},
    )
    DeadlinePolicy.current()  # the default policy: settle reminders at 3 and 1 working days


# Columns every generated case row fills; the SELECTs below produce them in this order.
CASE_COLUMNS = """
    id, number, status, resolution, channel, subject, facts, claim, amount_claimed,
    purchase_date, order_reference, consent_disclosure, consent_contact,
    acknowledge_due_at, acknowledge_due_provisional, settle_due_at, settle_due_provisional,
    choice_due_at, offer_due_at, confirm_due_at, intake_due_at, intake_due_provisional,
    mediation_due_at, mediation_due_provisional, rating_due_at, deadline_basis, next_action_at,
    acknowledged_at, acknowledge_late, intake_overdue, reminders_sent, rating, rating_comment,
    last_event_seq, last_event_hash, filed_at, closed_at, updated_at,
    consumer_id, merchant_id, office_id, fulfilment_overdue
"""

# The end of a WITH list whose last query, ``src2``, has the columns g, status, resolution, filed,
# due, next, closed and reminders: one case per row, with the basis of its working-day deadline
# as ``services`` records it.
CASE_SELECT = f"""
    , src AS (
        SELECT *, CASE
            WHEN status IN ('submitted', 'negotiating', 'regulator_intake', 'mediation')
            THEN jsonb_build_object(
                CASE status WHEN 'regulator_intake' THEN 'intake' WHEN 'mediation' THEN 'mediation'
                            ELSE 'settle' END,
                jsonb_build_object(
                    'start', (filed AT TIME ZONE 'Asia/Shanghai')::date::text,
                    'days', CASE status WHEN 'regulator_intake' THEN 7 WHEN 'mediation' THEN 45
                                        ELSE 10 END,
                    'unit', 'working_days'))
            ELSE '{{}}'::jsonb END AS basis
        FROM src2
    )
    SELECT g, 'BN' || lpad(g::text, 10, '0'), status, resolution, 'web',
           'Leaking washing machine', %(facts)s, 'Replace the machine or refund 2,499 yuan',
           2499.00, (filed - interval '3 days')::date, 'ORD' || g, false, false,
           CASE WHEN status = 'submitted' THEN next END, false,
           CASE WHEN status IN ('submitted', 'negotiating') THEN due END, false,
           CASE WHEN status = 'not_settled' THEN due END,
           NULL, CASE WHEN status = 'settled' THEN due END,
           CASE WHEN status = 'regulator_intake' THEN due END, false,
           CASE WHEN status = 'mediation' THEN due END, false,
           NULL, basis, next,
           CASE WHEN status NOT IN ('submitted', 'closed') THEN filed + interval '1 day' END,
           false, false, reminders, NULL, '',
           0, %(genesis)s, filed, closed, filed,
           1 + g %% {CONSUMERS}, 1 + g %% {MERCHANTS}, 2 + g %% {OFFICES - 1}, false
    FROM src
"""


def load_due_cases(now: datetime, due: int, reminders_sent: bool) -> None:
    """(Re)create cases 1..``due``: negotiating, settlement deadline passed, no events yet.

    Unless ``reminders_sent``, their reminders are still pending (``next_action_at`` is the
    3-working-day reminder), so the sweep records both as skipped before escalating; with it, they
    are marked sent (as the test suite does, without events) and only the escalation is left.
    """
    sql(
        # The notification outbox is written with the events (cases.notifications.outbox_write).
        "DELETE FROM cases_notification WHERE event_id IN "
        "(SELECT id FROM cases_caseevent WHERE case_id <= %(due)s);"
        "DELETE FROM cases_caseevent WHERE case_id <= %(due)s;"
        "DELETE FROM cases_case WHERE id <= %(due)s;",
        {"due": due},
    )
    sql(
        f"""
        INSERT INTO cases_case ({CASE_COLUMNS})
        WITH src0 AS (
            SELECT g, 'negotiating' AS status, '' AS resolution,
                   %(now)s - interval '1 minute' * (1 + g %% 2880) AS due,
                   NULL::timestamptz AS closed
            FROM generate_series(1, %(due)s) g
        ), src2 AS (
            SELECT *, due - interval '16 days' AS filed,
                   CASE WHEN %(sent)s THEN due ELSE due - interval '5 days' END AS next,
                   CASE WHEN %(sent)s THEN '["settle_3", "settle_1"]'::jsonb
                        ELSE '[]'::jsonb END AS reminders
            FROM src0
        ){CASE_SELECT}
        """,
        {"now": now, "due": due, "sent": reminders_sent, "facts": FACTS, "genesis": GENESIS_HASH},
    )


def load_other_cases(now: datetime, due: int, cases: int, closed: int) -> None:
    """Open cases ``due``+1..``cases`` with future deadlines; then ``closed`` closed cases."""
    sql("SELECT setseed(0.42)")
    sql(
        f"""
        INSERT INTO cases_case ({CASE_COLUMNS})
        WITH seed AS (
            SELECT g, random() AS r, random() AS s FROM generate_series(%(first)s, %(last)s) g
        ), src1 AS (
            SELECT g,
                   CASE WHEN g > %(open_last)s THEN 'closed'
                        WHEN r < 0.15 THEN 'submitted'
                        WHEN r < 0.60 THEN 'negotiating'
                        WHEN r < 0.65 THEN 'not_settled'
                        WHEN r < 0.70 THEN 'settled'
                        WHEN r < 0.85 THEN 'regulator_intake'
                        ELSE 'mediation' END AS status,
                   CASE WHEN g > %(open_last)s THEN
                        (ARRAY['settled', 'withdrawn', 'not_settled', 'not_accepted',
                               'mediation_failed', 'mediation_expired'])[1 + (g %% 6)]
                        ELSE '' END AS resolution,
                   %(now)s + interval '6 days' + interval '40 days' * s AS due,
                   %(now)s - interval '60 days' * s AS filed0
            FROM seed
        ), src2 AS (
            SELECT g, status, resolution, due,
                   CASE WHEN status = 'closed' THEN filed0 - interval '90 days'
                        ELSE filed0 END AS filed,
                   CASE WHEN status = 'closed' THEN NULL
                        WHEN status IN ('submitted', 'negotiating', 'regulator_intake')
                        THEN due - interval '5 days'
                        ELSE due END AS next,
                   CASE WHEN status = 'closed' THEN filed0 - interval '40 days' END AS closed,
                   '[]'::jsonb AS reminders
            FROM src1
        ){CASE_SELECT}
        """,
        {
            "now": now,
            "first": due + 1,
            "last": cases + closed,
            "open_last": cases,
            "facts": FACTS,
            "genesis": GENESIS_HASH,
        },
    )
    sql("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), max(id)) FROM cases_case")


def load(cases: int, due: int, closed: int, reminders_sent: bool) -> None:
    """Load everything, building the case table's secondary indexes afterwards (as pg_restore
    does): one sorted build per index is much faster than a million inserts into each."""
    now = timezone.now()
    started = time.perf_counter()
    sql("SET synchronous_commit = off")
    sql("SET maintenance_work_mem = '256MB'")
    with column_defaults(Case, User, Office, Merchant), transaction.atomic():
        indexes = sql(
            """
            SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case'
            AND indexname NOT IN (
                SELECT conname FROM pg_constraint WHERE conrelid = 'cases_case'::regclass
            )
            """
        )
        for name, _ in indexes:
            sql(f'DROP INDEX "{name}"')
        load_parties()
        load_due_cases(now, due, reminders_sent)
        load_other_cases(now, due, cases, closed)
    for _, definition in indexes:  # after the commit has run the deferred foreign-key checks
        sql(definition)
    sql("RESET synchronous_commit; RESET maintenance_work_mem")  # the sweeps run with defaults
    loaded = time.perf_counter()
    vacuum_analyze()
    say(
        f"loaded {cases:,} open + {closed:,} closed cases in {loaded - started:.1f} s, "
        f"VACUUM ANALYZE {time.perf_counter() - loaded:.1f} s"
    )


def reset_due_cases(due: int, reminders_sent: bool) -> None:
    with column_defaults(Case), transaction.atomic():
        load_due_cases(timezone.now(), due, reminders_sent)
    vacuum_analyze()


# --- Measurements --------------------------------------------------------------------------------


def time_idle_sweeps(repeat: int) -> dict:
    """Time sweeps at an instant before every due one: warm connection, and a new one each time."""
    earliest = scalar("SELECT min(next_action_at) FROM cases_case")
    now = earliest - timedelta(seconds=1)
    warm, cold = [], []
    sweep_deadlines(now=now)  # load code paths once
    for _ in range(repeat):
        started = time.perf_counter()
        report = sweep_deadlines(now=now)
        warm.append(time.perf_counter() - started)
        assert report.cases == 0, report
    for _ in range(repeat):
        connection.close()
        started = time.perf_counter()
        sweep_deadlines(now=now)
        cold.append(time.perf_counter() - started)
    return {"now": now, "warm": warm, "cold": cold}


def explain(query) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) ``query`` (a ``sql.Query``); rolled back, so rows it locks stay
    unlocked."""
    with transaction.atomic():
        statement, params = query.get_compiler(using=connection.alias).as_sql()
        lines = sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        transaction.set_rollback(True)
    shown = statement % tuple(p if isinstance(p, int) else f"'{p}'" for p in params)
    return shown + "\n\n" + "\n".join(r[0] for r in lines)


def explain_idle(now: datetime) -> str:
    """The sweep's first query, ``Case.objects.filter(next_action_at__lt=now).exists()``."""
    return explain(Case.objects.filter(next_action_at__lt=now).query.exists())


def explain_claim(batch_size: int) -> str:
    with transaction.atomic():  # select_for_update compiles only inside a transaction
        return explain(due_cases(timezone.now(), batch_size).query)


def _sweep_in_child(now: datetime, batch_size: int | None, queue) -> None:
    connections.close_all()
    started = time.perf_counter()
    report = sweep_deadlines(now=now, batch_size=batch_size)
    queue.put((report.cases, report.batches, time.perf_counter() - started))


def backend_cpu_seconds(pid: int) -> float | None:
    """Return the CPU time the PostgreSQL backend ``pid`` used so far (same host only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def full_sweep(batch_size: int | None, workers: int, profile: bool) -> dict:
    now = timezone.now()
    if workers == 1:
        profiler = cProfile.Profile() if profile else None
        backend = scalar("SELECT pg_backend_pid()")
        db_cpu = backend_cpu_seconds(backend)
        cpu = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = sweep_deadlines(now=now, batch_size=batch_size)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        result = {"now": now, "elapsed": elapsed, "cases": report.cases, "report": str(report)}
        result["rate"] = report.cases / elapsed
        result["python_cpu"] = time.process_time() - cpu
        if db_cpu is not None:
            result["postgres_cpu"] = backend_cpu_seconds(backend) - db_cpu
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
            out.write("\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            result["profile"] = out.getvalue()
        return result
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    children = [
        ctx.Process(target=_sweep_in_child, args=(now, batch_size, queue)) for _ in range(workers)
    ]
    started = time.perf_counter()
    for child in children:
        child.start()
    parts = [queue.get() for _ in children]
    for child in children:
        child.join()
    elapsed = time.perf_counter() - started
    return {
        "now": now,
        "elapsed": elapsed,
        "cases": sum(p[0] for p in parts),
        "rate": sum(p[0] for p in parts) / elapsed,
        "report": "; ".join(f"{c} case(s) in {b} batch(es), {t:.2f} s" for c, b, t in parts),
    }


def verify(now: datetime, due: int) -> dict:
    """Check that exactly the due cases moved, once each, with intact chains."""
    checks = {
        "due cases now regulator_intake": scalar(
            "SELECT count(*) FROM cases_case WHERE id <= %s AND status = 'regulator_intake'", [due]
        ),
        "cases touched by the sweep": scalar(
            "SELECT count(*) FROM cases_case WHERE updated_at = %s", [now]
        ),
        "deadline_missed events": scalar(
            "SELECT count(*) FROM cases_caseevent WHERE type = 'deadline_missed'"
        ),
        "cases with a deadline_missed event": scalar(
            "SELECT count(DISTINCT case_id) FROM cases_caseevent WHERE type = 'deadline_missed'"
        ),
        "events in all": scalar("SELECT count(*) FROM cases_caseevent"),
        "cases still due": scalar(
            "SELECT count(*) FROM cases_case WHERE next_action_at < %s", [now]
        ),
    }
    started = time.perf_counter()
    broken = list(ledger_verify(Case.objects.filter(updated_at=now)))
    checks["ledger_verify broken chains"] = len(broken)
    checks["ledger_verify seconds"] = round(time.perf_counter() - started, 2)
    expected = {
        "due cases now regulator_intake": due,
        "cases touched by the sweep": due,
        "deadline_missed events": due,
        "cases with a deadline_missed event": due,
        "events in all": due,
        "cases still due": 0,
        "ledger_verify broken chains": 0,
    }
    checks["ok"] = all(checks[k] == v for k, v in expected.items())
    return checks


def print_sweep(title: str, result: dict, due: int) -> bool:
    """Print one sweep's figures and checks; return whether the checks passed."""
    say(f"\n{title}: {result['report']}")
    say(f"  {result['cases']:,} cases in {result['elapsed']:.2f} s = {result['rate']:,.0f} cases/s")
    for key in ("python_cpu", "postgres_cpu"):
        if key in result:
            say(f"  {key.replace('_', ' ')}: {result[key]:.2f} s")
    say(f"  load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    checks = verify(result["now"], due)
    for key, value in checks.items():
        say(f"  {key}: {value}")
    if not checks["ok"]:
        say("  VERIFICATION FAILED")
    return checks["ok"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases")
    parser.add_argument("--due", type=int, default=20_000, help="open cases past due")
    parser.add_argument("--closed", type=int, default=100_000, help="closed cases, nothing due")
    parser.add_argument("--batch-size", type=int, default=None, help="default: settings")
    parser.add_argument("--repeat", type=int, default=3, help="full sweeps to time")
    parser.add_argument("--idle-repeat", type=int, default=25, help="idle sweeps to time")
    parser.add_argument("--workers", type=int, default=1, help="also run N concurrent sweeps")
    parser.add_argument("--profile", action="store_true", help="profile the first full sweep")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument(
        "--reminders-sent",
        action="store_true",
        help="due cases had their reminders already (only the escalation is left)",
    )
    args = parser.parse_args()
    batch_size = args.batch_size or settings.ODR_SWEEP_BATCH_SIZE

    name = connection.settings_dict["NAME"]
    if not name.startswith("odr_bench"):
        sys.exit(f"refusing to use database {name!r}: its name must start with 'odr_bench'")
    # The database may not exist yet: create it before anything connects to it, and load it
    # when there is nothing to reuse (--reuse on a machine that never ran the bench).
    if args.reuse and not database_loaded():
        say(f"nothing to reuse in {name}: loading it")
        args.reuse = False
    if not args.reuse:
        recreate_database()
    version = connection.pg_version
    say(
        f"database {name}, PostgreSQL {version // 10000}.{version % 10000}, {os.cpu_count()} CPU(s)"
    )
    if args.reuse:
        reset_due_cases(args.due, args.reminders_sent)
    else:
        load(args.cases, args.due, args.closed, args.reminders_sent)
    counts = sql("SELECT status, count(*) FROM cases_case GROUP BY 1 ORDER BY 1")
    say("cases by status: " + ", ".join(f"{s} {n:,}" for s, n in counts))
    say(
        "cases_case: "
        + scalar("SELECT pg_size_pretty(pg_table_size('cases_case'))")
        + " table, "
        + scalar("SELECT pg_size_pretty(pg_indexes_size('cases_case'))")
        + " indexes; case_next_action_idx "
        + scalar("SELECT pg_size_pretty(pg_relation_size('case_next_action_idx'))")
    )

    idle = time_idle_sweeps(args.idle_repeat)
    idle_ms = {}
    for key in ("warm", "cold"):
        ms = sorted(t * 1000 for t in idle[key])
        idle_ms[key] = statistics.median(ms)
        say(
            f"sweep with nothing due ({key} connection, {len(ms)} runs): median "
            f"{idle_ms[key]:.2f} ms, max {ms[-1]:.2f} ms"
        )
    say(f"\n'anything due?' query (nothing due):\n{explain_idle(idle['now'])}")
    say(f"\nclaiming query (batch size {batch_size}):\n{explain_claim(batch_size)}")

    rates, ok = [], True
    for run in range(args.repeat):
        if run:
            reset_due_cases(args.due, args.reminders_sent)
        result = full_sweep(args.batch_size, 1, args.profile and not run)
        ok = print_sweep(f"full sweep {run + 1}", result, args.due) and ok
        rates.append(result["rate"])
        if "profile" in result:
            say("\n" + result["profile"])
    if args.workers > 1:
        reset_due_cases(args.due, args.reminders_sent)
        result = full_sweep(args.batch_size, args.workers, False)
        ok = print_sweep(f"{args.workers} concurrent sweeps", result, args.due) and ok

    say(
        f"\nsummary: idle sweep median {idle_ms['warm']:.2f} ms (open connection), "
        f"{idle_ms['cold']:.2f} ms (new connection); full sweep of {args.due:,} due cases "
        f"among {args.cases:,} open: {', '.join(f'{r:,.0f}' for r in rates)} cases/s "
        f"(median {statistics.median(rates):,.0f}); checks {'passed' if ok else 'FAILED'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
