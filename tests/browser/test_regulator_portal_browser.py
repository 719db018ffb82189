"""The regulator portal in Chromium: an officer signs in with the second factor, accepts an
escalated case from the intake queue, proposes an agreement in the mediation room that the
consumer and the merchant each accept in their own browser, and downloads the dashboard as XLSX;
another office's officer refuses an intake with a reason code."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.totp import totp_activate_with_secret
from cases import services
from cases.models import Agreement, Case, Resolution, Status
from regulators.stats import office_stats_refresh
from tests import factories as f
from tests.accounts.helpers import REGULATOR_SECRET
from tests.browser.test_case_page_browser import FILED_AT, FULFIL_BY, sign_in, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def context_page(chromium, live_server):
    contexts = []

    def make():
        context = chromium.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_an_officer_accepts_mediates_to_an_agreement_and_exports_the_dashboard(
    page, context_page, file_case, alice, mallory, olivia
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=FILED_AT + timedelta(hours=1))
    services.case_decline(
        case=case, actor=mallory, reason="不同意", now=FILED_AT + timedelta(hours=2)
    )
    services.case_escalate(case=case, actor=alice, now=FILED_AT + timedelta(hours=3))
    totp_activate_with_secret(olivia, REGULATOR_SECRET)

    sign_in(page, olivia.email, totp_secret=REGULATOR_SECRET)
    page.goto("/regulator/queue/intake/")
    page.locator(f"tr[data-case='{case.number}']").get_by_role("link", name=case.number).click()
    submit(page, "accept")
    page.locator("#id_make_offer-remedy").select_option("refund")
    page.locator("#id_make_offer-amount").fill("150.00")
    page.locator("#id_make_offer-fulfil_by").fill(FULFIL_BY)
    page.locator("#id_make_offer-text").fill("经调解，商家退款150元。")
    submit(page, "make_offer")
    expect(page.get_by_test_id("open-offer")).to_contain_text("150")

    for person in (alice, mallory):
        party = context_page()
        sign_in(party, person.email)
        party.goto(f"/cases/{case.number}/")
        submit(party, "accept_offer")
    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.SETTLED
    assert case.current_agreement().kind == Agreement.Kind.MEDIATED

    office_stats_refresh()
    page.goto("/regulator/dashboard/")
    expect(page.get_by_test_id("filed")).to_have_text("1")
    with page.expect_download() as download:
        page.get_by_test_id("export-offices-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.values)
    assert rows[1][0] == olivia.regulator_membership.office.name and rows[1][1] == 1


def test_another_officer_refuses_an_intake_with_a_reason_code(page, file_case, yves):
    stall = f.MerchantFactory(odr_status="not_onboarded", region_code="140106")
    case = file_case(merchant=stall, now=FILED_AT)
    totp_activate_with_secret(yves, REGULATOR_SECRET)
    sign_in(page, yves.email, totp_secret=REGULATOR_SECRET)
    page.goto(f"/cases/{case.number}/")
    page.locator("#id_reject_intake-reason_code").select_option("too_old")
    submit(page, "reject_intake")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.NOT_ACCEPTED)
