"""allauth's pages and mails as the portal words them (issue 25, items 1 and 2): in whole Chinese,
in the portal's words (手机号码, 电子邮箱, 验证码), and naming the portal rather than the host it
was reached at."""

import re
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts import wording
from accounts.totp import totp_activate_with_secret
from tests.conftest import sign_in
from tests.factories import PASSWORD

from .helpers import REGULATOR_SECRET, sms_code

pytestmark = pytest.mark.django_db

SIGNUP = reverse("account_signup")
VERIFY = reverse("account_verify_phone")
PHONE = "13912345678"
NEW_PASSWORD = "Zhuce-mima-2026!"

# A Chinese character followed by English punctuation: "请…登录." or "当前手机号码:".
ENGLISH_PUNCTUATION_AFTER_CHINESE = re.compile(r"[\u4e00-\u9fff][.,:;!?]")
# allauth's words that are not the portal's: 电话 (a landline) for the mobile, "Email" for
# 电子邮箱, 代码 (program code) for 验证码, "token" for a link.
FOREIGN_WORDS = ("Email", "email", "token", "代码", "电话验证", "Change", "Hello")


def main_text(response) -> str:
    """The words of the page's <main>, as a reader sees them, one run of text a line."""
    html = response.content.decode()
    main = re.search(r"(?s)<main\b.*?</main>", html).group(0)
    main = re.sub(r"(?s)<(script|style)\b.*?</\1>", "", main)
    lines = (unescape(line).strip() for line in re.sub(r"<[^>]+>", "\n", main).splitlines())
    return "\n".join(line for line in lines if line)


def assert_reads_in_chinese(response) -> str:
    assert response.status_code == 200
    text = main_text(response)
    # Text split by a link ("请先" <a>注册</a> "。") is one sentence: join it to check it.
    joined = text.replace("\n", "")
    assert not ENGLISH_PUNCTUATION_AFTER_CHINESE.search(joined), joined
    for word in FOREIGN_WORDS:
        assert word not in text, (word, text)
    return text


def in_language(entry, language: str) -> str:
    """An entry of accounts.wording (a msgid, or a lazy string with a context or a plural) as
    ``language`` reads it."""
    with translation.override(language):
        return gettext(entry) if isinstance(entry, str) else str(entry)


def test_every_string_of_allauth_and_django_the_portal_rewords_has_its_chinese():
    for entry in wording.ALLAUTH + wording.DJANGO:
        english, chinese = in_language(entry, "en"), in_language(entry, "zh-hans")
        assert chinese != english, english
        assert not ENGLISH_PUNCTUATION_AFTER_CHINESE.search(chinese), chinese


def test_sign_up_and_its_phone_code_read_in_chinese(client):
    assert_reads_in_chinese(client.get(SIGNUP))
    data = {"name": "王小明", "phone": PHONE, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(SIGNUP, data)["Location"] == VERIFY

    page = assert_reads_in_chinese(client.get(VERIFY))
    assert "输入手机验证码" in page  # not allauth's "输入电话验证代码："
    wrong = "000000" if sms_code(PHONE) != "000000" else "111111"
    refused = client.post(VERIFY, {"code": wrong})
    assert refused.status_code == 200
    assert "验证码不正确。" in assert_reads_in_chinese(refused)  # not "错误代码。"


def test_sign_in_sign_out_and_the_password_pages_read_in_chinese(client, alice):
    assert_reads_in_chinese(client.get(reverse("account_login")))
    refused = client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"})
    assert "电子邮箱或密码不正确。" in assert_reads_in_chinese(refused)
    assert_reads_in_chinese(client.get(reverse("account_reset_password")))
    done = client.post(reverse("account_reset_password"), {"email": alice.email}, follow=True)
    assert_reads_in_chinese(done)
    bad_link = client.get("/accounts/password/reset/key/1-set-password/", follow=True)
    assert_reads_in_chinese(bad_link)
    assert_reads_in_chinese(client.get("/accounts/confirm-email/not-a-key/"))

    sign_in(client, alice)
    assert_reads_in_chinese(client.get(reverse("account_change_password")))
    assert_reads_in_chinese(client.get(reverse("account_change_phone")))
    assert_reads_in_chinese(client.get(reverse("account_logout")))


def test_the_second_factor_pages_read_in_chinese(client, olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    asked = client.post(
        reverse("account_login"), {"login": olivia.email, "password": PASSWORD}, follow=True
    )
    assert_reads_in_chinese(asked)
    refused = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "验证码不正确。" in assert_reads_in_chinese(refused)


def test_a_new_regulator_sets_up_the_authenticator_in_chinese(client, olivia):
    client.post(reverse("account_login"), {"login": olivia.email, "password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"), follow=True)
    if page.request["PATH_INFO"] != reverse("mfa_activate_totp"):  # asked for the password again
        assert_reads_in_chinese(page)
        page = client.post(page.request["PATH_INFO"], {"password": PASSWORD}, follow=True)
    assert "启用身份验证器" in assert_reads_in_chinese(page)


# --- Mails name the portal, not the host -------------------------------------------------------


def sign_up_with_email(client, email: str = "wang@example.cn") -> None:
    data = {
        "name": "王小明",
        "phone": PHONE,
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    client.post(SIGNUP, data)
    client.post(VERIFY, {"code": sms_code(PHONE)})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_confirmation_mail_names_the_portal_not_the_host(language):
    client = Client(HTTP_HOST="127.0.0.1:8000")
    client.cookies["django_language"] = language
    sign_up_with_email(client)

    [message] = mail.outbox
    with translation.override(language):
        portal = gettext("ODR 12315")
        greeting = gettext("Hello from %(site_name)s!") % {"site_name": portal}
        subject = gettext("Please Confirm Your Email Address")
    assert message.subject == f"[{portal}] {subject}"
    assert message.body.splitlines()[0] == greeting
    assert "127.0.0.1:8000 的" not in message.body and "from 127.0.0.1" not in message.body
    # The links still go to the address the person used.
    assert "http://127.0.0.1:8000/accounts/confirm-email/" in message.body
    assert EmailAddress.objects.get(email="wang@example.cn").verified is False


def test_the_chinese_confirmation_mail_greets_in_chinese(client):
    sign_up_with_email(client)
    [message] = mail.outbox
    assert message.subject == "[12315 ODR] 请确认您的电子邮箱"
    assert message.body.splitlines()[0] == "您好！这封邮件来自12315 ODR。"
    assert "testserver" not in message.subject and "Hello" not in message.body


def test_the_password_reset_mail_made_by_the_worker_names_the_portal(alice):
    client = Client(HTTP_HOST="127.0.0.1:8000")
    client.post(reverse("account_reset_password"), {"email": alice.email})

    [message] = mail.outbox
    assert message.subject == "[12315 ODR] 重置密码"
    assert message.body.splitlines()[0] == "您好！这封邮件来自12315 ODR。"
    assert "http://127.0.0.1:8000/accounts/password/reset/key/" in message.body
