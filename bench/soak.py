"""A working day of `make run`, compressed: does the embedded default stay up under steady use?

Clones this repository (its committed HEAD) into a temporary folder, starts `make run` there with
nothing configured (SQLite and the file-system broker under .data/), and uses it for --minutes
from a few signed-in sessions, as people would:

- the consumer alice reads her cases and posts messages (the way the case page's script posts
  them, with htmx), and rejects the merchant's offers on her negotiating case;
- the merchant agent of Acme reads the inbox, posts messages and makes offers on that case;
- the officer of the Yingze office posts messages and internal notes on alice's mediation case;
- a monitor asks /healthz every --health-seconds.

Then it checks what a working day needs: web, worker and beat alive and never restarted
(supervisord's log), /healthz 200 at every check, every notification relayed (no email left
pending), every message posted once. It prints the figures as Markdown for docs/benchmarks.md
and exits 1 when a check fails.

    .venv/bin/python bench/soak.py --minutes 30

Only 127.0.0.1 is contacted; port 8000 must be free (it is what `make run` serves).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Client, csrf_from, percentile, say

PORT = 8000
PASSWORD = "demo-password-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
CONSUMER, AGENT, OFFICER = (
    "alice@demo.odr.cn",
    "agent@acme.demo.odr.cn",
    "officer.yingze@demo.odr.cn",
)
# What `make run` must not inherit: the soak is of the embedded default.
CONFIGURATION = ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "ODR_DATA_DIR", "DEBUG")
HTMX = {"HX-Request": "true"}
POLL_SINCE = re.compile(r"thread/\?since=(\d+)")


def totp(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code (SHA-1, 30 s, 6 digits) of ``secret`` now."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Recorder:
    """Every request's outcome and time, by what it was for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.failures: list[str] = []
        self.posted: list[str] = []

    def call(self, kind: str, send, expect: tuple[int, ...]):
        started = time.monotonic()
        try:
            response = send()
        except Exception as error:  # a refused connection is a failure to report, not a crash
            with self.lock:
                self.failures.append(f"{kind}: {error!r}")
            return None
        seconds = time.monotonic() - started
        with self.lock:
            self.times[kind].append(seconds)
            if response.status not in expect:
                self.failures.append(f"{kind}: HTTP {response.status}")
        return response


def sign_in(client: Client, email: str, totp_secret: str | None = None) -> None:
    page = client.get("/accounts/login/")
    response = client.request(
        "POST",
        "/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf_from(page)},
    )
    if totp_secret and response.status == 302 and "2fa" in response.headers.get("location", ""):
        page = client.get("/accounts/2fa/authenticate/")
        left = 30 - time.time() % 30
        if left < 3:
            time.sleep(left + 0.1)
        response = client.request(
            "POST",
            "/accounts/2fa/authenticate/",
            data={"code": totp(totp_secret), "csrfmiddlewaretoken": csrf_from(page)},
        )
    if response.status != 302:
        raise SystemExit(f"could not sign in as {email}: HTTP {response.status}")


def post_message(rec: Recorder, client: Client, number: str, action: str, who: str) -> None:
    body = f"soak {who} {uuid.uuid4().hex[:12]}"
    response = rec.call(
        action,
        lambda: client.request(
            "POST",
            f"/cases/{number}/act/{action}/",
            data={f"{action}-body": body, f"{action}-client_key": str(uuid.uuid4())},
            headers={**HTMX, "X-CSRFToken": client.csrf_token},
        ),
        (200,),
    )
    if response is not None and response.status == 200:
        with rec.lock:
            rec.posted.append(body)


def form_present(page, action: str) -> bool:
    return page is not None and f'id="{action}"' in page.text


def consumer_loop(rec: Recorder, cases: dict, stop: threading.Event, pause: float) -> None:
    client = Client(PORT)
    sign_in(client, CONSUMER)
    negotiating, mediation = cases["negotiating"], cases["mediation"]
    while not stop.is_set():
        rec.call("page: my cases", lambda: client.get("/my/"), (200,))
        page = rec.call("page: case", lambda: client.get(f"/cases/{negotiating}/"), (200,))
        post_message(rec, client, negotiating, "post_message", "consumer")
        rec.call(
            "poll: thread", lambda: client.get(f"/cases/{negotiating}/thread/?since=0"), (200,)
        )
        if form_present(page, "reject_offer"):
            rec.call(
                "reject_offer",
                lambda: client.post(
                    f"/cases/{negotiating}/act/reject_offer/",
                    {"reject_offer-reason": "soak: not enough"},
                ),
                (302,),
            )
        rec.call("page: case", lambda: client.get(f"/cases/{mediation}/"), (200,))
        post_message(rec, client, mediation, "post_message", "consumer")
        stop.wait(pause)


