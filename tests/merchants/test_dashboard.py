"""The merchant's figures (product §3), checked against cases counted by hand; aggregated by the
database in a fixed number of queries."""

from datetime import date

import pytest
from django.urls import reverse

from cases import services
from cases.sweep import sweep_deadlines
from merchants.selectors import merchant_dashboard
from regulators.stats import office_stats_refresh
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import TEST_NOW, at, sign_in

URL = reverse("merchants:dashboard")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


@pytest.fixture
def history(file_case, mallory, alice, bob, acme):
    """Three complaints in February–March 2026, one before the period, one elsewhere."""
    # A: acknowledged in time, settled in negotiation (refund 120), fulfilled, confirmed, rated 4.
    a = file_case(now=at(2026, 2, 23, 10))  # Mon
    services.case_acknowledge(case=a, actor=mallory, now=at(2026, 2, 23, 11))
    offer(a, mallory, at(2026, 2, 24, 9), amount="120.00")
    services.offer_accept(case=a, actor=alice, now=at(2026, 2, 25, 9))  # 2 working days
    services.agreement_mark_fulfilled(case=a, actor=mallory, now=at(2026, 2, 26, 9))
    services.agreement_confirm(case=a, actor=alice, now=at(2026, 2, 26, 10))
    services.case_rate(case=a, actor=alice, rating=4, comment="", now=at(2026, 2, 26, 11))
    # B: acknowledged late (due Wed 02-04, acknowledged Fri 02-06), then declined.
    b = file_case(consumer=bob, now=at(2026, 2, 2, 10))
    services.case_acknowledge(case=b, actor=mallory, now=at(2026, 2, 6, 9))
    services.case_decline(case=b, actor=mallory, reason="不同意", now=at(2026, 2, 6, 10))
    # C: never acknowledged; the settlement deadline passed and the case went to the regulator.
    file_case(now=at(2026, 2, 9, 10))
    sweep_deadlines(now=at(2026, 3, 4, 9))
    # Outside: filed before the period, and against another merchant.
    file_case(now=at(2025, 1, 6, 10))
    file_case(merchant=f.MerchantFactory(), now=at(2026, 2, 23, 10))
    office_stats_refresh(now=at(2026, 3, 4, 10))  # the rollup the dashboard adds up
    return acme


def test_the_figures_match_the_cases_counted_by_hand(history):
    figures = merchant_dashboard(history, date(2025, 3, 4), date(2026, 3, 4))
    by_status = {s: n for s, _, n in figures["by_status"] if n}
    assert figures["total"] == 3
    assert by_status == {"closed": 2, "regulator_intake": 1}  # B closed when its choice lapsed
    assert figures["acknowledged_on_time"] == pytest.approx(1 / 3)  # A; B and C were late
    assert figures["settled_on_time"] == pytest.approx(1 / 2)  # A settled; C missed
    assert figures["settlement_rate"] == pytest.approx(1 / 3)
    assert figures["working_days_to_settle"] == 2
    assert figures["rating"] == 4 and figures["rated"] == 1
    assert str(figures["paid"]) == "120.00"
    # Weeks start on Monday: 02-02 (B), 02-09 (C), 02-23 (A).
    assert figures["weekly"] == [("2026-02-02", 1), ("2026-02-09", 1), ("2026-02-23", 1)]


def test_a_period_narrows_the_figures(history):
    figures = merchant_dashboard(history, date(2026, 2, 20), date(2026, 2, 28))
    assert figures["total"] == 1 and figures["rating"] == 4


@pytest.mark.parametrize("extra", [0, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, history, mallory, file_case, extra, django_assert_num_queries
):
    for _ in range(extra):
        file_case(consumer=f.ConsumerFactory(), now=at(2026, 3, 2, 10))
    office_stats_refresh(now=at(2026, 3, 4, 10))
    sign_in(client, mallory)
    # Session, user with its role rows, the merchant, the figures from the rollup (2), the
    # navigation's unread notifications. The period holds the history whatever day it is.
    with django_assert_num_queries(6):
        response = client.get(URL, {"start": "2025-03-04", "end": "2026-03-04"})
    assert response.status_code == 200
    assert response.context["figures"]["total"] == 3 + extra
    body = response.content.decode()
    assert 'id="weekly-data"' in body and "chart.umd.min" in body


def test_a_bad_period_is_refused_and_the_default_shown_as_counted_for_wed_4_march(
    wed_4_march, client, history, mallory
):
    sign_in(client, mallory)
    response = client.get(URL, {"start": "2026-03-01", "end": "2026-02-01"})
    assert response.context["form"].errors["end"]
    assert response.context["figures"]["total"] == 3  # the twelve months to today


def test_the_page_says_the_period_chosen_the_weeks_counted_and_when_it_was_computed(
    client, history, mallory
):
    sign_in(client, mallory)
    response = client.get(URL, {"start": "2025-12-07", "end": "2026-03-04"})
    body = response.content.decode()
    assert "2025-12-07" in body and "2026-03-04" in body  # the period chosen, as chosen
    # The whole weeks that hold it, Monday 2025-12-01 to Sunday 2026-03-08.
    assert "2025-12-01" in body and "2026-03-08" in body
    assert response.context["figures"]["computed_at"] == at(2026, 3, 4, 10)
    assert "2026-03-04 10:00" in body
    assert "awaiting fulfilment are not counted" in body or "待履行的协议不计入" in body


@pytest.mark.parametrize("persona", ["alice", "olivia"])
def test_only_merchant_staff_see_figures(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404


def test_another_merchant_sees_its_own_figures_only(client, history, trent):
    sign_in(client, trent)
    assert client.get(URL).context["figures"]["total"] == 0
