"""The OpenAPI schema: valid, documented with its errors, served with its documentation without any
CDN, and true: Schemathesis calls every operation as each role, with seeded data, and checks
that nothing answers 500 and every answer matches the schema."""

import io
import json
import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases import services
from tests.conftest import at, sign_in

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ["consumer", "merchant_token", "regulator", "supervisor", "hotline_token"]


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    target = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )
    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.")
    for path, operations in schema["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, (path, method)
            assert any(code.startswith("2") for code in codes), (path, method)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


def test_the_documentation_is_served_from_our_own_static_files(client):
    page = client.get(reverse("api:docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    assets = re.findall(r'"/static/([^"]+)"', html)
    assert any(a.startswith("drf_spectacular_sidecar/swagger-ui-dist/") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
    assert client.get(reverse("api:redoc")).status_code == 200


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(out, "PNG")
    return SimpleUploadedFile("x.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def seeded(file_case, alice, mallory, olivia):
    """A case in negotiation with a message, a file and an open offer, and one at the regulator."""
    case = file_case()
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
    services.case_post_message(case=case, actor=alice, body="你好", now=at(2026, 3, 3, 10))
    evidence = services.evidence_add(case=case, actor=alice, file=png(), now=at(2026, 3, 3, 11))
    services.offer_make(
        case=case,
        actor=mallory,
        remedy="refund",
        amount="10",
        fulfil_by=at(2026, 3, 20).date(),
        text="退款",
        now=at(2026, 3, 3, 12),
    )
    escalated = file_case()
    services.case_acknowledge(case=escalated, actor=mallory, now=at(2026, 3, 3, 9))
    services.case_decline(case=escalated, actor=mallory, reason="不同意", now=at(2026, 3, 3, 9))
    services.case_escalate(case=escalated, actor=alice, now=at(2026, 3, 3, 10))
    return {"number": case.number, "evidence_id": evidence.pk}


@pytest.fixture
def api_schema(seeded):
    """The schema as served, run against the application in-process (WSGI). As Django's test
    client does, the database connection is kept open between requests (it holds the test's
    transaction)."""
    raw = Client().get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = schemathesis.openapi.from_dict(json.loads(raw.content))
    schema.app = get_wsgi_application()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(role, acme_token, hotline_token, alice, olivia, sam) -> dict:
    """The headers that authenticate ``role``: a token, or a session cookie with its CSRF."""
    tokens = {"merchant_token": acme_token[1], "hotline_token": hotline_token[1]}
    if role in tokens:
        return {"Authorization": f"Bearer {tokens[role]}"}
    client = Client()
    sign_in(client, {"consumer": alice, "regulator": olivia, "supervisor": sam}[role])
    csrf = "S" * 32
    return {
        "Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_the_schema_says(role, api_schema, seeded, credentials):
    """Every operation, with data that fits the schema and data that does not, on the seeded
    case (its number and file in the path) as ``role``."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        path = {k: v for k, v in seeded.items() if "{" + k + "}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=path or None)

            @given(case=strategy)
            @hypothesis_settings(
                max_examples=6,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case):
                response = case.call(headers=credentials)
                case.validate_response(response, checks=CHECKS)

            call()
