"""The office dashboard (product §2) from the weekly rollups, checked against cases counted by
hand; exports as CSV and XLSX, escaped against formula injection and audited."""

import csv
import io
from datetime import date

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook

from cases import services
from cases.sweep import sweep_deadlines
from core.dates import default_period
from core.models import AuditEntry
from regulators.models import (
    Office,
    OfficeIndustryWeekStats,
    OfficeMerchantRanking,
    OfficeSubtreeWeekStats,
    OfficeWeekStats,
)
from regulators.selectors import office_dashboard
from regulators.stats import RANKED_MERCHANTS, office_stats_refresh
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import WORKED_EXAMPLE_NOW, at, sign_in

URL = reverse("regulators:dashboard")
# The figures below are counted by hand from cases filed on given days of February and March
# 2026 (acknowledged on time or late by the statutory calendar of those weeks), so this module
# cannot follow ODR_TEST_NOW: it stands at the worked examples' instant.
NOW = WORKED_EXAMPLE_NOW


@pytest.fixture(autouse=True)
def _figures_as_counted_for_wed_4_march(wed_4_march):
    """Every test of this module is a worked example (``tests.conftest.WORKED_EXAMPLE_NOW``)."""


@pytest.fixture
def history(file_case, mallory, alice, olivia, yves, offices):
    """Four complaints in the Taiyuan subtree, filed Mon 2026-02-23."""
    filed = at(2026, 2, 23, 10)
    # A (Xiaodian): an ODR merchant settles by negotiation; refund of 120 confirmed.
    a = file_case(now=filed)
    services.case_acknowledge(case=a, actor=mallory, now=at(2026, 2, 23, 11))
    offer(a, mallory, at(2026, 2, 24, 9), amount="120.00")
    services.offer_accept(case=a, actor=alice, now=at(2026, 2, 24, 10))
    services.agreement_mark_fulfilled(case=a, actor=mallory, now=at(2026, 2, 25, 9))
    services.agreement_confirm(case=a, actor=alice, now=at(2026, 2, 25, 10))
    # B (Xiaodian): not onboarded; accepted and mediated to an agreement of 80, not confirmed.
    stall = f.MerchantFactory(name='=HYPERLINK("http://x")', odr_status="not_onboarded")
    b = file_case(merchant=stall, now=filed)
    services.case_accept(case=b, actor=olivia, now=at(2026, 2, 24, 9))
    services.mediation_conclude(
        case=b,
        actor=olivia,
        remedy="compensation",
        amount="80.00",
        fulfil_by=date(2026, 3, 20),
        text="赔偿80元",
        now=at(2026, 2, 26, 9),
    )
    # C (Xiaodian): not onboarded; not accepted.
    c = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"), now=filed)
    services.case_reject_intake(
        case=c, actor=olivia, reason_code="other", reason_text="重复投诉", now=at(2026, 2, 24, 9)
    )
    # D (Yingze): not onboarded; still awaiting acceptance.
    yingze = f.MerchantFactory(odr_status="not_onboarded", region_code="140106", industry="餐饮")
    file_case(merchant=yingze, now=filed)
    sweep_deadlines(now=NOW)  # D's acceptance decision is overdue (the sweep runs every minute)
    office_stats_refresh(now=NOW)
    return offices


def test_a_county_office_counts_its_own_cases(history, olivia):
    figures = office_dashboard(history["140105"], date(2026, 2, 23), date(2026, 3, 2), now=NOW)
    t = figures["totals"]
    assert (t["filed"], t["to_merchant"], t["settled_directly"]) == (3, 1, 1)
    assert (t["escalated"], t["accepted"], t["not_accepted"], t["mediated"]) == (2, 1, 1, 1)
    assert str(t["recovered"]) == "120.00"  # B's 80 is not confirmed yet
    assert t["acceptance_rate"] == 0.5 and t["intake_on_time_rate"] == 1.0
    assert figures["backlog"] == {"intake": 0, "overdue": 0, "mediation": 0}


def test_the_city_adds_up_its_districts(history):
    figures = office_dashboard(history["140100"], date(2026, 2, 23), date(2026, 3, 2), now=NOW)
    assert figures["totals"]["filed"] == 4 and figures["totals"]["escalated"] == 3
    by_office = {row["name"]: row["filed"] for row in figures["by_office"]}
    assert by_office == {history["140105"].name: 3, history["140106"].name: 1}
    assert figures["backlog"]["intake"] == 1
    assert [w["filed"] for w in figures["weekly"]] == [4]
    assert {row["industry"] for row in figures["by_industry"]} >= {"餐饮"}


