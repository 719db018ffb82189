"""Whatever fails under /api/, the answer is the API's JSON error with its stable code."""

import json

import pytest
from django.test import Client

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/consumer/cases/"


@pytest.fixture
def client_of_alice(alice, offices):
    client = Client(raise_request_exception=False)
    sign_in(client, alice)
    return client


def assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


def test_a_body_over_the_upload_limit_is_a_json_400(client_of_alice, settings):
    body = json.dumps({"subject": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client_of_alice.post(URL, body, content_type="application/json")
    assert_json_error(response, 400, "bad_request")


def test_too_many_form_fields_is_a_json_400(client_of_alice, settings):
    fields = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client_of_alice.post(URL, fields, content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 400, "bad_request")


@pytest.mark.parametrize("depth", [1_000, 5_000, 100_000])
def test_json_nested_deep_is_a_json_400(client_of_alice, depth):
    response = client_of_alice.post(URL, "[" * depth + "]" * depth, content_type="application/json")
    assert_json_error(response, 400, "parse_error")
