"""django-helpdesk for the side-by-side benchmark: its own virtual environment, its own database,
and as many tickets as the portal has cases, loaded in SQL.

No Django here: the helpdesk runs in ``bench/.helpdesk-venv`` (installed from
``bench/helpdesk_site/requirements.txt``), this module only drives its ``manage.py`` and writes
its tables with psycopg.

The tickets mirror the portal's cases: the same complaint texts, one queue per industry plus the
public ``complaints`` queue, 44% open or reopened (the portal's open share), the rest resolved or
closed, one "ticket opened" follow-up each plus 0–3 comments (the portal's messages), 10% in the
queue of the big merchant and assigned to the benchmark's staff user (the merchant inbox's
counterpart), and one ticket with a 200-entry thread.
"""

import hashlib
import json
import os
import subprocess
import sys

import psycopg
from common import BENCH, database_url, recreate_database, say

SITE = BENCH / "helpdesk_site"
VENV = BENCH / ".helpdesk-venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = SITE / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
DATABASE = "helpdesk_bench"
STAFF_USER = "bench-staff"
STAFF_PASSWORD = "bench-staff-password-2026"
CORPUS = json.loads((BENCH / "corpus" / "complaints.json").read_text())
THREAD_ENTRIES = 200
# The environment of its processes; the portal's own settings module must not leak into them.
ENV = {"DJANGO_SETTINGS_MODULE": "settings", "HELPDESK_DB_NAME": DATABASE, "CONN_MAX_AGE": "60"}
THREAD_TICKET = "SELECT min(id) FROM helpdesk_ticket WHERE queue_id = 1 AND status = 1"


def ensure_venv() -> None:
    """Create the helpdesk's virtual environment, or install again when the pins changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    say(f"installing django-helpdesk into {VENV.relative_to(BENCH.parent)}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    STAMP.write_text(wanted)


def manage(*args: str) -> str:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=SITE,
        env={**os.environ, **ENV},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def version() -> str:
    code = "import importlib.metadata as m; print(m.version('django-helpdesk'))"
    return manage("shell", "--no-imports", "-c", code).split()[-1]


STAFF_SETUP = f"""
from django.contrib.auth.models import User
user = User.objects.create_superuser({STAFF_USER!r}, 'staff@helpdesk.bench.invalid',
                                     {STAFF_PASSWORD!r})
