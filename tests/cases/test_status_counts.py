"""The merchant's case counts per status (``MerchantStatusCount``) are kept by the engine with
every status change, by services and by the deadline sweep alike (product §3, the inbox)."""

from django.db.models import Count

from cases import services
from cases.models import Case, MerchantStatusCount
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
