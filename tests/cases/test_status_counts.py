"""The merchant's case counts per status (``MerchantStatusCount``) and the offices' backlog
(``OfficeBacklogCount``) are kept by the engine with every change, by services and by the deadline
sweep alike (product §3, the inbox; §4, the regulator's workbench)."""

from collections import Counter

from django.db.models import Count

from cases import services
from cases.models import Case, MerchantStatusCount, OfficeBacklogCount
from cases.sweep import sweep_deadlines
from tests import factories as f
from tests.conftest import at


def counted() -> dict:
    return {
        (r.merchant_id, r.status): r.count for r in MerchantStatusCount.objects.all() if r.count
    }


def actual() -> dict:
    rows = Case.objects.order_by().values("merchant_id", "status").annotate(n=Count("pk"))
    return {(r["merchant_id"], r["status"]): r["n"] for r in rows}


def test_the_counts_follow_every_status_change(file_case, alice, mallory, olivia):
    other = f.MerchantFactory(odr_status="not_onboarded")
    cases = [file_case(now=at(2026, 2, 2, 10)) for _ in range(4)]
    file_case(merchant=other, now=at(2026, 3, 2, 10))
    assert counted() == actual()
    services.case_acknowledge(case=cases[0], actor=mallory, now=at(2026, 2, 2, 11))
    services.case_decline(case=cases[0], actor=mallory, reason="不同意", now=at(2026, 2, 2, 12))
    services.case_escalate(case=cases[0], actor=alice, now=at(2026, 2, 2, 13))
    services.case_withdraw(case=cases[1], actor=alice, reason="", now=at(2026, 2, 3, 9))
    assert counted() == actual()
    # The sweep: the settlement deadline of the two left untouched passes; they go to the
    # regulator in one batch.
    sweep_deadlines(now=at(2026, 3, 4, 9))
    assert counted() == actual()
    assert counted()[(cases[2].merchant_id, "regulator_intake")] == 3
    assert backlog_counted() == backlog_actual()
    assert sum(n for (_office, kind), n in backlog_counted().items() if kind == "intake") == 4


def backlog_counted() -> dict:
    return {(r.office_id, r.kind): r.count for r in OfficeBacklogCount.objects.all() if r.count}


def backlog_actual() -> dict:
    found: Counter = Counter()
    for case in Case.objects.all():
        for kind in OfficeBacklogCount.kinds_of(case):
            found[(case.office_id, kind)] += 1
    return dict(found)


def test_the_office_backlog_follows_filing_acceptance_transfer_and_the_sweep(
    file_case, offices, olivia, yves
):
    xiaodian, yingze = offices["140105"], offices["140106"]
    stall = f.MerchantFactory(odr_status="not_onboarded")  # in Xiaodian, like acme
    filed = at(2026, 3, 2, 10)
    cases = [file_case(merchant=stall, now=filed) for _ in range(4)]
    assert backlog_counted() == backlog_actual() == {(xiaodian.pk, "intake"): 4}

    services.case_accept(case=cases[0], actor=olivia, now=at(2026, 3, 3, 9))
    services.case_reject_intake(
        case=cases[1], actor=olivia, reason_code="other", reason_text="重复投诉", now=filed
    )
    services.case_transfer(
        case=cases[2], actor=olivia, to_office=yingze, reason="属地管辖", now=at(2026, 3, 3, 9)
    )
    assert backlog_counted() == backlog_actual()
    assert backlog_counted() == {
        (xiaodian.pk, "intake"): 1,
        (xiaodian.pk, "mediation"): 1,
        (yingze.pk, "intake"): 1,
    }

    # The acceptance deadline of the one left in Xiaodian passes: the sweep counts it overdue.
    sweep_deadlines(now=at(2026, 3, 13, 9))
    assert backlog_counted() == backlog_actual()
    assert backlog_counted()[(xiaodian.pk, "intake_overdue")] == 1

    services.case_accept(case=cases[3], actor=olivia, now=at(2026, 3, 13, 10))
    assert backlog_counted() == backlog_actual()
    assert (xiaodian.pk, "intake_overdue") not in backlog_counted()
    assert backlog_counted()[(xiaodian.pk, "mediation")] == 2
