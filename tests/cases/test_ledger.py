"""The per-case hash chain and `manage.py verify_ledger` (product §6)."""

import pytest
from django.core.management import call_command

from cases import services
from cases.ledger import ledger_verify
from cases.models import CaseEvent
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
    import hashlib

    assert event.data["body_sha256"] == hashlib.sha256("请尽快处理".encode()).hexdigest()


def test_rewriting_the_complaint_after_filing_is_caught(two_cases):
    from cases.models import Case

    first, _ = two_cases
    Case.objects.filter(pk=first.pk).update(facts="商家没有任何问题。")
    [broken] = list(ledger_verify())
    assert (broken.case_number, broken.seq) == (first.number, 1)
    assert "facts" in broken.problem
