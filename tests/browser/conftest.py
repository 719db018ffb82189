"""Chromium through Playwright against pytest-django's live server.

On a failing test the page is saved as a screenshot in $ODR_TEST_ARTIFACTS (default
<repo>/test-artifacts) and the path is printed.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.accounts.helpers import fresh_cache  # noqa: F401 (autouse fixtures)
from tests.conftest import service_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so that fixtures can tell whether it failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def chromium():
    """Launch Chromium once per module."""
    if not CHROMIUM.exists():
        service_missing(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses database access
    # from a thread with a running loop unless told it is safe (it is: the loop only drives
    # the browser).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


def _artifacts_dir() -> Path:
    path = Path(os.environ.get("ODR_TEST_ARTIFACTS", str(settings.BASE_DIR / "test-artifacts")))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(request, chromium, live_server):
    """A fresh browser page for a Chinese-speaking visitor; screenshot it when the test fails."""
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None
        and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    if failed:
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
        path = _artifacts_dir() / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"\nscreenshot of the failing page: {path}")
        except Exception as error:  # the page may be gone; the test's own error matters more
            print(f"\ncould not save a screenshot to {path}: {error}")
    context.close()