def test_the_national_office_adds_up_every_office(history):
    national = office_dashboard(history["000000"], date(2026, 2, 23), date(2026, 3, 2), now=NOW)
    city = office_dashboard(history["140100"], date(2026, 2, 23), date(2026, 3, 2), now=NOW)
    assert national["totals"] == city["totals"]
    assert [(row["name"], row["filed"]) for row in national["by_office"]] == [
        (history["140000"].name, 4)
    ]
    assert national["backlog"] == city["backlog"] == {"intake": 1, "overdue": 1, "mediation": 0}


def test_industries_and_merchants_are_ranked_by_complaints(history, acme, file_case):
    file_case(merchant=acme, now=at(2026, 2, 24, 10))  # acme now has two, the others one
    office_stats_refresh(now=NOW)
    figures = office_dashboard(history["140100"], date(2026, 2, 23), date(2026, 3, 2), now=NOW)
    industries = [(row["industry"], row["filed"]) for row in figures["by_industry"]]
    assert industries == [("retail", 4), ("餐饮", 1)]
    merchants = [(row["merchant__name"], row["filed"]) for row in figures["by_merchant"]]
    assert merchants[0] == (acme.name, 2) and len(merchants) == 4
    assert figures["by_merchant"][0]["settled_directly"] == 1
    top = office_dashboard(history["140100"], date(2026, 2, 23), date(2026, 3, 2), now=NOW, top=1)
    assert [row["merchant__name"] for row in top["by_merchant"]] == [acme.name]
    assert top["by_industry"] == figures["by_industry"][:1]


def test_the_default_period_reads_the_ranking_the_refresh_keeps(
    history, acme, file_case, django_assert_num_queries
):
    first, last = default_period(date(2026, 3, 4))
    city, national = history["140100"], history["000000"]

    def ranking(office, top=RANKED_MERCHANTS):
        figures = office_dashboard(office, first, last, now=NOW, top=top)["by_merchant"]
        return [(row["merchant__name"], row["filed"], row["recovered"]) for row in figures]

    # More than the kept ranking holds: ranked on the rollup itself, the same figures.
    live = ranking(city, top=RANKED_MERCHANTS + 1)
    assert ranking(city) == ranking(national) == live and len(live) == 4
    assert live[0] == (acme.name, 1, live[0][2]) and str(live[0][2]) == "120.00"
    assert OfficeMerchantRanking.objects.filter(office=city).count() == 4
    assert not OfficeMerchantRanking.objects.filter(office=history["140106"]).exclude(
        merchant__region_code="140106"
    )
    file_case(merchant=acme, now=at(2026, 3, 3, 10))
    file_case(merchant=acme, now=at(2026, 3, 3, 11))
    assert ranking(city)[0][:2] == (acme.name, 1)  # until the next refresh
    office_stats_refresh(now=NOW)
    assert ranking(city)[0][:2] == (acme.name, 3)
    # A period that has no kept ranking yet (a new week before the refresh) is ranked anew.
    OfficeMerchantRanking.objects.all().delete()
    assert ranking(city)[0][:2] == (acme.name, 3)


def test_the_industry_rollup_follows_the_merchants_industry(history, acme):
    acme.industry = "数码"
    acme.save(update_fields=["industry"])
    office_stats_refresh(now=NOW)
    rows = OfficeIndustryWeekStats.objects.filter(office=history["140105"])
    assert dict(rows.values_list("industry", "filed")) == {"数码": 1, "retail": 2}


def test_the_industry_rollup_adds_up_the_merchant_rollup(history):
    def by_industry(model, industry):
        return (
            model.objects.values(industry)
            .annotate(filed=Sum("filed"), escalated=Sum("escalated"), recovered=Sum("recovered"))
            .order_by(industry)
        )

    merchant_rows = list(by_industry(OfficeWeekStats, "merchant__industry"))
    industry_rows = list(by_industry(OfficeIndustryWeekStats, "industry"))
    assert [list(r.values())[1:] for r in merchant_rows] == [
        list(r.values())[1:] for r in industry_rows
    ]


def test_each_subtree_adds_up_the_offices_below_it(history):
    def figures(model, **where):
        return model.objects.filter(**where).aggregate(
            filed=Sum("filed"), escalated=Sum("escalated"), recovered=Sum("recovered")
        )

    expected = {
        code: figures(OfficeIndustryWeekStats, office__in=Office.objects.subtree_of(office))
        for code, office in history.items()
    }
    assert expected["000000"]["filed"] == 4 and expected["140105"]["filed"] == 3
    got = {code: figures(OfficeSubtreeWeekStats, office=office) for code, office in history.items()}
    assert got == expected


