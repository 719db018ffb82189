"""The case page in Chromium: parties negotiate and a regulator mediates on the page alone.

Each party has a browser context of their own; the consumer's page picks up the merchant's offer
through the htmx thread poller (every 5 s) without a reload.
"""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from accounts.totp import totp_activate_with_secret
from cases import services
from cases.deadlines import SHANGHAI
from cases.models import Case, Resolution, Status
from tests import factories as f
from tests.accounts.helpers import REGULATOR_SECRET, fresh_totp_code
from tests.conftest import TEST_NOW
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Filed two days before the frozen clock's instant and acknowledged an hour later, so that the
# services' instants stay consistent with the clock the live server sees (ODR_TEST_NOW included).
FILED_AT = TEST_NOW - timedelta(days=2)
ACKNOWLEDGED_AT = FILED_AT + timedelta(hours=1)
FULFIL_BY = (TEST_NOW.astimezone(SHANGHAI).date() + timedelta(days=16)).isoformat()

# The poller runs every 5 s; allow a few rounds for the offer to arrive.
POLL_TIMEOUT_MS = 15_000


def sign_in(page, email: str, password: str = PASSWORD, totp_secret: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form.auth-form button[type=submit]").click()
    if totp_secret:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.locator("#id_code").fill(fresh_totp_code(totp_secret))
        page.locator("form.auth-form button[type=submit]").first.click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()


def submit(page, action: str) -> None:
    """Submit the action's form and wait for the redirect back to the case page."""
    form = page.locator(f"form#{action}")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("refused")).to_have_count(0)
    expect(page.locator(".is-invalid")).to_have_count(0)


@pytest.fixture
def second_page(chromium, live_server):
    """Another person's browser: a context of its own, so that it has its own session."""
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_parties_negotiate_to_a_settlement_on_the_case_page(
    page, second_page, file_case, alice, mallory
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    case_url = f"/cases/{case.number}/"
    merchant, consumer = page, second_page

    # The consumer is already looking at the case before any offer exists.
    sign_in(consumer, alice.email)
    consumer.goto(case_url)
    expect(consumer.get_by_test_id("case-number")).to_have_text(case.number)
    expect(consumer.get_by_test_id("open-offer")).to_have_count(0)
    expect(consumer.locator("form#accept_offer")).to_have_count(0)
    consumer.evaluate("window.__marker = 1")

    # The merchant makes an offer.
    sign_in(merchant, mallory.email)
    merchant.goto(case_url)
    merchant.locator("#id_make_offer-remedy").select_option("refund")
    merchant.locator("#id_make_offer-amount").fill("199.00")
    merchant.locator("#id_make_offer-fulfil_by").fill(FULFIL_BY)
    merchant.locator("#id_make_offer-text").fill("全额退款199元，七日内到账。")
    submit(merchant, "make_offer")
    expect(merchant.get_by_test_id("open-offer")).to_be_visible()

    # The offer reaches the consumer's open page through the poller, without a reload.
    expect(consumer.get_by_test_id("open-offer")).to_be_visible(timeout=POLL_TIMEOUT_MS)
    expect(consumer.locator("form#accept_offer")).to_be_visible(timeout=POLL_TIMEOUT_MS)
    expect(consumer.get_by_test_id("open-offer")).to_contain_text("199")
    assert consumer.evaluate("window.__marker") == 1, "the consumer's page was reloaded"

    submit(consumer, "accept_offer")
    expect(consumer.get_by_test_id("agreement")).to_be_visible()

    # The merchant fulfils the agreement.
    merchant.goto(case_url)
    merchant.locator("#id_mark_fulfilled-note").fill("已退款199元。")
    submit(merchant, "mark_fulfilled")

    # The consumer confirms and rates.
    consumer.goto(case_url)
    submit(consumer, "confirm_fulfilment")
    consumer.locator("input[name='rate-rating'][value='4']").check()
    consumer.locator("#id_rate-comment").fill("处理及时，满意。")
    submit(consumer, "rate")

    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.CLOSED
    assert case.resolution == Resolution.SETTLED
    assert case.rating == 4
    assert case.rating_comment == "处理及时，满意。"
    rating = consumer.get_by_test_id("rating")
    expect(rating).to_contain_text("4")
    expect(rating).to_contain_text("处理及时，满意。")
    expect(consumer.locator("form#rate")).to_have_count(0)


def test_regulator_accepts_an_escalated_case_and_records_the_mediated_agreement(
    page, file_case, olivia
):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"), now=FILED_AT)
    assert case.status == Status.REGULATOR_INTAKE
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    case_url = f"/cases/{case.number}/"

    sign_in(page, olivia.email, totp_secret=REGULATOR_SECRET)
    page.goto(case_url)
    submit(page, "accept")
    assert Case.objects.get(pk=case.pk).status == Status.MEDIATION

    page.locator("#id_conclude_mediation-remedy").select_option("compensation")
    page.locator("#id_conclude_mediation-amount").fill("150.00")
    page.locator("#id_conclude_mediation-fulfil_by").fill(FULFIL_BY)
    page.locator("#id_conclude_mediation-text").fill("商家赔偿150元，双方签字确认。")
    submit(page, "conclude_mediation")

    case = Case.objects.get(pk=case.pk)
    assert case.status == Status.SETTLED
    expect(page.get_by_test_id("case-status")).to_have_text(case.get_status_display())
    agreement = page.get_by_test_id("agreement")
    expect(agreement).to_be_visible()
    expect(agreement).to_contain_text("商家赔偿150元")
    expect(page.locator("form#conclude_mediation")).to_have_count(0)


def test_a_merchant_acknowledges_with_the_keyboard_alone_and_always_sees_the_focus(
    page, file_case, mallory
):
    case = file_case(now=FILED_AT)
    sign_in(page, mallory.email)
    page.goto(f"/cases/{case.number}/")
    button = page.locator("form#acknowledge button[type=submit]")
    for _ in range(30):  # Tab through the page until the button has the focus
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the acknowledge button cannot be reached with Tab")
    # Every element Tab reaches shows a focus ring at once, without waiting for a transition.
    assert button.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    assert button.evaluate("b => parseFloat(getComputedStyle(b).outlineWidth)") >= 2
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Case.objects.get(pk=case.pk).status == Status.NEGOTIATING
