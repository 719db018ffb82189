"""The merchant portal in Chromium: a business applies and waits; once approved its staff work
complaints from the inbox, with a reply template; bulk acknowledgement reports the case that
could not be acknowledged; an agent cannot reach the staff page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from cases import services
from cases.models import Case, Offer, Status
from merchants import services as merchant_services
from merchants.models import Merchant
from tests import factories as f
from tests.browser.test_case_page_browser import FILED_AT, sign_in
from tests.conftest import TEST_NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = f.credit_code(931)


def test_a_business_applies_is_approved_and_settles_from_its_inbox(
    page, offices, alice, bob, olivia
):
    owner = f.ConsumerFactory(email="boss@haoyouduo.cn", name="郝老板")
    sign_in(page, owner.email)
    page.goto("/merchant/apply/")
    page.locator("#id_name").fill("小店区好又多超市")
    page.locator("#id_credit_code").fill(CODE)
    page.locator("#id_region_0").select_option("140000")
    page.locator("#id_region_1").select_option("140100")
    page.locator("#id_region_2").select_option("140105")
    page.locator("#id_legal_representative").fill("郝大有")
    licence = f.licence_upload()
    page.locator("#id_business_licence").set_input_files(
        {"name": licence.name, "mimeType": "image/png", "buffer": licence.read()}
    )
    page.locator("#id_address").fill("太原市小店区长风街 1 号")
    page.locator("#id_industry").fill("零售")
    page.locator("#id_contact_phone").fill("0351-7654321")
    page.locator("#id_undertaking").check()
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("odr-status")).to_be_visible()
    merchant = Merchant.objects.get(credit_code=CODE)
    assert merchant.odr_status == Merchant.OdrStatus.APPLIED
    assert (merchant.legal_representative, merchant.business_licence_type) == (
        "郝大有",
        "image/png",
    )

    # The district office approves; complaints now reach the business directly.
    merchant_services.merchant_approve(merchant, olivia, now=FILED_AT)
    merchant.refresh_from_db()
    merchant_services.reply_template_save(
        merchant=merchant,
        actor=owner,
        title="先行退款",
        body="{consumer_name}您好，关于投诉 {case_number}，我们同意先行退款。",
    )
    first = services.case_file(
        consumer=alice,
        merchant=merchant,
        subject="牛奶过期",
        facts="买到过期牛奶。",
        claim="退款",
        amount_claimed="36.00",
        now=FILED_AT,
    )
    page.goto("/merchant/")
    row = page.locator(f"tr[data-case='{first.number}']")
    expect(row).to_contain_text("个工作日")
    row.get_by_role("link", name=first.number).click()
    page.locator("form#acknowledge button[type=submit]").click()
    expect(page.locator("form#make_offer")).to_be_visible()
    page.wait_for_load_state()  # the page's script, which inserts templates, has run
    page.locator("#reply-make_offer").select_option(label="先行退款")
    expect(page.locator("#id_make_offer-text")).to_have_value(
        f"王**您好，关于投诉 {first.number}，我们同意先行退款。"
    )
    page.locator("#id_make_offer-amount").fill("36.00")
    fulfil_by = (TEST_NOW + timedelta(days=7)).date().isoformat()
    page.locator("#id_make_offer-fulfil_by").fill(fulfil_by)
    page.locator("form#make_offer button[type=submit]").click()
    expect(page.get_by_test_id("open-offer")).to_contain_text("36")
    offer = Offer.objects.get(case=first)
    assert offer.text.startswith("王**您好")

    # Three more complaints; one is withdrawn while the inbox is open.
    more = [
        services.case_file(
            consumer=bob,
            merchant=merchant,
            subject=f"第{i}件",
            facts="……",
            claim="退款",
            now=FILED_AT + timedelta(minutes=i),
        )
        for i in range(3)
    ]
    page.goto("/merchant/?unacknowledged=1")
    for case in more:
        page.locator(f"#ack-{case.number}").check()
    services.case_withdraw(case=more[1], actor=bob, reason="", now=TEST_NOW)
    page.get_by_test_id("acknowledge-many").click()
    expect(page.locator(".alert-danger")).to_contain_text(more[1].number)
    expect(page.locator(".alert-success")).to_contain_text(more[0].number)
    statuses = [Case.objects.get(pk=c.pk).status for c in more]
    assert statuses == [Status.NEGOTIATING, Status.CLOSED, Status.NEGOTIATING]


def test_an_agent_gets_not_found_on_the_staff_page(page, acme):
    agent = f.MerchantMembershipFactory(merchant=acme, role="agent").user
    sign_in(page, agent.email)
    response = page.goto("/merchant/staff/")
    assert response.status == 404
