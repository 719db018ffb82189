"""Fixtures of the outbox tests: webhook settings that let the test receiver in, a webhook
receiver, and a Redis server of the test's own that it stops and starts."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from odr.celery import app as celery_app
from tests.conftest import service_missing

from .receiver import WebhookReceiver

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture
def webhook_settings(settings):
    """Webhooks over plain HTTP to 127.0.0.1, where the test receiver listens (and nowhere else
    private: the other addresses stay refused)."""
    settings.ODR_WEBHOOK_REQUIRE_HTTPS = False
    settings.ODR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.ODR_WEBHOOK_TIMEOUT_SECONDS = 2.0
    return settings


@pytest.fixture
def receiver(webhook_settings) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server on a free port, without persistence, that can be stopped and started."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if shutil.which(REDIS_SERVER) is None:
        service_missing(f"{REDIS_SERVER} is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()


def drop_pooled_connections() -> None:
    """Forget the app's pooled broker connections (what Celery does in a forked child), so the
    next publish connects to the broker now configured."""
    celery_app._after_fork()


@pytest.fixture
def broker(redis_server, settings) -> Iterator[RedisServer]:
    """Publish tasks for real, to ``redis_server`` (the suite otherwise runs them in-process)."""
    saved = {
        key: celery_app.conf[key]
        for key in (
            "broker_url",
            "broker_read_url",
            "broker_write_url",
            "broker_transport_options",
            "task_always_eager",
        )
    }
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for key in ("broker_url", "broker_read_url", "broker_write_url"):
        celery_app.conf[key] = redis_server.url
    celery_app.conf.broker_transport_options = {"socket_connect_timeout": 1.0}
    celery_app.conf.task_always_eager = False
    drop_pooled_connections()
    yield redis_server
    drop_pooled_connections()
    for key, value in saved.items():
        celery_app.conf[key] = value
