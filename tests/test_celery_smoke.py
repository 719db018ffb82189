"""A beat-scheduled task runs through a real Celery worker, on each broker the portal supports.

Beat and the worker run as two processes, as in production and in `make run`. They share the
test database: the test passes its connection settings to them as ``DATABASE_URL``.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from core.models import Heartbeat
from tests.conftest import require_service

pytestmark = pytest.mark.services

WAIT_SECONDS = 60
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def database_url() -> str:
    """Return a DATABASE_URL naming the database this test runs against."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = quote(db["HOST"] or "", safe="")  # a socket directory is percent-encoded
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise AssertionError(f"no DATABASE_URL for the {connection.vendor} backend")


def redis_url() -> str:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else DEFAULT_TEST_REDIS_URL


@pytest.fixture(params=["filesystem", "redis"])
def broker_url(request) -> str:
    if request.param == "filesystem":
        return "filesystem://"
    url = redis_url()
    parts = urlsplit(url)
    require_service("Redis", parts.hostname or "127.0.0.1", parts.port or 6379)
    return url


@contextmanager
def celery_process(args: list[str], *, env: dict, cwd: Path, log: Path) -> Iterator:
    """Run ``celery -A odr <args>`` until the block ends, then stop it as Ctrl-C would."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "odr", *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def tail(path: Path, lines: int = 80) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.django_db(transaction=True)
def test_beat_schedules_heartbeat_and_a_worker_runs_it(broker_url, tmp_path):
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "odr.settings",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(settings.BASE_DIR), os.environ.get("PYTHONPATH", "")) if p
        ),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ODR_DATA_DIR": str(data_dir),
        "ODR_HEARTBEAT_SECONDS": "1",
    }
    # Beat and the worker are other processes: the frozen test clock does not reach them, so
    # their heartbeat is compared with the real clock.
    started = time_machine.escape_hatch.datetime.datetime.now(tz=UTC)
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    # No mingle or gossip: a test run must not wait for, or talk to, other people's workers.
    worker_args = ["worker", "--loglevel=INFO", "--pool=solo"]
    worker_args += ["--without-mingle", "--without-gossip"]
    beat_args = ["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-schedule'}"]

    # The working directory is the temporary one: kombu's file-system transport keeps its
    # exchange tables in a folder relative to it.
    seen = None
    with (
        celery_process(worker_args, env=env, cwd=tmp_path, log=worker_log) as worker,
        celery_process(beat_args, env=env, cwd=tmp_path, log=beat_log) as beat,
    ):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and worker.poll() is None and beat.poll() is None:
            seen = Heartbeat.objects.filter(name="beat", last_seen__gte=started).first()
            if seen is not None:
                break
            time.sleep(0.5)

    assert seen is not None, (
        f"no heartbeat within {WAIT_SECONDS}s through {broker_url}\n"
        f"--- worker log ---\n{tail(worker_log)}\n--- beat log ---\n{tail(beat_log)}"
    )
    assert "Task core.tasks.heartbeat" in worker_log.read_text(errors="replace")