def merchant_loop(rec: Recorder, cases: dict, stop: threading.Event, pause: float) -> None:
    client = Client(PORT)
    sign_in(client, AGENT)
    number = cases["negotiating"]
    fulfil_by = (date.today() + timedelta(days=14)).isoformat()
    while not stop.is_set():
        rec.call("page: inbox", lambda: client.get("/merchant/"), (200,))
        page = rec.call("page: case", lambda: client.get(f"/cases/{number}/"), (200,))
        post_message(rec, client, number, "post_message", "merchant")
        if form_present(page, "make_offer"):
            rec.call(
                "make_offer",
                lambda: client.post(
                    f"/cases/{number}/act/make_offer/",
                    {
                        "make_offer-remedy": "refund",
                        "make_offer-amount": "100.00",
                        "make_offer-fulfil_by": fulfil_by,
                        "make_offer-text": "soak: refund on return",
                    },
                ),
                (302,),
            )
        stop.wait(pause)


def officer_loop(rec: Recorder, cases: dict, stop: threading.Event, pause: float) -> None:
    client = Client(PORT)
    sign_in(client, OFFICER, TOTP_SECRET)
    number = cases["mediation"]
    while not stop.is_set():
        rec.call("page: regulator home", lambda: client.get("/regulator/"), (200,))
        rec.call("page: case", lambda: client.get(f"/cases/{number}/"), (200,))
        post_message(rec, client, number, "post_note", "officer")
        post_message(rec, client, number, "post_message", "officer")
        stop.wait(pause)


def health_loop(rec: Recorder, stop: threading.Event, every: float, checks: list) -> None:
    client = Client(PORT)
    while not stop.is_set():
        response = rec.call("healthz", lambda: client.get("/healthz"), (200,))
        checks.append(response.status if response is not None else 0)
        stop.wait(every)


# --- The clone and its processes ---------------------------------------------------------------


