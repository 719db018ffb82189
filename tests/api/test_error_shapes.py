"""Whatever fails under /api/, the answer is the API's JSON error with its stable code."""

import json

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

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


# --- The language of the message (docs/api.md, "Errors") -----------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "zh-hans"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("fr", "zh-hans"),  # a language the portal does not have: its own
    ],
)
def test_an_error_message_is_in_the_language_the_request_asks_for(accept_language, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = Client().get(URL, **headers)

    assert_json_error(response, 401, "not_authenticated")
    with translation.override(language):
        expected = gettext("Authentication credentials were not provided.")
    assert response.json()["message"] == expected
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_an_error_message_in_english_when_asked(client_of_alice):
    response = client_of_alice.get("/api/v1/cases/20260302-NOSUCHNO/", HTTP_ACCEPT_LANGUAGE="en")
    assert_json_error(response, 404, "not_found")
    assert response.json()["message"] == "Not found."


def test_pages_still_ignore_the_browsers_accept_language(offices):
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in page.content.decode()
