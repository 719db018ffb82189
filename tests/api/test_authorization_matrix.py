"""Every endpoint of the API (read from its URL conf) × every persona × a case that is none of
theirs: "not found" (404), exactly as for a case that does not exist, except where the refusal
tells nothing (a token of the wrong kind or scope is refused 403 before anything is looked up;
the hotline endpoint refuses everything but hotline tokens); no write succeeds; and an endpoint
that this matrix does not know fails the test."""

import io

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from PIL import Image

from api import urls as api_urls
from api.models import ApiToken
from api.services import api_token_create
from cases import services
from cases.models import Case, CaseEvent
from tests import factories as f
from tests.conftest import at

PERSONAS = [
    "anonymous",
    "consumer",  # alice
    "another_consumer",  # bob
    "merchant_owner",  # mallory, of acme
    "merchant_token",  # acme's read-and-act token
    "merchant_read_token",  # acme's read-only token
    "other_merchant_staff",  # trent
    "regulator_of_the_owning_office",  # olivia, Xiaodian
    "regulator_of_another_office",  # yves, Yingze
    "supervisor",  # sam, Taiyuan (above Xiaodian and Yingze)
    "hotline_token",  # Taiyuan's 12345 token
]
SESSION = {
    "consumer": "alice",
    "another_consumer": "bob",
    "merchant_owner": "mallory",
    "other_merchant_staff": "trent",
    "regulator_of_the_owning_office": "olivia",
    "regulator_of_another_office": "yves",
    "supervisor": "sam",
}

PUBLIC = "public"  # the schema and its documentation: anyone
ME = "me"  # the caller: anyone signed in or holding a token
LIST = "list"  # a role's list: 200 for that role (without the foreign case), else 404
OBJECT = "object"  # the foreign case, read: 404
ACTION = "action"  # the foreign case, written: 404
HOTLINE = "hotline"  # hotline tokens only: 403 for everyone else
CATCH_ALL = "catch_all"  # no endpoint: 404

# Every named route of api/urls.py. A route missing here fails the test: add it with what it
# answers to each persona.
EXPECTED = {
    "schema": PUBLIC,
    "docs": PUBLIC,
    "redoc": PUBLIC,
    "me": ME,
    "consumer_cases": LIST,
    "merchant_inbox": LIST,
    "merchant_inbox_counts": LIST,
    "office_queue_intake": LIST,
    "office_queue_mediation": LIST,
    "office_referrals": LIST,
    "case": OBJECT,
    "case_thread": OBJECT,
    "case_evidence": OBJECT,
    "hotline_complaints": HOTLINE,
    "not_found": CATCH_ALL,
}
LIST_OWNERS = {
    "consumer_cases": {"consumer", "another_consumer"},
    "merchant_inbox": {"merchant_owner", "merchant_token", "merchant_read_token"}
    | {"other_merchant_staff"},
    "office_queue_intake": {
        "regulator_of_the_owning_office",
        "regulator_of_another_office",
        "supervisor",
    },
}
LIST_OWNERS["merchant_inbox_counts"] = LIST_OWNERS["merchant_inbox"]
LIST_OWNERS["office_queue_mediation"] = LIST_OWNERS["office_queue_intake"]
LIST_OWNERS["office_referrals"] = LIST_OWNERS["office_queue_intake"]

# A body that would be valid for any action, so that only the access check can refuse it.
ANY_ACTION_FIELDS = {
    "body": "你好",
    "reason": "理由",
    "remedy": "refund",
    "amount": "1.00",
    "fulfil_by": "2026-03-20",
    "text": "条款",
    "law": "《广告法》",
    "description": "说明",
    "rating": "5",
    "comment": "",
    "reason_code": "other",
    "reason_text": "说明",
    "outcome": "no_case",
    "satisfaction": "satisfied",
    "note": "",
}


def kind_of(name: str) -> str:
    if name.startswith("case_action_"):
        return ACTION
    assert name in EXPECTED, f"{name} is not in the authorization matrix: add it to EXPECTED"
    return EXPECTED[name]


def routes() -> list[tuple[str, URLPattern]]:
    return [(p.name, p) for p in api_urls.urlpatterns if isinstance(p, URLPattern)]


