"""What the benchmark scripts share and that needs no Django: databases made from nothing, a
gunicorn server started and stopped, a signed-in HTTP client, page timings and a bounded load
generator.

Only 127.0.0.1 is ever contacted, and every loop is bounded in count or time.
"""

import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# The only databases the benchmark creates, drops or writes.
ALLOWED_DATABASE_PREFIXES = ("odr_bench", "helpdesk_bench")


def say(message: str) -> None:
    print(message, flush=True)


# --- Databases -----------------------------------------------------------------------------------


def database_url(name: str) -> str:
    return urlparse(PG_ADMIN_URL)._replace(path=f"/{name}").geturl()


def recreate_database(name: str) -> None:
    """Drop and create the database ``name``; refuse any name the benchmark does not own."""
    if not name.startswith(ALLOWED_DATABASE_PREFIXES):
        raise SystemExit(f"refusing to touch database {name!r}: not a benchmark database")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def database_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN_URL) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return found.fetchone() is not None


def server_version() -> str:
    with psycopg.connect(PG_ADMIN_URL) as admin:
        return admin.execute("SHOW server_version").fetchone()[0]


def postgres_settings() -> dict[str, str]:
    names = ("shared_buffers", "work_mem", "effective_cache_size", "synchronous_commit")
    with psycopg.connect(PG_ADMIN_URL) as admin:
        return {n: admin.execute(f"SHOW {n}").fetchone()[0] for n in names}


def machine() -> dict:
    """The facts about this machine that the results depend on."""
    memory = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "postgresql": server_version(),
        "postgresql_settings": postgres_settings(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
    }


# --- Statistics ----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Return the ``fraction`` percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
    }


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Client:
    """A keep-alive HTTP/1.1 client for one server on 127.0.0.1 that keeps its cookies, like a
    browser signed in to one site."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, data: dict | None = None, headers: dict | None = None
    ) -> Response:
        sent = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "zh-hans"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            # Django's CSRF check compares the Referer with the host on HTTPS only; send it anyway.
            sent["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        sent.update(headers or {})
        for attempt in range(2):  # a keep-alive connection the server closed is opened again
            if self._connection is None:
                self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self._connection.request(method, path, body=body, headers=sent)
                raw = self._connection.getresponse()
                payload = raw.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt:
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data=data, headers={"X-CSRFToken": self.csrf_token})

    @property
    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_from(page: Response) -> str:
    found = CSRF_INPUT.search(page.text)
    return found.group(1) if found else ""


# --- Servers -------------------------------------------------------------------------------------


class Gunicorn:
    """A gunicorn serving a WSGI application on 127.0.0.1, stopped by its own process id."""

    def __init__(
        self,
        python_bin: Path,
        app: str,
        port: int,
        *,
        workers: int,
        env: dict[str, str],
        cwd: Path,
        log: Path,
    ) -> None:
        self.command = [
            str(python_bin.parent / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--keep-alive",
            "5",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--error-logfile",
            str(log),
        ]
        self.port, self.env, self.cwd, self.log = port, env, cwd, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/favicon.ico")
                connection.getresponse().read()
                connection.close()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer on port {self.port}; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- Measurements --------------------------------------------------------------------------------


class CheckFailed(Exception):
    pass


def time_page(
    client: Client,
    path: str,
    *,
    repeat: int,
    expect: Callable[[Response], str | None],
    warmup: int = 3,
) -> dict:
    """Request ``path`` ``warmup`` times, then ``repeat`` times in sequence; every answer must be
    a 200 that ``expect`` accepts (it returns a problem or None). Return the timings."""
    for _ in range(warmup):
        response = client.get(path)
        _check(path, response, expect)
    times = []
    sizes = set()
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        _check(path, response, expect)
        sizes.add(len(response.body))
    return {"path": path, "bytes": max(sizes), **summary_ms(times)}


def _check(path: str, response: Response, expect: Callable[[Response], str | None]) -> None:
    if response.status != 200:
        raise CheckFailed(f"{path}: HTTP {response.status}: {response.text[:300]}")
    problem = expect(response)
    if problem:
        raise CheckFailed(f"{path}: {problem}")


def contains(*needles: str) -> Callable[[Response], str | None]:
    def check(response: Response) -> str | None:
        text = response.text
        missing = [n for n in needles if n not in text]
        return f"missing {missing!r}" if missing else None

    return check


@dataclass
class LoadResult:
    seconds: float
    done: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        result = {
            "seconds": round(self.seconds, 1),
            "done": self.done,
            "failed": self.failed,
            "per_second": round(self.done / self.seconds, 1),
        }
        if self.latencies:
            result.update(summary_ms(self.latencies))
        if self.errors:
            result["first_errors"] = self.errors[:3]
        return result


def run_load(
    users: list[Callable[[], bool]],
    seconds: float,
    *,
    max_operations: int = 1_000_000,
) -> LoadResult:
    """Run each of ``users`` (one operation per call, returning whether it succeeded) in its own
    thread, over and over, for ``seconds`` (or until ``max_operations`` in all); return the
    throughput and the latency of each operation."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    started_all = time.perf_counter()

    def loop(operation: Callable[[], bool]) -> None:
        while time.perf_counter() < stop_at:
            with lock:
                if result.done + result.failed >= max_operations:
                    return
            started = time.perf_counter()
            try:
                ok, error = operation(), ""
            except Exception as exc:  # a failed operation is counted, not fatal
                ok, error = False, f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    result.done += 1
                    result.latencies.append(elapsed)
                else:
                    result.failed += 1
                    if error and len(result.errors) < 10:
                        result.errors.append(error)

    threads = [threading.Thread(target=loop, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 180)
    result.seconds = time.perf_counter() - started_all
    return result
