"""The portal's own error pages: 400, 403, 404, 429 and 500 in its layout and the person's
language, each with a way back (home, my cases, tracking); the 429 says how long to wait. Under
/api/ the same failures are the API's JSON errors."""

import re

import pytest
from django.test import Client

from tests.accounts.helpers import fresh_cache  # noqa: F401 (autouse: rate limits start empty)
from tests.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]

WAYS_BACK = ['href="/"', 'href="/home/"', 'href="/cases/track/"']


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def browser(language: str | None = None) -> Client:
    client = Client(raise_request_exception=False)
    if language:
        client.cookies["django_language"] = language
    return client


def assert_error_page(response, status: int, *texts: str) -> None:
    assert response.status_code == status
    html = response.content.decode()
    assert 'data-testid="error-page"' in html
    assert f'data-status="{status}"' in html
    assert 'class="navbar' in html  # the portal's layout, with its navigation
    for way in WAYS_BACK:
        assert way in html
    for text in texts:
        assert text in html, text


def test_a_missing_page_is_the_portals_own_in_chinese_first():
    response = browser().get("/no-such-page/")
    assert_error_page(response, 404, "页面不存在", 'lang="zh-hans"')


def test_a_missing_page_in_english_for_someone_who_chose_it():
    response = browser("en").get("/no-such-page/")
    assert_error_page(response, 404, "Page not found", 'lang="en"')


def test_a_signed_in_person_keeps_their_navigation_on_a_missing_page(alice):
    client = browser()
    sign_in(client, alice)
    response = client.get("/cases/20260101-NOSUCHCA/")
    assert_error_page(response, 404, 'data-testid="signed-in-as"', "我的投诉")


def test_a_refusal_is_the_portals_403():
    assert_error_page(browser("en").get("/test/deny/"), 403, "not open to your account")


def test_an_out_of_date_form_is_explained(alice):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["django_language"] = "en"
    sign_in(client, alice)
    response = client.post("/notifications/read/", {})
    assert_error_page(response, 403, "This form is out of date", "reload the page")


def test_a_server_error_is_the_portals_500_in_the_persons_language():
    assert_error_page(browser().get("/test/fail/"), 500, "无法完成")
    assert_error_page(browser("en").get("/test/fail/"), 500, "could not finish this")


def test_too_many_sign_ins_say_how_long_to_wait(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    client = browser("en")
    for _ in range(2):
        client.post("/accounts/login/", {"login": "nobody@example.cn", "password": "wrong"})
    response = client.post("/accounts/login/", {"login": "nobody@example.cn", "password": "x"})
    assert_error_page(response, 429, "Too many attempts")
    wait = int(response["Retry-After"])
    assert 55 <= wait <= 60
    assert re.search(rf"Wait {wait} seconds", response.content.decode())


def test_the_api_answers_its_json_errors_instead_of_pages(alice):
    client = browser()
    missing = client.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    failed = client.get("/api/test/fail/")
    assert failed.status_code == 500
    assert failed.json()["code"] == "server_error"
    assert client.post("/api/schema/").json()["code"] == "method_not_allowed"


def test_with_debug_on_a_failed_send_is_still_told_in_the_form(settings):
    # `make run` serves with DEBUG=1. django-htmx's debug script would replace the whole page
    # with the traceback when a send fails; the portal's own message in the form is shown instead
    # (static/js/odr.js), the traceback goes to the console.
    settings.DEBUG = True
    html = browser().get("/cases/track/").content.decode()
    assert "django_htmx/htmx-2.min.js" in html
    assert "django-htmx.js" not in html
    assert 'id="request-failure"' in html
