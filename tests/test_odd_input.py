"""Odd but ordinary input never answers a server error.

NUL characters, lone surrogates, 10,000-character values and JSON nested thousands of levels
deep are sent to every page, form and endpoint of the URL conf (read from it, so a new page is
covered without touching this test), as an anonymous visitor and as each role: in the address,
in every query parameter the code reads, in every field of every form the portal shows, and in
every API body. Each answer is below 500, and under /api/ every error is the API's JSON with its
stable ``code``. The Django admin is left out: its pages are Django's own.
"""

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from cases import services
from tests.conftest import at, sign_in

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
LONG = "长" * 10_000
# A lone surrogate as a client sends it in a form or an address: its UTF-8-like bytes, which are
# not valid UTF-8. In JSON it is the escape "\ud800".
SURROGATE_BYTES = "%ED%A0%80"

# Path parameters by name: values that reach a real object where one exists.
PLAIN_VALUES = {
    "pk": "1",
    "evidence_id": "1",
    "delivery_id": "1",
    "token": "abc",
    "name": "intake",
    "table": "cases",
    "fmt": "csv",
    "key": "abc",
    "uidb36": "1",
}
NAME_IN_SOURCE = re.compile(r"""(?:GET|query_params)(?:\.get\(|\[)["']([\w-]+)["']""")
FIELD_NAME = re.compile(r"""<(?:input|textarea|select)\b[^>]*\bname="([^"]+)\"""")


def routes() -> list[tuple[str, str]]:
    """Every route of the URL conf but the admin's: (pattern text, name)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not text.startswith("admin/"):
                    yield from walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                yield text, pattern.name or ""

    return list(walk(get_resolver().url_patterns))


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def concrete(route: str, number: str, odd: str | None = None) -> str:
    """A path for ``route``: its parameters filled with real values, or each text parameter with
    ``odd`` (already quoted for an address)."""
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    if route.startswith("api/.*"):
        return "/api/no-such-endpoint/"

    def fill(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2) or match.group(3)
        if odd is not None and converter != "int":
            return odd
        if name == "number":
            return number
        if name == "action":
            return "post_message" if route.startswith("cases/") else "approve"
        return PLAIN_VALUES.get(name, "1")

    return "/" + PARAMETER.sub(fill, route)


def query_names() -> set[str]:
    """Every query parameter the portal's own code reads."""
    names = set()
    for app in ("accounts", "api", "cases", "consumers", "core", "merchants", "regulators"):
        for source in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            names |= set(NAME_IN_SOURCE.findall(source.read_text()))
    return names


def api_field_names() -> set[str]:
    """Every property of every request body in the API's schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    names = set()
    for component in schema["components"]["schemas"].values():
        names |= set(component.get("properties", {}))
    return names


def nested(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "array" else ('{"a":' * depth + "1" + "}" * depth)


def form_body(names: set[str], value: str) -> str:
    """An urlencoded body setting every field of ``names`` to ``value`` (raw bytes allowed)."""
    encoded = value if value == SURROGATE_BYTES else quote(value)
    return "&".join(f"{quote(name)}={encoded}" for name in sorted(names))


@pytest.fixture
def world(file_case, mallory, olivia, alice, bob, acme, offices):
    case = file_case()
    services.offer_make(
        case=case,
        actor=mallory,
        remedy="refund",
        amount="10.00",
        fulfil_by=at(2026, 3, 20).date(),
        text="退款",
        now=at(2026, 3, 3, 9),
    )
    return {"case": case, "personas": {"anonymous": None, "consumer": alice}, "olivia": olivia}


PERSONAS = ["anonymous", "consumer", "merchant", "regulator"]


def client_for(persona: str, alice, mallory, olivia) -> Client:
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    user = {"consumer": alice, "merchant": mallory, "regulator": olivia}.get(persona)
    if user is not None:
        sign_in(client, user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_odd_input_to_every_page_and_endpoint_answers_below_500(
    persona, world, alice, mallory, olivia
):
    client = client_for(persona, alice, mallory, olivia)
    number = world["case"].number
    paths = sorted({concrete(route, number) for route, _ in routes()})
    failures: list[str] = []

    def check(method: str, path: str, response, what: str) -> None:
        if response.status_code >= 500:
            failures.append(f"{method} {path[:80]} ({what}): {response.status_code}")
        elif path.startswith("/api/") and response.status_code >= 400:
            body = response.content
            try:
                code = json.loads(body).get("code")
            except ValueError:
                code = None
            if not code:
                failures.append(f"{method} {path[:80]} ({what}): not the API's JSON error")

    # Every field of every form this persona is shown, and every query parameter read anywhere.
    fields: set[str] = set()
    for path in paths:
        response = client.get(path)
        check("GET", path, response, "plain")
        if response.get("Content-Type", "").startswith("text/html"):
            fields |= set(FIELD_NAME.findall(response.content.decode("utf-8", "replace")))
    fields.discard("csrfmiddlewaretoken")
    parameters = query_names() | fields
    json_names = api_field_names() | fields

    for path in paths:
        for value in (NUL, LONG, SURROGATE_BYTES):
            what = {NUL: "NUL", LONG: "10,000 characters", SURROGATE_BYTES: "lone surrogate"}[value]
            query = form_body(parameters, value if value != LONG else "长" * 2_000)
            check("GET", path, client.get(f"{path}?{query}"), f"query, {what}")
            response = client.generic(
                "POST", path, form_body(fields, value), "application/x-www-form-urlencoded"
            )
            check("POST", path, response, f"form, {what}")
        if path.startswith("/api/"):
            for body in (
                json.dumps(dict.fromkeys(json_names, "a\x00b")),
                json.dumps(dict.fromkeys(json_names, LONG)),
                "{" + ",".join(f'"{n}": "\\ud800"' for n in sorted(json_names)) + "}",
                nested(5_000, "array"),
                nested(5_000, "object"),
                nested(1_000, "array"),
            ):
                response = client.generic("POST", path, body, "application/json")
                check("POST", path, response, f"JSON {body[:12]}")

    # The address itself: each text parameter replaced.
    for route, _name in routes():
        if "<" not in route and "(?P" not in route:
            continue
        for odd in ("a%00b", quote(LONG), SURROGATE_BYTES):
            path = concrete(route, number, odd)
            check("GET", path, client.get(path), "address")

    assert not failures, "\n".join(failures)


def test_the_four_reported_inputs_answer_4xx_with_a_message(world, alice, mallory, olivia):
    consumer = client_for("consumer", alice, mallory, olivia)
    case = world["case"]  # the merchant's offer moved it on to negotiation

    # "Complaint filed" of a case that has moved on: the case page instead.
    response = consumer.get(f"/my/complaints/{case.number}/filed/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/"

    # A NUL character in a case number, a search box and a query parameter: the portal's page.
    for path in ("/cases/A%00B/", "/my/?search=%00", f"/cases/{case.number}/thread/?since=%00"):
        response = consumer.get(path)
        assert response.status_code == 400, path
        assert b'data-testid="error-page"' in response.content

    # OPTIONS on a list of the API.
    response = consumer.options("/api/v1/consumer/cases/")
    assert response.status_code == 200
    assert response.json()["name"]

    # JSON nested 5,000 deep.
    response = consumer.generic(
        "POST", "/api/v1/consumer/cases/", nested(5_000, "array"), "application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