def methods(pattern: URLPattern) -> list[str]:
    view = getattr(pattern.callback, "cls", None)
    if view is None:
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(out, "PNG")
    return SimpleUploadedFile("x.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def foreign(offices):
    """A case against a business in Datong, owned by the Datong office: no persona's business.
    It has a message, an open offer and an evidence file."""
    datong = f.OfficeFactory(name="大同市市场监管局", region_code="140200", level=2)
    datong.parent = offices["140000"]
    datong.save()
    carol = f.ConsumerFactory(name="卡萝")
    owner = f.MerchantMembershipFactory(merchant__region_code="140213").user
    merchant = owner.merchant_membership.merchant
    case = services.case_file(
        consumer=carol,
        merchant=merchant,
        subject="问题",
        facts="经过",
        claim="诉求",
        now=at(2026, 3, 2, 10),
    )
    services.case_post_message(case=case, actor=owner, body="收到", now=at(2026, 3, 2, 11))
    evidence = services.evidence_add(case=case, actor=carol, file=png(), now=at(2026, 3, 2, 12))
    services.offer_make(
        case=case,
        actor=owner,
        remedy="refund",
        amount="1",
        fulfil_by=at(2026, 3, 20).date(),
        text="退款",
        now=at(2026, 3, 2, 13),
    )
    return {"case": Case.objects.get(pk=case.pk), "evidence": evidence, "datong": datong}


@pytest.fixture
def clients(request, as_user, bearer, acme, mallory, hotline_token, db):
    made = {"anonymous": as_user(None)}
    for persona, fixture in SESSION.items():
        made[persona] = as_user(request.getfixturevalue(fixture))
    for persona, scope in (("merchant_token", "act"), ("merchant_read_token", "read")):
        _token, text = api_token_create(merchant=acme, actor=mallory, name=persona, scope=scope)
        made[persona] = bearer(text)
    made["hotline_token"] = bearer(hotline_token[1])
    assert set(made) == set(PERSONAS)
    return made


def snapshot(case: Case) -> dict:
    """Every row count of the apps whose rows the API could write, and the case's chain tip."""
    counts = {
        model._meta.label: model.objects.count()
        for label in ("accounts", "consumers", "merchants", "regulators", "cases", "api")
        for model in apps.get_app_config(label).get_models()
    }
    case = Case.objects.get(pk=case.pk)
    return {
        **counts,
        "chain": (case.last_event_seq, case.last_event_hash, case.status),
        "events": list(CaseEvent.objects.filter(case=case).values_list("hash", flat=True)),
    }


def expected_status(kind: str, name: str, persona: str, method: str) -> int:
    if kind == PUBLIC:
        return 200
    if kind == CATCH_ALL:
        return 404
    if persona == "anonymous":
        return 401
    token_writes = method != "get" and persona == "merchant_read_token"
    if kind == HOTLINE:
        return 201 if persona == "hotline_token" else 403
    if persona == "hotline_token" and kind != ME:
        return 403  # a hotline token works on hotline intake only
    if token_writes:
        return 403  # refused before the case is looked up: says nothing about it
    if kind == ME:
        return 200
    if kind == LIST and method == "post":
        # Filing a complaint (consumers): the matrix's body is no complaint; nothing is filed.
        return 400 if persona in LIST_OWNERS[name] else 404
    if kind == LIST:
        return 200 if persona in LIST_OWNERS[name] else 404
    return 404


def test_the_matrix_knows_every_endpoint():
    for name, _pattern in routes():
        kind_of(name)


def test_every_endpoint_refuses_every_persona_a_case_that_is_not_theirs(clients, foreign):
    case, evidence = foreign["case"], foreign["evidence"]
    before = snapshot(case)
    checked = 0
    for name, pattern in routes():
        kind = kind_of(name)
        if kind == HOTLINE:
            continue  # below: it writes when it succeeds
        kwargs = {}
        if "number" in pattern.pattern.converters:
            kwargs["number"] = case.number
        if "evidence_id" in pattern.pattern.converters:
            kwargs["evidence_id"] = evidence.pk
        url = reverse(f"api:{name}", kwargs=kwargs) if kind != CATCH_ALL else "/api/v1/nothing/"
        for method in methods(pattern):
            for persona in PERSONAS:
                client = clients[persona]
                if method == "post":
                    multipart = name in ("case_action_add_evidence", "case_action_report_breach")
                    data = (
                        {**ANY_ACTION_FIELDS, "file": png(), "to_office": foreign["datong"].pk}
                        if multipart
                        else {**ANY_ACTION_FIELDS, "to_office": foreign["datong"].pk}
                    )
                    response = client.post(url, data, format="multipart" if multipart else "json")
                else:
                    response = client.get(url)
                want = expected_status(kind, name, persona, method)
                assert response.status_code == want, (name, method, persona, response.content)
                if kind in (OBJECT, ACTION) and want == 404:
                    assert response.json() == {
                        "code": "not_found",
                        "message": response.json()["message"],
                        "field": None,
                    }
                if kind == LIST and want == 200:
                    assert case.number not in response.content.decode()
                checked += 1
    assert checked > 300
    assert snapshot(case) == before


def test_the_hotline_endpoint_takes_hotline_tokens_only(clients, foreign):
    body = {
        "ticket": "T-MATRIX",
        "consumer_phone": "13812349999",
        "merchant_name": "某店",
        "merchant_region_code": "140105",
        "subject": "问题",
        "facts": "经过",
        "claim": "诉求",
    }
    before = snapshot(foreign["case"])
    for persona in PERSONAS:
        if persona == "hotline_token":
            continue
        response = clients[persona].post("/api/v1/hotline/complaints/", body, format="json")
        assert response.status_code == expected_status(HOTLINE, "", persona, "post"), persona
    assert snapshot(foreign["case"]) == before
    done = clients["hotline_token"].post("/api/v1/hotline/complaints/", body, format="json")
    assert done.status_code == 201
    assert ApiToken.objects.filter(scope="hotline").count() == 1
