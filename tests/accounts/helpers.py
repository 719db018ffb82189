"""Helpers shared by the sign-in tests (client and browser).

The autouse fixture takes effect where a conftest imports it.
"""

import re
import time
from html.parser import HTMLParser

import pytest
from allauth.mfa import app_settings as mfa_settings
from django.core.cache import cache

from accounts.adapter import SENT_SMS
from accounts.totp import totp_code

# A fixed base32 secret for regulator personas: tests compute the codes the authenticator app
# would show.
REGULATOR_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Empty the cache around a test.

    allauth keeps used TOTP codes and sign-in rate limits in the cache; user ids repeat between
    tests on SQLite, so a code used in one test would be refused in the next.
    """
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_sms_outbox():
    """Empty the list of text messages sent (``accounts.adapter.SENT_SMS``) around a test."""
    SENT_SMS.clear()
    yield
    SENT_SMS.clear()


def sms_sent_to(phone: str) -> list[str]:
    """Return the text messages sent to ``phone``, oldest first."""
    return [sms["message"] for sms in SENT_SMS if sms["phone"] == phone]


def sms_code(phone: str) -> str:
    """Return the verification code in the latest text message sent to ``phone``."""
    messages = sms_sent_to(phone)
    assert messages, f"no text message was sent to {phone}"
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", messages[-1]).group()


def fresh_totp_code(secret: str, min_seconds_left: float = 5.0) -> str:
    """Return the current code, first waiting for the next period if this one is about to end.

    allauth accepts only the current period's code (MFA_TOTP_TOLERANCE is 0), so a code taken
    in the last moment of a period could expire before the form is submitted.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - (time.time() % period)
    if left < min_seconds_left:
        time.sleep(left + 0.05)
    return totp_code(secret)


def other_code(code: str) -> str:
    """Return a well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _Collector(HTMLParser):
    _VOID = {"input", "br", "img", "meta", "link", "hr", "area", "base", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[_Element] = []
        self._open: list[_Element] = []

    def handle_starttag(self, tag, attrs):
        element = _Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self._VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data


def elements(html: bytes | str) -> list[_Element]:
    """Parse ``html`` and return every element, each with its attributes and inner text."""
    parser = _Collector()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    parser.close()
    return parser.elements


def element_by_id(html: bytes | str, element_id: str) -> _Element | None:
    return next((e for e in elements(html) if e.attrs.get("id") == element_id), None)


def elements_with_class(html: bytes | str, css_class: str) -> list[_Element]:
    return [e for e in elements(html) if css_class in e.classes]


def squash(text: str) -> str:
    """Collapse runs of whitespace, as a browser displays text."""
    return " ".join(text.split())
