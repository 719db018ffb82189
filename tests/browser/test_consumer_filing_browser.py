"""The consumer portal in Chromium on a phone-sized screen: a newcomer signs up with a mobile
number, files a complaint with a photo and follows it; a complaint about a business that is not
onboarded goes to the regulator office of its region; a refused file keeps everything typed."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from cases.models import Case, Status
from tests import factories as f
from tests.accounts.helpers import sms_code
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"


def jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buffer, "JPEG")
    return {"name": "receipt.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def sign_up_with_phone(page) -> None:
    page.goto("/accounts/signup/")
    page.locator("#id_name").fill("王小明")
    page.locator("#id_phone").fill(PHONE)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.locator("#id_code").fill(sms_code(PHONE))
    page.locator("form.auth-form button[type=submit]").first.click()
    expect(page.get_by_test_id("home-heading")).to_be_visible()


def complaint_details(page) -> None:
    page.locator("#id_complaint-subject").fill("耳机无法开机")
    page.locator("#id_complaint-facts").fill("收到的耳机无法开机，联系客服三天没有回复。")
    page.locator("#id_complaint-claim_remedy").select_option("refund")
    page.locator("#id_complaint-claim").fill("退货退款")
    page.locator("#id_complaint-amount_claimed").fill("299")
    page.locator("#id_complaint-purchase_date").fill("2026-01-05")
    page.get_by_test_id("next").click()


def test_a_newcomer_files_against_an_active_merchant_with_a_photo_on_a_phone(phone_page, offices):
    page = phone_page
    merchant = f.MerchantFactory(name="太原爱克美数码有限公司", pledges=["offline_7_day_return"])
    sign_up_with_phone(page)
    page.locator("main").get_by_role("link", name="我要投诉").click()
    expect(page.get_by_test_id("step-progress")).to_contain_text("1")
    page.wait_for_load_state()  # htmx listens once the page has loaded

    # The business is found as the name is typed, with its status and pledges.
    page.locator("#id_business-search").fill("爱克美")
    option = page.locator(f"#merchant-{merchant.pk}")
    expect(option).to_be_visible()
    expect(page.locator("#merchant-results")).to_contain_text("线下七日无理由退货")
    option.check()
    page.get_by_test_id("next").click()

    # The phone given at sign-up is offered for the complaint.
    expect(page.locator("#id_complaint-contact_phone")).to_have_value(PHONE)
    complaint_details(page)

    page.locator("#id_confirm-files").set_input_files(jpeg())
    page.get_by_test_id("submit").click()

    case = Case.objects.get()
    expect(page.get_by_test_id("case-number")).to_have_text(case.number)
    expect(page.get_by_test_id("who-has-it")).to_contain_text(merchant.name)
    assert case.status == Status.SUBMITTED and case.evidence.count() == 1
    # Nothing on the page is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.locator("main").get_by_role("link", name="我的投诉").click()
    row = page.get_by_test_id("my-cases")
    expect(row).to_contain_text(case.number)
    expect(page.get_by_test_id("next-deadline").first).to_contain_text("个工作日")


def test_a_business_that_is_not_onboarded_goes_to_the_office_of_its_region(
    phone_page, offices, alice
):
    page = phone_page
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(alice.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.goto("/my/complaints/new/")
    page.locator("#id_business-name").fill("迎泽区无名小吃店")
    # Each choice brings the next level's choices.
    page.locator("#id_business-region_0").select_option("140000")
    page.locator("#id_business-region_1").select_option("140100")
    page.locator("#id_business-region_2").select_option("140106")
    page.get_by_test_id("next").click()
    complaint_details(page)
    page.get_by_test_id("submit").click()

    expect(page.get_by_test_id("who-has-it")).to_contain_text(offices["140106"].name)
    case = Case.objects.get()
    assert (case.status, case.office) == (Status.REGULATOR_INTAKE, offices["140106"])


def test_a_refused_upload_keeps_every_typed_field(phone_page, offices, alice, acme):
    page = phone_page
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(alice.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.goto("/my/complaints/new/")
    page.locator("#id_business-search").fill(acme.name[:4])
    page.locator(f"#merchant-{acme.pk}").check()
    page.get_by_test_id("next").click()
    complaint_details(page)
    page.locator("#id_confirm-consent_contact").check()
    fake = {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"\x7fELF" + b"\0" * 64}
    page.locator("#id_confirm-files").set_input_files(fake)
    page.get_by_test_id("submit").click()

    expect(page.get_by_test_id("error-summary")).to_contain_text("photo.jpg")
    expect(page.locator("#id_confirm-consent_contact")).to_be_checked()
    assert not Case.objects.exists()
    # Back to the details: everything typed is still there.
    page.get_by_role("button", name="上一步").click()
    expect(page.locator("#id_complaint-facts")).to_have_value(
        "收到的耳机无法开机，联系客服三天没有回复。"
    )
    expect(page.locator("#id_complaint-amount_claimed")).to_have_value("299")
