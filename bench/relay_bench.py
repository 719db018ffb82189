"""How fast the outbox relay drains a backlog, and how long a new notice waits behind it.

A deadline sweep that escalates thousands of cases writes tens of thousands of emails and webhook
deliveries at once. This loads such a backlog (--rows emails, then --rows deliveries, all marked
as a sweep's wave) into a PostgreSQL database of its own, points the relay at a local SMTP sink
(aiosmtpd) and a local webhook receiver, runs --relays relay processes (as Celery workers would,
each calling ``outbox_relay`` in a loop) and measures:

- the drain rate: rows sent per second until the backlog is empty;
- the wait of a new notice: a person's own notice (not part of the wave) written 3 s into the
  drain, from its commit to its arrival at the sink.

    .venv/bin/pip install -e ".[bench]"          # aiosmtpd
    .venv/bin/python bench/relay_bench.py --rows 100000

Only 127.0.0.1 is contacted; the only database written is odr_bench_relay.
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, database_url, machine, recreate_database, say

sys.path.insert(0, str(ROOT))  # the portal's own packages
# The benchmark's own database; the relay processes also get the mail server and the relay's
# settings in their environment (django_environment), before they import this module.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings")
os.environ.setdefault("DATABASE_URL", database_url("odr_bench_relay"))
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from cases.models import CaseEvent, Notification  # noqa: E402
from cases.notifications import outbox_relay  # noqa: E402
from core.models import OUTBOX_DUE_AT_ONCE  # noqa: E402
from merchants.models import Merchant, WebhookDelivery, WebhookEndpoint  # noqa: E402

DATABASE = "odr_bench_relay"
FRESH_EMAIL = "fresh@bench.invalid"


class Sink:
    """What arrived, counted, and when the fresh one did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.fresh_at: float | None = None

    def arrived(self, fresh: bool) -> None:
        with self.lock:
            self.count += 1
            if fresh and self.fresh_at is None:
                self.fresh_at = time.monotonic()