@pytest.mark.parametrize("extra", [0, 20])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    client, history, sam, file_case, extra, django_assert_num_queries
):
    for _ in range(extra):
        file_case(merchant=f.MerchantFactory(), now=at(2026, 3, 2, 10))
    office_stats_refresh(now=NOW)
    sign_in(client, sam)
    # Session, user with its role rows, second factor, office; the figures (9, the merchants
    # from the kept ranking). +1: the navigation's unread notifications.
    with django_assert_num_queries(14):
        response = client.get(URL)
    assert response.context["figures"]["totals"]["filed"] == 4 + extra


def test_a_table_exports_as_xlsx_and_csv_escaped_and_audited(client, history, olivia):
    sign_in(client, olivia)
    query = "?start=2026-02-23&end=2026-03-02"
    xlsx = client.get(reverse("regulators:export", args=["merchants", "xlsx"]) + query)
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "经营者" or rows[0][0] == "Merchant"
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names  # never a formula
    assert sum(r[1] for r in rows[1:]) == 3
    response = client.get(reverse("regulators:export", args=["offices", "csv"]) + query)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:])))[1][1] == "3"
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).order_by("id")
    assert [(e.target, e.detail["format"], e.detail["rows"]) for e in entries] == [
        ("merchants", "xlsx", 3),
        ("offices", "csv", 1),
    ]
    industries = client.get(reverse("regulators:export", args=["industries", "csv"]) + query)
    lines = b"".join(industries.streaming_content).decode("utf-8")[1:].splitlines()
    assert [row[:2] for row in csv.reader(lines[1:])] == [["retail", "3"]]


def test_a_queue_exports_only_the_offices_own_cases(client, history, yves):
    sign_in(client, yves)
    response = client.get(reverse("regulators:export", args=["intake", "csv"]))
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    assert len(lines) == 2  # the header and Yingze's one case
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.detail["personal_data"] is True and entry.detail["rows"] == 1


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_other_roles_get_not_found(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 404
    assert client.get(reverse("regulators:export", args=["intake", "csv"])).status_code == 404


def test_an_unknown_export_is_not_found(client, olivia):
    sign_in(client, olivia)
    assert client.get(reverse("regulators:export", args=["cases", "csv"])).status_code == 404
    assert client.get(reverse("regulators:export", args=["offices", "pdf"])).status_code == 404


def exported(response) -> list[list[str]]:
    """The rows of a CSV export, its header first (read inside the counted block: the rows are
    read from the database as the response streams)."""
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("cases", [1, 8])
def test_a_queue_export_runs_a_fixed_number_of_queries(
    client, file_case, sam, cases, django_assert_num_queries
):
    filed = [
        file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"), now=at(2026, 3, 2, 10))
        for _ in range(cases)
    ]
    sign_in(client, sam)  # the city office: the queue of the county offices below it
    # Session, user with its role rows, second factor, office (4); the subtree, the count, the
    # audit entry (3); the rows, streamed (1).
    with django_assert_num_queries(8):
        rows = exported(client.get(reverse("regulators:export", args=["intake", "csv"])))
    assert sorted(row[0] for row in rows[1:]) == sorted(case.number for case in filed)


@pytest.mark.parametrize("merchants", [1, 8])
def test_a_table_export_runs_a_fixed_number_of_queries(
    client, file_case, sam, merchants, django_assert_num_queries
):
    made = [f.MerchantFactory() for _ in range(merchants)]
    for merchant in made:
        file_case(merchant=merchant, now=at(2026, 3, 2, 10))
    office_stats_refresh(now=NOW)
    sign_in(client, sam)  # the city office: its figures add up the county offices below it
    url = reverse("regulators:export", args=["merchants", "csv"])
    period = {"start": "2026-02-23", "end": "2026-03-02"}
    # Session, user with its role rows, second factor, office (4); the figures: the subtree, the
    # weeks, the child offices, the office's own, the industries, the merchants ranked and their
    # figures, the backlog, the open referrals (9); the audit entry (1).
    with django_assert_num_queries(14):
        rows = exported(client.get(url, period))
    assert sorted(row[0] for row in rows[1:]) == sorted(m.name for m in made)
    assert all(row[1] == "1" for row in rows[1:])
