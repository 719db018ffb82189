"""Every action of the engine through the API, with the errors it answers: each step of a case's
life taken by the party the engine allows, through the same forms and services as the pages."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.forms import ACTION_FORMS
from cases.models import Agreement, CallbackVisit, Case, Evidence, Referral, Resolution, Status
from cases.rules import Action
from tests.conftest import TODAY, at, days_from_today


def act(client, case, action: str, data=None, *, expect=200, **kwargs):
    """Take ``action`` on ``case`` through the API; check the status; return the JSON body."""
    response = client.post(
        f"/api/v1/cases/{case.number}/actions/{action}/",
        data or {},
        format=kwargs.pop("format", "json"),
        **kwargs,
    )
    assert response.status_code == expect, response.content
    return response.json()


def png(name="photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def offer(**kw) -> dict:
    promise = {"remedy": "refund", "amount": "199.50", "fulfil_by": days_from_today(16)}
    return promise | {"text": "退款"} | kw


@pytest.fixture
def parties(as_user, bearer, alice, olivia, acme_token):
    return {
        "consumer": as_user(alice),
        "merchant": bearer(acme_token[1]),
        "office": as_user(olivia),
    }


@pytest.fixture
def case(file_case):
    return file_case()


def status_of(case) -> tuple[str, str]:
    case = Case.objects.get(pk=case.pk)
    return case.status, case.resolution


def test_negotiation_to_a_rated_settlement(parties, case, acme_token):
    consumer, merchant = parties["consumer"], parties["merchant"]
    body = act(merchant, case, "acknowledge")
    assert body["case"]["status"] == Status.NEGOTIATING and body["created"] is None
    assert "acknowledge" not in body["case"]["available_actions"]
    act(merchant, case, "acknowledge", expect=409)

    body = act(merchant, case, "post_message", {"body": "请提供照片"})
    assert body["created"]["type"] == "message"
    body = act(
        consumer, case, "add_evidence", {"file": png(), "description": "照片"}, format="multipart"
    )
    evidence = Evidence.objects.get(pk=body["created"]["id"])
    download = merchant.get(f"/api/v1/cases/{case.number}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content)[:4] == b"\x89PNG"

    body = act(merchant, case, "make_offer", offer())
    assert body["created"]["type"] == "offer"
    act(merchant, case, "make_offer", offer(), expect=409)  # one open offer at a time
    act(consumer, case, "reject_offer", {"reason": "太少"})
    act(merchant, case, "make_offer", offer(amount="299.00"))
    detail = consumer.get(f"/api/v1/cases/{case.number}/").json()
    assert detail["open_offer"]["amount"] == "299.00"
    assert detail["open_offer"]["waiting_for"] == ["consumer"]
    body = act(consumer, case, "accept_offer")
    assert body["case"]["status"] == Status.SETTLED

    act(merchant, case, "mark_fulfilled", {"note": "已退款"})
    body = act(consumer, case, "confirm_fulfilment")
    assert (body["case"]["status"], body["case"]["resolution"]) == ("closed", "settled")
    body = act(consumer, case, "rate", {"rating": 5, "comment": "满意"})
    assert Case.objects.get(pk=case.pk).rating == 5
    act(consumer, case, "rate", {"rating": 4}, expect=409)


def test_a_declined_case_escalated_mediated_referred_and_called_back(parties, case):
    consumer, merchant, office = parties["consumer"], parties["merchant"], parties["office"]
    act(merchant, case, "acknowledge")
    act(merchant, case, "decline", {"reason": "不同意"})
    assert status_of(case) == (Status.NOT_SETTLED, "")
    act(consumer, case, "escalate")
    act(office, case, "accept")
    act(office, case, "post_note", {"body": "内部备注"})
    act(office, case, "open_referral", {"law": "《广告法》第二十八条"})
    act(office, case, "extend_referral", {"reason": "需要调查"})
    act(office, case, "extend_referral", {"reason": "再次"}, expect=409)
    act(office, case, "decide_referral", {"outcome": "no_case"})
    assert Referral.objects.get().status == Referral.Status.NO_CASE
    act(office, case, "make_offer", offer(text="调解方案"))
    act(consumer, case, "accept_offer")
    body = act(merchant, case, "accept_offer")
    assert body["case"]["status"] == Status.SETTLED
    assert Agreement.objects.get().kind == Agreement.Kind.MEDIATED
    act(merchant, case, "mark_fulfilled")
    act(
        consumer,
        case,
        "report_breach",
        {"description": "未退款", "file": png("receipt.png")},
        format="multipart",
    )
    assert status_of(case) == (Status.CLOSED, Resolution.MEDIATION_FAILED)
    act(office, case, "record_callback", {"satisfaction": "satisfied", "outcome_real": True})
    assert CallbackVisit.objects.get().satisfaction == "satisfied"


def test_the_regulators_other_decisions(parties, file_case, offices, alice, bob):
    consumer, merchant, office = parties["consumer"], parties["merchant"], parties["office"]
    transferred, refused, concluded, terminated = (file_case() for _ in range(4))
    for case in (transferred, refused, concluded, terminated):
        act(merchant, case, "acknowledge")
        act(merchant, case, "decline", {"reason": "不同意"})
        act(consumer, case, "escalate")
    body = act(
        office, transferred, "transfer", {"to_office": offices["140106"].pk, "reason": "辖区"}
    )
    assert body["case"]["office"]["id"] == offices["140106"].pk
    assert body["case"]["available_actions"] == []  # no longer olivia's case
    act(office, refused, "reject_intake", {"reason_code": "too_old"})
    assert status_of(refused) == (Status.CLOSED, Resolution.NOT_ACCEPTED)
    act(office, concluded, "accept")
    act(
        office,
        concluded,
        "conclude_mediation",
        {"remedy": "repair", "amount": "0", "fulfil_by": days_from_today(27), "text": "维修"},
    )
    assert status_of(concluded) == (Status.SETTLED, "")
    act(office, terminated, "accept")
    act(office, terminated, "terminate_mediation", {"reason_code": "party_absent"})
    assert status_of(terminated) == (Status.CLOSED, Resolution.MEDIATION_FAILED)


def test_the_consumer_closes_or_withdraws(parties, file_case):
    consumer, merchant = parties["consumer"], parties["merchant"]
    closed, withdrawn = file_case(), file_case()
    act(merchant, closed, "acknowledge")
    act(merchant, closed, "decline", {"reason": "不同意"})
    act(consumer, closed, "close")
    assert status_of(closed) == (Status.CLOSED, Resolution.NOT_SETTLED)
    act(consumer, withdrawn, "withdraw", {"reason": "已自行解决"})
    assert status_of(withdrawn) == (Status.CLOSED, Resolution.WITHDRAWN)


def test_every_action_of_the_engine_is_taken_through_the_api_above():
    """The scenarios of this module take every action successfully at least once."""
    source = Path(__file__).read_text()
    taken = set(re.findall(r'act\(\s*\w+,\s*\w+,\s*"(\w+)"(?![^\n]*expect=)', source))
    assert set(ACTION_FORMS) == set(Action)
    assert {a.value for a in Action} <= taken


@pytest.mark.parametrize(
    ("who", "action", "data", "status", "code", "field"),
    [
        ("merchant", "post_message", {"body": ""}, 400, "required", "body"),
        ("merchant", "post_message", {"body": ["a", "b"]}, 400, "invalid", "body"),
        (
            "merchant",
            "make_offer",
            offer(fulfil_by=days_from_today(-3)),
            400,
            "invalid",
            "fulfil_by",
        ),
        ("merchant", "make_offer", offer(remedy="cash"), 400, "invalid_choice", "remedy"),
        ("merchant", "make_offer", offer(amount="1.234"), 400, "max_decimal_places", "amount"),
        ("merchant", "make_offer", offer(text="x" * 5001), 400, "max_length", "text"),
        ("consumer", "acknowledge", {}, 409, "action_not_available", None),
        ("consumer", "accept_offer", {}, 409, "action_not_available", None),
        ("office", "accept", {}, 409, "action_not_available", None),
        ("consumer", "add_evidence", {"file": "x"}, 415, "unsupported_media_type", None),
    ],
)
def test_refusals_come_with_a_code_and_the_field(
    parties, case, who, action, data, status, code, field
):
    body = act(parties[who], case, action, data, expect=status)
    assert (body["code"], body["field"]) == (code, field)
    assert body["message"]


def test_a_file_that_is_not_evidence_is_refused_beside_the_file(parties, case):
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image", content_type="image/png")
    body = act(
        parties["consumer"], case, "add_evidence", {"file": fake}, format="multipart", expect=400
    )
    assert body["field"] == "file"
    assert not Evidence.objects.exists()


def test_other_office_reasons_need_words(parties, case):
    consumer, merchant, office = parties["consumer"], parties["merchant"], parties["office"]
    act(merchant, case, "acknowledge")
    act(merchant, case, "decline", {"reason": "不同意"})
    act(consumer, case, "escalate")
    body = act(office, case, "reject_intake", {"reason_code": "other"}, expect=400)
    assert (body["code"], body["field"]) == ("required", "reason_text")


def test_an_action_after_the_deadline_meets_the_state_the_deadline_made(
    parties, case, time_machine
):
    time_machine.move_to(at(2026, 3, 17, 9), tick=False)  # the settlement deadline passed
    body = act(parties["merchant"], case, "make_offer", offer(fulfil_by="2026-03-30"), expect=409)
    assert body["code"] == "action_not_available"
    assert status_of(case) == (Status.REGULATOR_INTAKE, "")


def test_the_fulfil_by_date_is_read_as_a_date(parties, case):
    act(parties["merchant"], case, "make_offer", offer(fulfil_by=days_from_today(16)))
    assert Case.objects.get(pk=case.pk).offers.get().fulfil_by == TODAY + timedelta(days=16)
