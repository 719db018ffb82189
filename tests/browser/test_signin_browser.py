"""Signing in through the real pages in Chromium, as each kind of person (product §2)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.totp import totp_activate_with_secret
from tests import factories as f
from tests.accounts.helpers import REGULATOR_SECRET, fresh_totp_code
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form.auth-form button[type=submit]").click()


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


# --- Language ----------------------------------------------------------------------------------


def test_landing_page_is_served_in_chinese(page):
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_sign_in_page_shows_allauths_chinese_text(page):
    page.goto("/accounts/login/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_contain_text("登录")
    expect(page.locator("form.auth-form button[type=submit]")).to_contain_text("登录")


def test_landing_page_heading_is_translated_to_chinese(page):
    # Passes once locale/zh_Hans carries the portal's own translations.
    page.goto("/")

    expect(page.locator("h1")).to_have_text("在线消费纠纷解决")


# --- Signing in as each role -------------------------------------------------------------------


@pytest.fixture
def agent(acme):
    return f.MerchantMembershipFactory(user__email="adam@acme.cn", merchant=acme, role="agent").user


@pytest.mark.parametrize(
    ("persona", "home"),
    [("alice", "/my/"), ("mallory", "/merchant/"), ("agent", "/merchant/")],
)
def test_consumer_and_merchant_staff_sign_in_and_land_on_their_home_page(
    page, request, persona, home
):
    user = request.getfixturevalue(persona)

    sign_in(page, user.email)

    page.wait_for_url(f"**{home}")
    expect(page.get_by_test_id("home-heading")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(str(user))


@pytest.mark.parametrize("persona", ["olivia", "sam"])
def test_regulator_staff_sign_in_with_password_then_totp_code(page, request, persona):
    user = request.getfixturevalue(persona)
    totp_activate_with_secret(user, REGULATOR_SECRET)

    sign_in(page, user.email)

    page.wait_for_url("**/accounts/2fa/authenticate/")
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    page.locator("#id_code").fill(fresh_totp_code(REGULATOR_SECRET))
    page.locator("form.auth-form button[type=submit]").first.click()

    page.wait_for_url("**/regulator/")
    expect(page.get_by_test_id("home-heading")).to_be_visible()
    expect(page.locator("main")).to_contain_text(user.regulator_membership.office.name)


def test_wrong_password_shows_an_error_and_stays_on_sign_in(page, alice):
    sign_in(page, alice.email, "not-the-password")

    alert = page.locator("form.auth-form .alert-danger")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    assert path_of(page) == "/accounts/login/"
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)


def test_sign_up_with_a_bad_phone_shows_the_error_under_the_phone_field(page, db):
    page.goto("/accounts/signup/")
    page.locator("#id_email").fill("xiaohong@example.cn")
    page.locator("#id_password1").fill("Zhuce-mima-2026!")
    page.locator("#id_password2").fill("Zhuce-mima-2026!")
    page.locator("#id_name").fill("李小红")
    page.locator("#id_phone").fill("12345")
    page.locator("form.auth-form button[type=submit]").click()

    expect(page.locator("#id_phone")).to_have_class(re.compile(r"\bis-invalid\b"))
    error = page.locator("#id_phone-error")
    expect(error).to_be_visible()
    # Right under the field it belongs to.
    field_box = page.locator("#id_phone").bounding_box()
    error_box = error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    expect(page.locator("#id_email")).not_to_have_class(re.compile(r"\bis-invalid\b"))
