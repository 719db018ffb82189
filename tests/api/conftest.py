"""Fixtures of the API tests: clients signed in as each persona, and tokens."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, hotline_token_create
from tests.conftest import TEST_NOW, at, sign_in


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW); the clock keeps ticking for the live server."""
    time_machine.move_to(TEST_NOW, tick=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttles count in the cache: every test starts with none of its requests counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_user(db):
    """A client signed in (by session) as ``user``; regulator staff with their second factor."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            sign_in(client, user)
        return client

    return make


@pytest.fixture
def bearer():
    """A client that sends ``text`` as its bearer token."""

    def make(text: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
        return client

    return make


@pytest.fixture
def acme_token(acme, mallory):
    """A read-and-act token of acme, made by its owner mallory: (token, text)."""
    return api_token_create(
        merchant=acme, actor=mallory, name="ERP", scope=ApiToken.Scope.ACT, now=at(2026, 3, 1, 9)
    )


@pytest.fixture
def acme_read_token(acme, mallory):
    return api_token_create(
        merchant=acme,
        actor=mallory,
        name="Reports",
        scope=ApiToken.Scope.READ,
        now=at(2026, 3, 1, 9),
    )


@pytest.fixture
def hotline_token(offices, sam):
    """The Taiyuan office's 12345 hotline token, made by its supervisor sam: (token, text)."""
    return hotline_token_create(
        office=offices["140100"], actor=sam, name="12345", now=at(2026, 3, 1, 9)
    )
