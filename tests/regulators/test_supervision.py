"""Supervision of merchants (product §3, issue 10 item 1): the applications and merchants of the
office's regions with their figures over twelve months, and the decisions on them, from the
outside; an office never sees or acts on a sibling's merchants."""

import itertools

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.sweep import sweep_deadlines
from core.dates import twelve_months_start
from merchants import services as merchant_services
from merchants.models import Merchant, MerchantEvent
from regulators.selectors import merchant_figures
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import TEST_NOW, at, sign_in

LIST = reverse("regulators:merchants")
_codes = itertools.count(7001)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still: twelve months count back from it."""
    time_machine.move_to(TEST_NOW, tick=False)


@pytest.fixture
def pat(offices):
    """An officer of the Shanxi province office, above Taiyuan, Xiaodian and Yingze."""
    return f.RegulatorMembershipFactory(user__email="pat@samr.cn", office=offices["140000"]).user


def applied(region: str = "140105", name: str = "") -> Merchant:
    """A business of ``region`` that applied to onboard, through the onboarding service."""
    n = next(_codes)
    return merchant_services.merchant_apply(
        f.UserFactory(),
        name=name or f"申请商户{n}",
        credit_code=f.credit_code(n, region),
        region_code=region,
        legal_representative="李四",
        business_licence=f.licence_file(),
        address="太原市",
        industry="零售",
        contact_phone="0351-7654321",
        undertaking=True,
        now=at(2026, 3, 2, 9),
    )


def active(reviewer, region: str = "140105") -> Merchant:
    return merchant_services.merchant_approve(applied(region), reviewer, now=at(2026, 3, 2, 10))


def act(client, merchant, action, reason="", **extra):
    return client.post(
        reverse("regulators:merchant_act", args=[merchant.pk, action]),
        {f"{action}-reason": reason, **extra},
    )


# --- Who sees which merchants -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("olivia", {"140105"}), ("yves", {"140106"}), ("sam", {"140105", "140106"})],
)
def test_each_office_lists_the_applications_of_its_own_regions(
    client, persona, expected, request, offices
):
    mine = {"140105": applied("140105"), "140106": applied("140106")}
    applied("150102")  # Inner Mongolia: nobody's here
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(LIST)
    assert response.status_code == 200
    listed = {row["merchant"] for row in response.context["rows"]}
    assert listed == {mine[region] for region in expected}


def test_the_province_office_sees_both_counties(client, pat):
    both = {applied("140105"), applied("140106")}
    sign_in(client, pat)
    assert {row["merchant"] for row in client.get(LIST).context["rows"]} == both


def test_the_tabs_count_each_status_and_filter_the_list(client, olivia, pat):
    waiting = applied()
    approved = active(pat)
    merchant_services.merchant_suspend(active(pat), pat, "屡次超时", now=at(2026, 3, 3, 9))
    sign_in(client, olivia)
    response = client.get(LIST, {"status": "active"})
    counts = {status: n for status, _label, n in response.context["tabs"]}
    assert counts == {"applied": 1, "active": 1, "suspended": 1, "rejected": 0, "exited": 0}
    assert [row["merchant"] for row in response.context["rows"]] == [approved]
    assert [row["merchant"] for row in client.get(LIST).context["rows"]] == [waiting]


def test_applications_are_paged_oldest_first(client, olivia):
    merchants = [applied() for _ in range(27)]
    sign_in(client, olivia)
    first = client.get(LIST)
    assert [r["merchant"] for r in first.context["rows"]] == merchants[:25]
    cursor = first.context["page"].next_cursor
    second = client.get(LIST, {"status": "applied", "after": cursor})
    assert [r["merchant"] for r in second.context["rows"]] == merchants[25:]
    assert second.context["page"].next_cursor is None


# --- Decisions ------------------------------------------------------------------------------------


def test_an_officer_approves_an_application_from_the_list(client, olivia):
    merchant = applied()
    sign_in(client, olivia)
    response = act(client, merchant, "approve", next=LIST)
    assert response.status_code == 302 and response["Location"] == LIST
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.ACTIVE
    event = merchant.history.order_by("-pk").first()
    assert (event.action, event.actor) == (MerchantEvent.Action.APPROVED, olivia)


def test_a_rejection_without_a_reason_is_refused_beside_the_reason(client, olivia):
    merchant = applied()
    sign_in(client, olivia)
    response = act(client, merchant, "reject", reason="  ")
    assert response.status_code == 422
    bound = next(d["form"] for d in response.context["decisions"] if d["name"] == "reject")
    assert bound.errors["reason"]
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.APPLIED


def test_an_officer_rejects_suspends_reinstates_and_exits_with_reasons(client, olivia, pat):
    sign_in(client, olivia)
    rejected = applied()
    act(client, rejected, "reject", reason="材料不全")
    rejected.refresh_from_db()
    assert (rejected.odr_status, rejected.odr_status_reason) == ("rejected", "材料不全")

    merchant = active(pat)
    steps = [
        ("suspend", "屡次超时", "suspended"),
        ("reinstate", "", "active"),
        ("exit", "长期不处理投诉", "exited"),
    ]
    for action, reason, status in steps:
        assert act(client, merchant, action, reason=reason).status_code == 302
        merchant.refresh_from_db()
        assert merchant.odr_status == status
    actions = list(merchant.history.order_by("pk").values_list("action", "reason"))
    assert actions[-3:] == [
        ("suspended", "屡次超时"),
        ("reinstated", ""),
        ("exited", "长期不处理投诉"),
    ]


def test_the_page_offers_only_the_decisions_the_status_allows(client, olivia, pat):
    sign_in(client, olivia)
    page = client.get(reverse("regulators:merchant", args=[active(pat).pk]))
    assert [d["name"] for d in page.context["decisions"]] == ["suspend", "exit"]
    page = client.get(reverse("regulators:merchant", args=[applied().pk]))
    assert [d["name"] for d in page.context["decisions"]] == ["approve", "reject"]


def test_a_decision_the_status_does_not_allow_is_refused_and_changes_nothing(client, olivia):
    merchant = applied()
    sign_in(client, olivia)
    response = act(client, merchant, "suspend", reason="理由")
    assert response.status_code == 422
    assert response.context["refused"] is not None
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.APPLIED


def test_an_unknown_decision_is_not_found(client, olivia):
    merchant = applied()
    sign_in(client, olivia)
    assert act(client, merchant, "delete").status_code == 404


# --- Permissions ----------------------------------------------------------------------------------


def test_a_county_office_can_neither_see_nor_decide_on_its_siblings_merchant(client, yves):
    merchant = applied("140105")
    sign_in(client, yves)
    assert client.get(reverse("regulators:merchant", args=[merchant.pk])).status_code == 404
    assert act(client, merchant, "approve").status_code == 404
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.APPLIED


@pytest.mark.parametrize("persona", ["sam", "pat"])
def test_the_offices_above_see_and_decide(client, persona, request, offices):
    merchant = applied("140105")
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(reverse("regulators:merchant", args=[merchant.pk])).status_code == 200
    assert act(client, merchant, "approve").status_code == 302
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.ACTIVE


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_consumers_and_merchants_get_not_found(client, persona, request, offices):
    merchant = applied()
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 404
    assert client.get(reverse("regulators:merchant", args=[merchant.pk])).status_code == 404
    assert act(client, merchant, "approve").status_code == 404
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.APPLIED


def test_anonymous_visitors_are_sent_to_sign_in(client, offices):
    merchant = applied()
    for response in (
        client.get(LIST),
        client.get(reverse("regulators:merchant", args=[merchant.pk])),
        act(client, merchant, "approve"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Figures --------------------------------------------------------------------------------------


@pytest.fixture
def history(file_case, mallory, alice, bob, acme):
    """Acme's complaints, counted by hand (as on the merchant's own dashboard)."""
    # A: acknowledged in time, settled in negotiation, fulfilled, confirmed, rated 4.
    a = file_case(now=at(2026, 2, 23, 10))
    case_services.case_acknowledge(case=a, actor=mallory, now=at(2026, 2, 23, 11))
    offer(a, mallory, at(2026, 2, 24, 9), amount="120.00")
    case_services.offer_accept(case=a, actor=alice, now=at(2026, 2, 25, 9))
    case_services.agreement_mark_fulfilled(case=a, actor=mallory, now=at(2026, 2, 26, 9))
    case_services.agreement_confirm(case=a, actor=alice, now=at(2026, 2, 26, 10))
    case_services.case_rate(case=a, actor=alice, rating=4, comment="", now=at(2026, 2, 26, 11))
    # B: acknowledged late, then declined.
    b = file_case(consumer=bob, now=at(2026, 2, 2, 10))
    case_services.case_acknowledge(case=b, actor=mallory, now=at(2026, 2, 6, 9))
    case_services.case_decline(case=b, actor=mallory, reason="不同意", now=at(2026, 2, 6, 10))
    # C: never acknowledged; the settlement deadline passed.
    file_case(now=at(2026, 2, 9, 10))
    sweep_deadlines(now=at(2026, 3, 4, 9))
    # Outside: more than twelve months ago, and against another merchant.
    file_case(now=at(2025, 1, 6, 10))
    file_case(merchant=f.MerchantFactory(), now=at(2026, 2, 23, 10))
    return acme


def test_the_figures_match_the_cases_counted_by_hand(history):
    figures = merchant_figures([history.pk], since=twelve_months_start(at(2026, 3, 4, 10)))
    row = figures[history.pk]
    assert row["complaints"] == 3
    assert row["acknowledged_on_time_rate"] == pytest.approx(1 / 3)  # A; B and C were late
    assert row["settled_on_time_rate"] == pytest.approx(1 / 2)  # A settled; C missed
    assert row["settlement_rate"] == pytest.approx(1 / 3)
    assert (row["rating"], row["rated"]) == (4, 1)


def test_a_merchant_without_complaints_has_empty_figures(acme):
    assert merchant_figures([acme.pk], since=at(2025, 3, 4)) == {
        acme.pk: {
            "complaints": 0,
            "acknowledged_on_time_rate": None,
            "settled_on_time_rate": None,
            "settlement_rate": None,
            "rating": None,
            "rated": 0,
        }
    }


def test_the_list_shows_each_merchants_figures_beside_it(client, history, olivia):
    sign_in(client, olivia)
    response = client.get(LIST, {"status": "active"})
    row = next(r for r in response.context["rows"] if r["merchant"] == history)
    assert row["figures"]["complaints"] == 3
    body = response.content.decode()
    assert 'data-testid="settled-on-time">50%' in body
    assert 'data-testid="acknowledged-on-time">33%' in body


@pytest.mark.parametrize("merchants", [1, 12])
def test_the_list_runs_a_fixed_number_of_queries(
    client, file_case, pat, sam, merchants, django_assert_num_queries
):
    made = set()
    for i in range(merchants):
        merchant = active(pat, "140105" if i % 2 else "140106")
        file_case(consumer=f.ConsumerFactory(), merchant=merchant, now=at(2026, 3, 3, 10))
        file_case(consumer=f.ConsumerFactory(), merchant=merchant, now=at(2026, 3, 3, 11))
        made.add(merchant)
    sign_in(client, sam)
    # Session, user with its role rows, the office and the second factor (4); the page of
    # merchants, their figures in one grouped query, the counts per status (3).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(8):
        response = client.get(LIST, {"status": "active"})
    rows = [row for row in response.context["rows"] if row["merchant"] in made]
    assert len(rows) == merchants  # besides Acme, active in Xiaodian
    assert all(row["figures"]["complaints"] == 2 for row in rows)


@pytest.mark.parametrize("events", [0, 6])
def test_the_merchant_page_runs_a_fixed_number_of_queries(
    client, pat, olivia, events, django_assert_num_queries
):
    merchant = active(pat)
    for _ in range(events // 2):
        merchant_services.merchant_suspend(merchant, pat, "理由", now=at(2026, 3, 3, 9))
        merchant_services.merchant_reinstate(merchant, pat, now=at(2026, 3, 3, 10))
    sign_in(client, olivia)
    # Session, user with its role rows, the office and the second factor (4); the merchant, its
    # figures, its history, its owners and its complaints on record (5).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(10):
        response = client.get(reverse("regulators:merchant", args=[merchant.pk]))
    assert len(response.context["history"]) == 2 + events