def manage_json(clone: Path, env: dict, code: str):
    """Run Python in the clone's Django (its own venv and SQLite) and parse what it prints."""
    out = subprocess.run(
        [str(clone / ".venv/bin/python"), "manage.py", "shell", "-v", "0", "-c", code],
        cwd=clone,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


FIND_CASES = """
import json
from cases.models import Case
def first(**kw):
    return Case.objects.filter(**kw).order_by("pk").values_list("number", flat=True).first()
print(json.dumps({
    "negotiating": first(status="negotiating", consumer__email="alice@demo.odr.cn",
                         merchant__memberships__user__email="agent@acme.demo.odr.cn"),
    "mediation": first(status="mediation", consumer__email="alice@demo.odr.cn",
                       office__memberships__user__email="officer.yingze@demo.odr.cn"),
}))
"""

OUTBOX = """
import json
from cases.models import Message, Notification
from merchants.models import WebhookDelivery
bodies = list(Message.objects.filter(body__startswith="soak ").values_list("body", flat=True))
print(json.dumps({
    "notifications": Notification.objects.count(),
    "emails_sent": Notification.objects.filter(email="sent").count(),
    "emails_pending": Notification.objects.filter(email="pending").count(),
    "emails_failed": Notification.objects.filter(email="failed").count(),
    "webhooks_pending": WebhookDelivery.objects.filter(status="pending").count(),
    "soak_messages": bodies,
}))
"""


def processes(clone: Path, env: dict) -> dict[str, dict]:
    """supervisord's view of web, worker and beat: state, pid and resident memory (MB)."""
    out = subprocess.run(
        [str(clone / ".venv/bin/supervisorctl"), "-c", "odr/supervisord.conf", "status"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pid = int(parts[3].rstrip(",")) if len(parts) > 3 and parts[2] == "pid" else None
            found[parts[0]] = {"state": parts[1], "pid": pid, "rss_mb": rss_mb(pid)}
    return found


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process and its children (runserver's reloader runs the server in
    a child), in MB."""
    if not pid:
        return None
    total = 0
    for p in [pid, *children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
    return round(total / 1024, 1)


def children(pid: int) -> list[int]:
    try:
        direct = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = [int(c) for c in direct]
    for child in list(found):
        found += children(child)
    return found


def wait_for_health(deadline: float) -> None:
    client = Client(PORT)
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status == 200:
                return
        except OSError:
            client.close()
        time.sleep(2)
    raise SystemExit("make run did not answer /healthz in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between rounds")
    parser.add_argument("--health-seconds", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the clone afterwards")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="odr-soak-"))
    clone = work / "odr"
    say(f"cloning {ROOT} into {clone}")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if k not in CONFIGURATION}
    log = (work / "make-run.log").open("wb")
    say(f"make run in the clone (commit {commit}); its output: {work / 'make-run.log'}")
    started = time.monotonic()
    run = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    failed: list[str] = []
    try:
        wait_for_health(time.monotonic() + 900)
        say(f"serving after {time.monotonic() - started:.0f} s (fresh venv, migrate, seed)")
        cases = manage_json(clone, env, FIND_CASES)
        say(f"cases: {cases}")
        before = processes(clone, env)
        for _ in range(30):  # supervisord calls a process RUNNING once it stayed up 3 s
            if len(before) == 3 and all(p["state"] == "RUNNING" for p in before.values()):
                break
            time.sleep(1)
            before = processes(clone, env)

        rec, stop, checks = Recorder(), threading.Event(), []
        threads = [
            threading.Thread(target=loop, args=(rec, cases, stop, args.pause), daemon=True)
            for loop in (consumer_loop, merchant_loop, officer_loop)
        ]
        threads.append(
            threading.Thread(
                target=health_loop, args=(rec, stop, args.health_seconds, checks), daemon=True
            )
        )
        load_started = time.monotonic()
        for thread in threads:
            thread.start()
        end = load_started + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(min(30.0, max(end - time.monotonic(), 0)))
            say(
                f"{(time.monotonic() - load_started) / 60:.1f} min: "
                f"{sum(len(v) for v in rec.times.values())} requests, "
                f"{len(rec.failures)} failures, healthz {checks.count(200)}/{len(checks)}"
            )
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        load_seconds = time.monotonic() - load_started

        # Everything owed goes out: beat's relay runs every 5 s.
        drained_after = None
        for waited in range(0, 181, 5):
            outbox = manage_json(clone, env, OUTBOX)
            if outbox["emails_pending"] == 0 and outbox["webhooks_pending"] == 0:
                drained_after = waited
                break
            time.sleep(5)
        after = processes(clone, env)
        supervisor_log = (clone / ".data/supervisord.log").read_text()
        restarts = re.findall(r"exited: (\w+) \(.*not expected\)", supervisor_log)

        posted = sorted(rec.posted)
        stored = sorted(outbox.pop("soak_messages"))
        if rec.failures:
            failed.append(f"{len(rec.failures)} failed requests, e.g. {rec.failures[:5]}")
        if any(code != 200 for code in checks):
            failed.append(f"/healthz not 200 at {sum(c != 200 for c in checks)} checks")
        if any(p["state"] != "RUNNING" for p in after.values()) or len(after) != 3:
            failed.append(f"processes at the end: {after}")
        if restarts:
            failed.append(f"processes restarted by supervisord: {restarts}")
        if drained_after is None:
            failed.append(f"outbox not drained 3 minutes after the load: {outbox}")
        if outbox["emails_failed"]:
            failed.append(f"{outbox['emails_failed']} emails failed")
        if posted != stored:
            failed.append(
                f"messages posted {len(posted)}, stored {len(stored)} "
                f"(duplicates: {len(stored) - len(set(stored))})"
            )

        total = sum(len(v) for v in rec.times.values())
        print()
        print(
            f"Soak of `make run` (embedded default), commit {commit}, {date.today()}: "
            f"{load_seconds / 60:.1f} minutes of use by 3 sessions, {total} requests "
            f"({total / load_seconds:.1f}/s)."
        )
        print()
        print("| request | count | p50 ms | p95 ms | max ms |")
        print("|---|---:|---:|---:|---:|")
        for kind in sorted(rec.times):
            ms = [s * 1000 for s in rec.times[kind]]
            print(
                f"| {kind} | {len(ms)} | {percentile(ms, 0.5):.0f} | "
                f"{percentile(ms, 0.95):.0f} | {max(ms):.0f} |"
            )
        print()
        print(f"- failed requests: {len(rec.failures)}")
        print(f"- /healthz: {checks.count(200)} of {len(checks)} checks answered 200")
        print(
            f"- messages and notes posted: {len(posted)}; stored: {len(stored)}, "
            f"distinct: {len(set(stored))}"
        )
        print(
            f"- notifications written: {outbox['notifications']}; emails sent "
            f"{outbox['emails_sent']}, pending {outbox['emails_pending']}, failed "
            f"{outbox['emails_failed']}; outbox empty {drained_after} s after the load"
        )
        print(f"- processes restarted: {len(restarts)}")
        for name in ("web", "worker", "beat"):
            b, a = before.get(name, {}), after.get(name, {})
            print(
                f"- {name}: {a.get('state')}, same pid {b.get('pid') == a.get('pid')}, "
                f"memory {b.get('rss_mb')} → {a.get('rss_mb')} MB"
            )
        print()
        print("FAILED: " + "; ".join(failed) if failed else "Every check held.")
    finally:
        # Ctrl-C, as a person stops `make run`.
        try:
            os.killpg(run.pid, signal.SIGINT)
            run.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(run.pid, signal.SIGKILL)
        log.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
