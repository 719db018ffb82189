"""/healthz: 200 when the database and the broker answer, 503 otherwise (product §8)."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from core.models import Heartbeat
from core.tasks import heartbeat
from odr.celery import app as celery_app
from tests.conftest import TEST_NOW

# Nothing listens on port 1: connecting is refused at once.
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"
CLOSED_PORT_POSTGRES = "postgres://postgres@127.0.0.1:1/odr_healthz"


@pytest.fixture
def unreachable_broker(monkeypatch):
    # Celery takes the broker URL from the environment first, from its configuration second.
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED_PORT_REDIS)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    assert celery_app.conf.broker_write_url == CLOSED_PORT_REDIS


@pytest.mark.django_db
def test_healthz_answers_200_with_json_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "beat_last_seen": None,
        "beat": "not_seen",
        "cache": "ok",
    }


@pytest.mark.django_db
def test_healthz_reports_when_the_beat_heartbeat_last_ran(client):
    heartbeat()
    last_seen = Heartbeat.objects.get(name="beat").last_seen

    body = client.get("/healthz").json()

    assert body["beat_last_seen"] == last_seen.isoformat()


@pytest.mark.django_db
def test_healthz_answers_503_quickly_when_the_broker_is_unreachable(client, unreachable_broker):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert response.json()["broker"] == "fail"
    assert response.json()["database"] == "ok"
    assert elapsed < 10, f"the broker check took {elapsed:.1f}s; a load balancer would time out"


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    # A real failed connection needs a process whose settings name a database nobody serves.
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(json.dumps({'status_code': r.status_code, 'body': r.json()}))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "odr.settings",
        "DATABASE_URL": CLOSED_PORT_POSTGRES,
        "CELERY_BROKER_URL": "filesystem://",
        "ODR_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status_code"] == 503
    assert answer["body"] == {
        "status": "fail",
        "database": "fail",
        "broker": "ok",
        "beat": "unknown",
        "cache": "ok",
    }


def test_healthz_refuses_anything_but_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_answers_503_once_beat_missed_three_heartbeats(client, settings, time_machine):
    settings.ODR_HEARTBEAT_SECONDS = 60
    time_machine.move_to(TEST_NOW, tick=False)
    heartbeat()
    assert client.get("/healthz").json()["beat"] == "ok"

    time_machine.shift(3 * 60 + 20)
    assert client.get("/healthz").status_code == 200  # late by less than three beats

    time_machine.shift(20)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"] == "late"
    assert response.json()["status"] == "fail"
