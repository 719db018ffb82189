"""Copying what is shown once, in Chromium: the new API token goes to the clipboard with one
click, by the portal's own script (static/js/odr.js) and nothing fetched from elsewhere."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_case_page_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_owner_copies_the_new_token_with_one_click(page, live_server, acme, mallory):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
        ),
    )
    sign_in(page, mallory.email)
    page.goto("/merchant/tokens/")
    page.locator("#id_name").fill("ERP")
    page.locator("main form button[type=submit]").click()
    token = page.locator("#new-token-text").input_value()
    assert token.startswith("odr_")

    button = page.locator('button[data-copy="new-token-text"]')
    expect(button).to_have_text("复制")
    button.click()
    expect(button).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == token
    assert elsewhere == []