print(user.pk)
"""


def load(tickets: int) -> None:
    """Create the database from nothing, migrate it and load ``tickets`` tickets."""
    recreate_database(DATABASE)
    manage("migrate", "--verbosity", "0")
    staff_id = int(manage("shell", "--no-imports", "-c", STAFF_SETUP).split()[-1])
    with psycopg.connect(database_url(DATABASE)) as db:
        db.execute("SET synchronous_commit = off")
        db.execute("SET maintenance_work_mem = '512MB'")
        indexes = db.execute(
            """
            SELECT indexname, indexdef FROM pg_indexes
            WHERE tablename IN ('helpdesk_ticket', 'helpdesk_followup')
            AND indexname NOT IN (SELECT conname FROM pg_constraint)
            """
        ).fetchall()
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        _load_rows(db, tickets, staff_id)
        db.commit()  # the deferred foreign-key checks run before the indexes are built
        for _, definition in indexes:
            db.execute(definition)
        db.commit()
    with psycopg.connect(database_url(DATABASE), autocommit=True) as db:
        db.execute("VACUUM ANALYZE")


def _load_rows(db: psycopg.Connection, tickets: int, staff_id: int) -> None:
    categories = CORPUS["categories"]
    queues = ["complaints"] + [f"industry-{i}" for i in range(len(categories))]
    titles = ["消费投诉"] + [c["industry"] for c in categories]
    for pk, (slug, title) in enumerate(zip(queues, titles, strict=True), start=1):
        db.execute(
            """
            INSERT INTO helpdesk_queue (id, title, slug, allow_public_submission,
                allow_email_submission, email_box_ssl, enable_notifications_on_email_events,
                escalate_days)
            VALUES (%s, %s, %s, %s, false, false, false, NULL)
            """,
            [pk, title, slug, pk == 1],
        )
    db.execute("SELECT setval(pg_get_serial_sequence('helpdesk_queue', 'id'), %s)", [len(queues)])
    # Agents the tickets are assigned to, besides the benchmark's staff user.
    db.execute(
        """
        INSERT INTO auth_user (password, last_login, is_superuser, username, first_name,
            last_name, email, is_staff, is_active, date_joined)
        SELECT '!', NULL, false, 'agent' || g, '', '', 'agent' || g || '@helpdesk.bench.invalid',
               true, true, now()
        FROM generate_series(1, 50) g
        """
    )
    subjects = [s for c in categories for s in c["subjects"]]
    facts = [s for c in categories for s in c["facts"]]
    per_subject = len(categories[0]["subjects"])
    per_fact = len(categories[0]["facts"])
    db.execute("SELECT setseed(0.42)")
    # Status: 1 open, 2 reopened, 3 resolved, 4 closed; 44% open as the portal's cases.
    db.execute(
        """
        INSERT INTO helpdesk_ticket (id, title, created, modified, submitter_email, status,
            on_hold, description, resolution, priority, due_date, last_escalation,
            assigned_to_id, queue_id, secret_key, kbitem_id, merged_to_id)
        SELECT g, (%(subjects)s::text[])[1 + k * %(sp)s + g %% %(sp)s],
               filed, filed + interval '1 day',
               'c' || (1 + g %% greatest(2000, %(tickets)s / 5)) || '@consumer.bench.invalid',
               CASE WHEN r < 0.40 THEN 1 WHEN r < 0.44 THEN 2 WHEN r < 0.70 THEN 3 ELSE 4 END,
               false,
               (%(facts)s::text[])[1 + k * %(fp)s + g %% %(fp)s]
                   || (%(facts)s::text[])[1 + k * %(fp)s + (g + 1) %% %(fp)s]
                   || (%(facts)s::text[])[1 + k * %(fp)s + (g + 3) %% %(fp)s],
               CASE WHEN r >= 0.44 THEN '已处理' END, 1 + g %% 5,
               CASE WHEN r < 0.44 THEN now() + interval '14 days' * s END, NULL,
               CASE WHEN big THEN %(staff)s ELSE NULLIF(g %% 51, 0) + %(staff)s END,
               CASE WHEN big THEN 1 ELSE 2 + k END,
               md5(g::text)::uuid::text, NULL, NULL
        FROM (
            SELECT g, random() AS r, random() AS s, random() < 0.10 AS big,
                   g %% %(categories)s AS k,
                   now() - interval '700 days' * random() AS filed
            FROM generate_series(1, %(tickets)s) g
        ) t
        """,
        {
            "subjects": subjects,
            "facts": facts,
            "sp": per_subject,
            "fp": per_fact,
            "tickets": tickets,
            "staff": staff_id,
            "categories": len(categories),
        },
    )
    db.execute("SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'), %s)", [tickets])
    messages = CORPUS["messages"]
    db.execute(
        """
        INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status,
                                       user_id, message_id)
        SELECT id, created, '工单已通过网页提交', description, true, NULL, NULL, NULL
        FROM helpdesk_ticket
        """
    )
    db.execute(
        """
        INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status,
                                       user_id, message_id)
        SELECT t.id, t.created + interval '1 day' + interval '3 hours' * i, '跟进',
               CASE WHEN i %% 2 = 1 THEN (%(agent)s::text[])[1 + (t.id + i) %% 6]
                    ELSE (%(consumer)s::text[])[1 + (t.id + i) %% 6] END,
               true, NULL, CASE WHEN i %% 2 = 1 THEN t.assigned_to_id END, NULL
        FROM helpdesk_ticket t, generate_series(1, t.id %% 4) i
        """,
        {"agent": messages["merchant"], "consumer": messages["consumer"]},
    )
    # One ticket of the staff user's queue with a 200-entry thread, like the portal's case.
    thread = db.execute(THREAD_TICKET).fetchone()[0]
    db.execute("DELETE FROM helpdesk_followup WHERE ticket_id = %s AND title = '跟进'", [thread])
    db.execute(
        """
        INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, new_status,
                                       user_id, message_id)
        SELECT %(thread)s, now() - interval '3 days' + interval '20 minutes' * i, '跟进',
               CASE WHEN i %% 2 = 1 THEN (%(agent)s::text[])[1 + i %% 6]
                    ELSE (%(consumer)s::text[])[1 + i %% 6] END || '（' || i || '）',
               true, NULL, CASE WHEN i %% 2 = 1 THEN %(staff)s END, NULL
        FROM generate_series(1, %(entries)s) i
        """,
        {
            "thread": thread,
            "agent": messages["merchant"],
            "consumer": messages["consumer"],
            "staff": staff_id,
            "entries": THREAD_ENTRIES - 1,
        },
    )


def thread_ticket() -> int:
    """The ticket with the 200-entry thread (the first open one of the public queue)."""
    with psycopg.connect(database_url(DATABASE)) as db:
        return db.execute(THREAD_TICKET).fetchone()[0]


def ticket_count() -> int:
    with psycopg.connect(database_url(DATABASE)) as db:
        return db.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
