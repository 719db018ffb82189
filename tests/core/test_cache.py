"""A shared cache (Redis) that stops answering degrades the rate limits to per-process counting;
sign-in, the REST API and public tracking keep answering (core/cache.py). The test runs a Redis
server of its own and stops it."""

import logging

import pytest
from django.test import Client

from core import cache as resilient
from tests.accounts.helpers import fresh_cache  # noqa: F401 (autouse)
from tests.factories import PASSWORD
from tests.notifications.conftest import RedisServer, redis_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def shared_cache(settings, redis_server, monkeypatch):  # noqa: F811
    monkeypatch.setattr(resilient, "_down_since", None)
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": redis_server.url}
    }
    return redis_server


def signs_in(email: str) -> int:
    client = Client()
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD}).status_code


def test_with_the_cache_down_sign_in_api_and_tracking_still_answer(
    shared_cache, alice, offices, caplog, settings
):
    assert signs_in(alice.email) == 302
    assert Client().get("/healthz").json()["cache"] == "ok"

    shared_cache.stop()
    caplog.set_level(logging.WARNING, logger="core.cache")
    assert signs_in(alice.email) == 302

    api = Client()
    api.force_login(alice)
    assert api.get("/api/v1/me/").status_code == 200
    tracked = Client().post(
        "/cases/track/", {"number": "20260302-AAAAAAAA", "phone": "13900000000"}
    )
    assert tracked.status_code == 200

    health = Client().get("/healthz")
    assert health.status_code == 200 and health.json()["cache"] == "degraded"
    assert "shared cache unreachable" in caplog.text


def test_with_the_cache_down_the_limits_still_count_per_process(
    shared_cache, alice, offices, settings
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    shared_cache.stop()
    assert [signs_in(alice.email) for _ in range(4)] == [302, 302, 302, 429]


def test_the_shared_cache_is_used_again_once_it_answers(
    shared_cache, alice, offices, caplog, monkeypatch
):
    shared_cache.stop()
    assert signs_in(alice.email) == 302
    assert resilient.cache_state() == "degraded"

    shared_cache.start()
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0)
    caplog.set_level(logging.WARNING, logger="core.cache")
    assert signs_in(alice.email) == 302
    assert resilient.cache_state() == "ok"
    assert Client().get("/healthz").json()["cache"] == "ok"
    assert "answers again" in caplog.text
