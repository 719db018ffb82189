"""Whether the password-reset and sign-up answers take as long for an email address that has an
account as for one that has not (product §6, "Guessing"; issue 23, item 5).

Someone who times the answers could otherwise tell which addresses are registered even when the
pages say the same thing. This runs, in one process, the portal's own views through Django's
test client (middleware, sessions, templates, PostgreSQL), interleaved in a random order:

- ``reset``: ``POST /accounts/password/reset/`` for the address of an account and for an
  address nobody uses;
- ``signup``: ``POST /accounts/signup/`` with a new mobile number each time and the email of an
  account or a new one, then the code texted to the number (``POST /accounts/phone/verify/``)
  when the sign-up goes on to ask for it.

Mail goes to a local SMTP sink (aiosmtpd) that answers each message after ``--smtp-delay-ms``,
as a mail relay across a network would. Celery publishes to ``CELERY_BROKER_URL`` (default: an
in-memory broker that nothing consumes): a mail handed to the queue is timed as the hand-over,
and its sending, in a worker, is not part of the answer.

    .venv/bin/pip install -e ".[bench]"          # aiosmtpd
    .venv/bin/python bench/auth_timing.py --rounds 200 --signup-rounds 30 --smtp-delay-ms 50

Only 127.0.0.1 is contacted; the only database written is odr_bench_auth (dropped and made
again at each run). The rate limits are emptied before each request (they would refuse the
benchmark's repeated requests from one address), outside the timed part.
"""

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, database_url, machine, recreate_database, say

sys.path.insert(0, str(ROOT))  # the portal's own packages

DATABASE = "odr_bench_auth"


def free_port() -> int:
    """A port number nothing listens on now (aiosmtpd needs one of its own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Django is configured once, before the portal's modules are imported.
SMTP_PORT = free_port()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings")
os.environ.setdefault("DATABASE_URL", database_url(DATABASE))
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"
os.environ.setdefault("CACHE_URL", "locmemcache://")
os.environ.setdefault("LOG_LEVEL", "WARNING")
django.setup()

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.adapter import SENT_SMS  # noqa: E402
from accounts.models import User  # noqa: E402

KNOWN = "registered@bench.invalid"


class Sink:
    """Mails that arrived, by recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[str] = []

    def arrived(self, recipients: list[str]) -> None:
        with self.lock:
            self.received.extend(recipients)


def smtp_sink(sink: Sink, delay: float):
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            if delay:
                await asyncio.sleep(delay)
            sink.arrived(list(envelope.rcpt_tos))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    return controller


def summary(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p = lambda f: ms[min(len(ms) - 1, int(f * len(ms)))]  # noqa: E731
    return (
        f"median {statistics.median(ms):8.2f} ms   p10 {p(0.10):8.2f}   p90 {p(0.90):8.2f}   "
        f"mean {statistics.fmean(ms):8.2f}   (n={len(ms)})"
    )


def median_difference(a: list[float], b: list[float], rng: random.Random) -> str:
    """The difference of the medians (a − b) in ms, with a bootstrap 95% interval."""
    observed = (statistics.median(a) - statistics.median(b)) * 1000
    draws = sorted(
        (statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b))))
        * 1000
        for _ in range(2000)
    )
    return f"{observed:+.2f} ms (95% interval {draws[50]:+.2f} … {draws[1949]:+.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="resets of each kind")
    parser.add_argument("--signup-rounds", type=int, default=30, help="sign-ups of each kind")
    parser.add_argument("--smtp-delay-ms", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()

    sink = Sink()
    controller = smtp_sink(sink, args.smtp_delay_ms / 1000)
    recreate_database(DATABASE)

    # Pages link their static files by name, as with DEBUG (no collectstatic manifest here).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    User.objects.create_user(KNOWN, "Bench-password-2026!", name="已注册")
    rng = random.Random(args.seed)
    say(f"machine: {machine()}")
    say(f"SMTP sink answers after {args.smtp_delay_ms:g} ms; broker {settings.CELERY_BROKER_URL}")

    def timed(client: Client, path: str, data: dict):
        cache.clear()  # the rate limits, outside the timed part
        start = time.perf_counter()
        response = client.post(path, data)
        return time.perf_counter() - start, response

    # --- Password reset -------------------------------------------------------------------------
    times: dict[str, list[float]] = {"registered": [], "unknown": []}
    kinds = ["registered", "unknown"] * args.rounds
    rng.shuffle(kinds)
    warmup = ["registered", "unknown"] * 10
    for n, kind in enumerate(warmup + kinds):
        email = KNOWN if kind == "registered" else f"nobody{n}@bench.invalid"
        seconds, response = timed(Client(), "/accounts/password/reset/", {"email": email})
        assert response.status_code == 302, response.status_code
        if n >= len(warmup):
            times[kind].append(seconds)
    say("\nPOST /accounts/password/reset/")
    for kind, values in times.items():
        say(f"  {kind:10} {summary(values)}")
    say(f"  registered − unknown: {median_difference(*times.values(), rng)}")

    # --- Sign-up ----------------------------------------------------------------------------------
    steps = {"signup": {"taken": [], "free": []}, "code": {"taken": [], "free": []}}
    answers: dict[str, set] = {"taken": set(), "free": set()}
    kinds = ["taken", "free"] * args.signup_rounds
    rng.shuffle(kinds)
    for n, kind in enumerate(["taken", "free", *kinds]):
        phone = f"139{n:08d}"
        email = KNOWN if kind == "taken" else f"new{n}@bench.invalid"
        client = Client()
        form = {
            "name": "王小明",
            "phone": phone,
            "email": email,
            "password1": "Zhuce-mima-2026!",
            "password2": "Zhuce-mima-2026!",
        }
        seconds, response = timed(client, "/accounts/signup/", form)
        answers[kind].add((response.status_code, response.get("Location", "")))
        if n >= 2:
            steps["signup"][kind].append(seconds)
        if response.status_code != 302:
            continue
        text = next(s["message"] for s in reversed(SENT_SMS) if s["phone"] == phone)
        code = re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", text).group()
        seconds, response = timed(client, "/accounts/phone/verify/", {"code": code})
        if n >= 2:
            steps["code"][kind].append(seconds)
    for step, path in (("signup", "/accounts/signup/"), ("code", "/accounts/phone/verify/")):
        say(f"\nPOST {path}")
        for kind, values in steps[step].items():
            if values:
                say(f"  {kind:10} {summary(values)}")
        if all(steps[step].values()):
            say(f"  taken − free: {median_difference(*steps[step].values(), rng)}")
    say(f"\nanswers to the sign-up (status, Location): {answers}")
    time.sleep(0.5)
    say(f"mails that reached the SMTP sink during the run: {len(sink.received)}")
    controller.stop()


if __name__ == "__main__":
    main()
