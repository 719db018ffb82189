"""The per-case hash chain and `manage.py verify_ledger` (product §6)."""

import hashlib

import pytest
from django.core.management import call_command

from cases import services
from cases.ledger import ledger_verify
from cases.models import Agreement, Case, CaseEvent, Evidence, Message, Offer, Referral
from tests import factories as f
from tests.cases.helpers import offer
from tests.cases.test_evidence import image_bytes, upload
from tests.conftest import at


@pytest.fixture
def two_cases(file_case, mallory, alice):
    first, second = file_case(), file_case()
    services.case_acknowledge(case=first, actor=mallory, now=at(2026, 3, 3, 9))
    services.case_post_message(case=first, actor=alice, body="请尽快处理", now=at(2026, 3, 3, 10))
    return first, second


def test_each_event_links_to_the_previous_one(two_cases):
    first, _ = two_cases
    events = list(first.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    first.refresh_from_db()
    assert first.last_event_hash == events[2].hash


def test_verify_ledger_passes_on_untouched_chains(two_cases, capsys):
    call_command("verify_ledger")
    assert "OK: 2 case chain(s), 4 event(s) verified." in capsys.readouterr().out


def test_verify_ledger_reports_an_altered_event_and_exits_1(two_cases, capsys):
    first, _ = two_cases
    # Someone edits a stored event behind the application's back.
    CaseEvent.objects.filter(case=first, seq=2).update(data={"how": "forged"})
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"case {first.number}, event #2: content was altered" in err


def test_a_deleted_event_breaks_the_chain(two_cases):
    first, _ = two_cases
    CaseEvent.objects.filter(case=first, seq=2).delete()
    [broken] = list(ledger_verify())
    assert (broken.case_number, broken.seq) == (first.number, 2)
    assert "missing" in broken.problem


def test_a_dropped_last_event_is_caught_by_the_case_tip(two_cases):
    first, _ = two_cases
    CaseEvent.objects.filter(case=first, seq=3).delete()
    [broken] = list(ledger_verify())
    assert broken.case_number == first.number
    assert "tip" in broken.problem


def test_message_text_is_covered_by_its_event(two_cases):
    first, _ = two_cases
    event = first.events.get(type=CaseEvent.Type.MESSAGE_POSTED)
    assert event.data["body_sha256"] == hashlib.sha256("请尽快处理".encode()).hexdigest()


def test_rewriting_the_complaint_after_filing_is_caught(two_cases):
    first, _ = two_cases
    Case.objects.filter(pk=first.pk).update(facts="商家没有任何问题。")
    [broken] = list(ledger_verify())
    assert (broken.case_number, broken.seq) == (first.number, 1)
    assert "facts" in broken.problem


# --- What the parties said and agreed to is covered too ------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worked_case(file_case, mallory, alice, olivia, media_root):
    """A case with a message, a rejected offer, an accepted one (its agreement), evidence with a
    description; and a mediation case whose referral was decided with a note."""
    case = file_case()
    services.case_post_message(case=case, actor=alice, body="请尽快处理", now=at(2026, 3, 2, 11))
    offer(case, mallory, at(2026, 3, 2, 12), amount="50", text="退五十元")
    services.offer_reject(case=case, actor=alice, reason="太少了", now=at(2026, 3, 2, 13))
    services.evidence_add(
        case=case,
        actor=alice,
        file=upload(image_bytes(), "invoice.png"),
        description="发票照片",
        now=at(2026, 3, 2, 13, 30),
    )
    offer(case, mallory, at(2026, 3, 2, 14), amount="299", text="全额退款")
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 2, 15))
    other = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_accept(case=other, actor=olivia, now=at(2026, 3, 3, 9))
    services.referral_open(case=other, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 10))
    services.referral_decide(
        case=other, actor=olivia, outcome="no_case", note="证据不足", now=at(2026, 3, 3, 11)
    )
    return Case.objects.get(pk=case.pk), Case.objects.get(pk=other.pk)


def test_every_kind_of_content_verifies_while_untouched(worked_case):
    assert list(ledger_verify()) == []


EDITS = {
    "message text": ("message", "body", "我从没说过这句话", CaseEvent.Type.MESSAGE_POSTED),
    "offer terms": ("offer", "text", "退一元", CaseEvent.Type.OFFER_MADE),
    "offer amount": ("offer", "amount", "1.00", CaseEvent.Type.OFFER_MADE),
    "rejection reason": ("offer", "rejection_reason", "很满意", CaseEvent.Type.OFFER_REJECTED),
    "agreement amount": ("agreement", "amount", "9.00", CaseEvent.Type.OFFER_ACCEPTED),
    "agreement terms": ("agreement", "text", "不退款", CaseEvent.Type.OFFER_ACCEPTED),
    "agreement date": ("agreement", "fulfil_by", "2027-01-01", CaseEvent.Type.OFFER_ACCEPTED),
    "evidence description": ("evidence", "description", "无关", CaseEvent.Type.EVIDENCE_ADDED),
    "decision note": ("referral", "decision_note", "已立案", CaseEvent.Type.REFERRAL_DECIDED),
}


@pytest.mark.parametrize("what", list(EDITS))
def test_editing_what_a_party_said_or_agreed_to_in_sql_is_reported(worked_case, what, capsys):
    model_name, field, value, event_type = EDITS[what]
    model = {
        "message": Message,
        "offer": Offer,
        "agreement": Agreement,
        "evidence": Evidence,
        "referral": Referral,
    }[model_name]
    case = worked_case[1] if model_name == "referral" else worked_case[0]
    event = case.events.filter(type=event_type).order_by("seq").first()
    row_id = event.data[model_name]
    model.objects.filter(pk=row_id).update(**{field: value})

    [broken] = list(ledger_verify())
    assert (broken.case_number, broken.seq) == (case.number, event.seq)
    assert f"{model_name} #{row_id}" in broken.problem and field in broken.problem
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger")
    assert exit_.value.code == 1
    assert f"case {case.number}, event #{event.seq}" in capsys.readouterr().err


def test_a_deleted_message_is_reported(worked_case):
    case, _ = worked_case
    Message.objects.filter(case=case).delete()
    [broken] = list(ledger_verify())
    assert "message" in broken.problem and "missing" in broken.problem