def smtp_sink(sink: Sink):
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            sink.arrived(FRESH_EMAIL in envelope.rcpt_tos)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd needs a port number of its own to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def webhook_sink(sink: Sink, fresh_delivery: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            sink.arrived(self.headers.get("X-ODR-Delivery") in fresh_delivery)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # every sending thread of every relay connecting at once

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def django_environment(smtp_port: int, args) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "odr.settings",
        "DATABASE_URL": database_url(DATABASE),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ODR_WEBHOOK_REQUIRE_HTTPS": "0",
        "ODR_WEBHOOK_ALLOWED_ADDRESSES": "127.0.0.1",
        "ODR_OUTBOX_SENDERS": str(args.senders),
        "ODR_OUTBOX_CLAIM_SIZE": str(args.claim),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


LOAD = [
    """
INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined, email, name,
                           phone, phone_verified)
SELECT '', false, false, true, now(), 'bench' || g || '@bench.invalid', '', '', false
FROM generate_series(1, %(users)s) g
""",
    """
INSERT INTO cases_notification (kind, event_id, user_id, data, created_at, email, email_attempts,
                                last_error, bulk, next_attempt_at)
SELECT 'case_event', e.id, u.id, '{}', now(), 'pending', 0, '', true, '2000-01-01T00:00:00Z'
FROM (SELECT id FROM cases_caseevent WHERE NOT internal ORDER BY id LIMIT %(events)s) e
CROSS JOIN (SELECT id FROM accounts_user WHERE email LIKE 'bench%%@bench.invalid') u
LIMIT %(rows)s
""",
]


def load_emails(args) -> dict:
    """The email backlog: --rows pending emails of a sweep's wave."""

    # What seeding the demo left to send is sent first, not counted.
    Notification.objects.filter(email=Notification.Email.PENDING).update(
        email=Notification.Email.SENT
    )
    events = CaseEvent.objects.filter(internal=False).count()
    users = -(-args.rows // events)
    with connection.cursor() as cursor:
        for statement in LOAD:
            cursor.execute(statement, {"users": users, "events": events, "rows": args.rows})
        cursor.execute("ANALYZE")
    say(f"backlog: {Notification.objects.filter(email='pending').count():,} emails")
    return {
        "fresh_user": User.objects.create(email=FRESH_EMAIL, name="新用户"),
        "event": CaseEvent.objects.filter(internal=False).values_list("pk", flat=True).first(),
    }


def load_deliveries(args, receiver_url: str) -> dict:
    """The webhook backlog: --rows pending deliveries of a sweep's wave, to one endpoint."""

    merchant = Merchant.objects.filter(memberships__isnull=False).first()
    endpoint = WebhookEndpoint.objects.create(
        merchant=merchant,
        url=receiver_url,
        events=["case.message"],
        secret="whsec_bench",
        created_by=merchant.memberships.first().user,
        created_at=time_now(),
    )
    event_ids = list(CaseEvent.objects.values_list("pk", flat=True))
    WebhookDelivery.objects.bulk_create(
        (
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_ids[n % len(event_ids)],
                name="case.message",
                body='{"id": "bench"}',
                created_at=time_now(),
                next_attempt_at=OUTBOX_DUE_AT_ONCE,
                bulk=True,
            )
            for n in range(args.rows)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"backlog: {WebhookDelivery.objects.filter(status='pending').count():,} deliveries")
    return {"endpoint": endpoint, "event": event_ids[0]}


def time_now():
    return timezone.now()


def relay_loop() -> None:
    """One relay process: run the relay until there is nothing left to send for 3 s."""
    idle_since = None
    while True:
        report = outbox_relay()
        if report.emails_sent or report.webhooks_delivered or report.emails_failed:
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 3:
            return
        time.sleep(0.05)


def drain(kind: str, sink: Sink, args, env: dict, write_fresh) -> dict:
    started = time.monotonic()
    relays = [
        subprocess.Popen([sys.executable, __file__, "--relay-loop"], cwd=ROOT, env=env)
        for _ in range(args.relays)
    ]
    time.sleep(3)
    fresh_written = write_fresh()
    while sink.count < args.rows + 1 and any(r.poll() is None for r in relays):
        time.sleep(0.05)
    seconds = time.monotonic() - started
    for relay in relays:
        relay.wait(timeout=120)
    return {
        "kind": kind,
        "rows": sink.count,
        "seconds": seconds,
        "rate": sink.count / seconds,
        "fresh_wait": (sink.fresh_at - fresh_written) if sink.fresh_at else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--relays", type=int, default=2, help="relay processes (workers)")
    parser.add_argument("--senders", type=int, default=8, help="ODR_OUTBOX_SENDERS")
    parser.add_argument("--claim", type=int, default=32, help="ODR_OUTBOX_CLAIM_SIZE")
    parser.add_argument("--relay-loop", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay_loop:
        relay_loop()
        return 0

    emails, webhooks, fresh_delivery = Sink(), Sink(), []
    smtp = smtp_sink(emails)
    receiver = webhook_sink(webhooks, fresh_delivery)
    receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    env = django_environment(smtp.port, args)
    say(f"database {DATABASE}: migrate and seed the demo data")
    recreate_database(DATABASE)
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    made = load_emails(args)

    def fresh_email() -> float:
        Notification.objects.create(
            event_id=made["event"],
            user=made["fresh_user"],
            created_at=time_now(),
            next_attempt_at=OUTBOX_DUE_AT_ONCE,
            email=Notification.Email.PENDING,
        )
        return time.monotonic()

    results = [drain("emails (SMTP sink)", emails, args, env, fresh_email)]
    made = load_deliveries(args, receiver_url)

    def fresh_webhook() -> float:
        delivery = WebhookDelivery.objects.create(
            endpoint=made["endpoint"],
            event_id=made["event"],
            name="case.message",
            body='{"id": "fresh"}',
            created_at=time_now(),
            next_attempt_at=OUTBOX_DUE_AT_ONCE,
        )
        fresh_delivery.append(str(delivery.pk))
        return time.monotonic()

    results.append(drain("webhooks (HTTP receiver)", webhooks, args, env, fresh_webhook))
    smtp.stop()
    receiver.shutdown()

    info = machine()
    print()
    print(
        f"Relay of a {args.rows:,}-row backlog, {args.relays} relay processes × {args.senders} "
        f"sending threads, claims of {args.claim}; {info['nproc']} CPUs ({info['cpu']}), "
        f"PostgreSQL {info['postgresql']}."
    )
    print()
    print("| outbox | sent | seconds | per second | a new notice's wait (s) |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        wait = f"{r['fresh_wait']:.2f}" if r["fresh_wait"] is not None else "not received"
        print(f"| {r['kind']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rate']:.0f} | {wait} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
