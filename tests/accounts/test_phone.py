"""Sign-up and sign-in with a mobile phone (product §2), and the sign-in rate limits that stop
guessing one account without locking out everyone behind one address (product §6)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.adapter import AccountAdapter
from accounts.models import User
from consumers.models import ConsumerProfile
from core.models import AuditEntry
from tests.conftest import TEST_NOW
from tests.conftest import sign_in as signed_in
from tests.factories import PASSWORD

from .helpers import (
    element_by_id,
    elements,
    elements_with_class,
    sms_code,
    sms_sent_to,
    squash,
)

LOGIN = reverse("account_login")
SIGNUP = reverse("account_signup")
VERIFY = reverse("account_verify_phone")
PHONE = "13912345678"
NEW_PASSWORD = "Zhuce-mima-2026!"
CARRIER_NAT = "100.64.0.9"


def sign_in(client, login: str, password: str = PASSWORD, address: str = "203.0.113.7"):
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=address)


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_up(client, phone: str = PHONE, **fields):
    data = {"name": "王小明", "phone": phone, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(SIGNUP, {**data, **fields})


def verify_phone(user, phone: str) -> None:
    AccountAdapter().set_phone_verified(user, phone)


def later(minutes: int):
    """Travel ``minutes`` past the tests' instant (rate limits and codes count real time)."""
    return time_machine.travel(TEST_NOW + timedelta(minutes=minutes), tick=True)


# --- Sign-up with a phone ----------------------------------------------------------------------


def test_consumer_signs_up_with_a_phone_alone_confirms_the_code_and_lands_on_my_page(client, db):
    response = sign_up(client)

    assert response["Location"] == VERIFY
    user = User.objects.get(phone=PHONE)
    assert user.email is None
    assert not user.phone_verified
    assert signed_in_user_id(client) is None
    [message] = sms_sent_to(PHONE)
    assert sms_code(PHONE) in message

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert PHONE in page.content.decode()

    response = client.post(VERIFY, {"code": sms_code(PHONE)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("consumers:home")
    assert signed_in_user_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.phone_verified
    assert user.name == "王小明"
    assert ConsumerProfile.objects.filter(user=user).exists()
    assert AuditEntry.objects.get(action=AuditEntry.Action.SIGN_IN).target == PHONE


def test_the_phone_may_be_typed_with_spaces_or_the_country_code(client, db):
    sign_up(client, phone="+86 139-1234-5678")

    assert User.objects.get().phone == PHONE


def test_sign_up_needs_a_phone(client, db):
    response = sign_up(client, phone="", email="xiaoming@example.cn")

    assert response.status_code == 200
    assert "is-invalid" in element_by_id(response.content, "id_phone").classes
    assert not User.objects.exists()


def test_sign_up_page_asks_for_name_phone_then_the_optional_email(client, db):
    response = client.get(SIGNUP)

    inputs = [e.attrs["name"] for e in elements_with_class(response.content, "form-control")]
    assert inputs == ["name", "phone", "email", "password1", "password2"]
    assert element_by_id(response.content, "id_phone").attrs["type"] == "tel"
    assert "required" not in element_by_id(response.content, "id_email").attrs


def test_a_wrong_code_is_refused_and_three_end_the_sign_up(client, db):
    sign_up(client)
    code = sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"code": wrong})

    assert response.status_code == 200
    assert "is-invalid" in element_by_id(response.content, "id_code").classes
    client.post(VERIFY, {"code": wrong})
    response = client.post(VERIFY, {"code": wrong})

    assert response["Location"] == LOGIN
    assert client.post(VERIFY, {"code": code})["Location"] == LOGIN
    assert signed_in_user_id(client) is None
    assert not User.objects.get(phone=PHONE).phone_verified


def test_an_abandoned_sign_up_does_not_keep_the_number_from_its_owner(client, db):
    sign_up(client, name="冒名者")
    client.cookies.clear()

    with later(minutes=2):  # past the limit of one code a minute to a number
        response = sign_up(client, name="号码主人")
        assert response["Location"] == VERIFY
        client.post(VERIFY, {"code": sms_code(PHONE)})

    owner = User.objects.get(name="号码主人")
    assert owner.phone_verified
    assert signed_in_user_id(client) == str(owner.pk)
    assert not User.objects.get(name="冒名者").phone_verified


def test_a_mistyped_number_can_be_corrected_where_the_code_is_asked_for(client, db):
    sign_up(client, phone="13912345670")

    response = client.post(VERIFY, {"action": "change", "phone": PHONE})

    assert response["Location"] == VERIFY
    client.post(VERIFY, {"code": sms_code(PHONE)})
    user = User.objects.get()
    assert (user.phone, user.phone_verified) == (PHONE, True)
    assert signed_in_user_id(client) == str(user.pk)


def test_signing_up_with_a_number_another_account_verified_creates_nothing_and_says_so_by_sms(
    client, alice
):
    verify_phone(alice, alice.phone)

    response = sign_up(client, phone=alice.phone)

    # The page answers as for a new number (no way to learn which numbers have accounts); the
    # owner of the number learns from the text message.
    assert response["Location"] == VERIFY
    assert User.objects.filter(phone=alice.phone).count() == 1
    with translation.override("zh-hans"):  # in the language of the page
        expected = gettext(
            "Someone tried to sign up at ODR 12315 with this number, which already has an "
            "account: sign in instead. If it was not you, ignore this message."
        )
    assert sms_sent_to(alice.phone) == [expected]


def test_codes_to_one_number_are_limited_before_an_account_is_made(client, db):
    sign_up(client)
    client.cookies.clear()

    response = sign_up(client, email="second@example.cn")

    assert response.status_code == 200
    error = element_by_id(response.content, "id_phone-error")
    with translation.override("zh-hans"):
        expected = gettext("Too many codes have been sent recently. Try again in a few minutes.")
    assert squash(error.text) == squash(expected)
    assert User.objects.count() == 1
    assert len(sms_sent_to(PHONE)) == 1


def test_the_code_can_be_sent_again_after_a_minute(client, db):
    sign_up(client)

    with later(minutes=2):
        client.post(VERIFY, {"action": "resend"})
        assert len(sms_sent_to(PHONE)) == 2
        client.post(VERIFY, {"code": sms_code(PHONE)})

    assert signed_in_user_id(client) == str(User.objects.get(phone=PHONE).pk)


# --- Sign-in with the phone --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["13812341234", "138 1234 1234", "+86 13812341234"])
def test_consumer_signs_in_with_the_verified_phone_and_password(client, alice, typed):
    verify_phone(alice, alice.phone)

    response = sign_in(client, typed)

    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(alice.pk)
    assert sms_sent_to(alice.phone) == []  # a verified number needs no code


def test_an_unverified_phone_is_no_way_in_and_the_email_still_is(client, alice):
    response = sign_in(client, alice.phone)

    assert response.status_code == 200
    assert signed_in_user_id(client) is None

    response = sign_in(client, alice.email)

    # No code is asked for at sign-in: only a new account must confirm its number.
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(alice.pk)
    assert sms_sent_to(alice.phone) == []


def test_an_existing_account_verifies_its_number_on_the_phone_page_then_signs_in_with_it(
    client, alice
):
    sign_in(client, alice.email)

    page = client.get(reverse("account_change_phone"))
    assert page.status_code == 200
    response = client.post(reverse("account_change_phone"), {"action": "verify"})
    assert response["Location"] == VERIFY
    client.post(VERIFY, {"code": sms_code(alice.phone)})
    alice.refresh_from_db()
    assert alice.phone_verified

    client.post(reverse("account_logout"))
    assert sign_in(client, alice.phone)["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(alice.pk)


def test_a_wrong_password_by_phone_says_the_pair_is_wrong(client, alice):
    verify_phone(alice, alice.phone)

    response = sign_in(client, alice.phone, "not-the-password")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    [failed] = AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_IN_FAILED)
    assert (failed.target, failed.outcome) == (alice.phone, AuditEntry.Outcome.FAILED)


def test_a_login_that_is_neither_email_nor_mobile_is_refused_at_the_field(client, alice):
    response = sign_in(client, "alice")

    assert response.status_code == 200
    assert "is-invalid" in element_by_id(response.content, "id_login").classes
    assert not AuditEntry.objects.exists()  # no password was tried


@pytest.mark.parametrize(
    ("language", "label", "help_text"),
    [
        (
            "en",
            "Email or mobile phone",
            "Either works: the email address or the 11-digit mobile number of your account.",
        ),
        ("zh-hans", None, None),
    ],
)
def test_sign_in_page_says_that_the_email_and_the_phone_both_work(
    client, db, settings, language, label, help_text
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    html = client.get(LOGIN).content.decode()

    with translation.override(language):
        label = label or gettext("Email or mobile phone")
        help_text = help_text or gettext(
            "Either works: the email address or the 11-digit mobile number of your account."
        )
    assert f'<label class="form-label" for="id_login">{label}' in html
    assert help_text in html


# --- Rate limits -------------------------------------------------------------------------------


def test_many_wrong_passwords_for_one_account_do_not_lock_out_the_others_behind_one_address(
    client, alice, bob
):
    # A mobile carrier puts many people behind one address (carrier-grade NAT). Five wrong
    # passwords lock alice's account; the 25 tries refused after that count against nothing.
    for n in range(30):
        sign_in(client, alice.email, f"guess-{n}", address=CARRIER_NAT)

    response = sign_in(client, bob.email, address=CARRIER_NAT)

    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == str(bob.pk)


def test_the_account_being_guessed_is_locked_even_for_the_right_password(client, alice):
    for n in range(5):
        sign_in(client, alice.email, f"guess-{n}")

    response = sign_in(client, alice.email, address="198.51.100.20")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    refused = AuditEntry.objects.filter(outcome=AuditEntry.Outcome.DENIED).get()
    assert refused.detail == {"step": "rate_limit"}


def test_the_email_and_the_phone_of_one_account_share_one_allowance(client, alice, bob):
    verify_phone(alice, alice.phone)
    for n in range(3):
        sign_in(client, alice.email, f"guess-{n}")
    for n in range(2):
        sign_in(client, alice.phone, f"guess-phone-{n}")

    assert sign_in(client, alice.phone).status_code == 200
    assert signed_in_user_id(client) is None
    # Each phone number has its own allowance: guessing one does not lock out the others.
    verify_phone(bob, bob.phone)
    assert sign_in(client, bob.phone)["Location"] == reverse("home")


def network_refusal(response) -> bool:
    """Whether ``response`` is the sign-in page saying that the address, not the account, has
    had too many failed sign-ins."""
    with translation.override("zh-hans"):  # in the language of the page
        start = gettext(
            "Too many failed sign-ins have come from your network just now. Wait "
            "%(wait)s, then try again."
        ).split("%(wait)s")[0]
    return response.status_code == 200 and start in response.content.decode()


def test_a_password_sprayer_behind_one_address_slows_it_for_a_minute_and_never_locks_it(
    client, bob
):
    # Ten failures a minute from one address, whatever the accounts.
    for n in range(10):
        sign_in(client, f"user{n}@example.cn", "123456", address=CARRIER_NAT)
    refused = sign_in(client, "one-more@example.cn", "123456", address=CARRIER_NAT)

    assert network_refusal(refused)
    denied = AuditEntry.objects.get(outcome=AuditEntry.Outcome.DENIED)
    assert (denied.target, denied.detail) == ("one-more@example.cn", {"step": "rate_limit"})
    # Everybody behind the address waits, for a minute, not an hour; other addresses do not.
    assert network_refusal(sign_in(client, bob.email, address=CARRIER_NAT))
    assert sign_in(client, bob.email, address="198.51.100.20")["Location"] == reverse("home")
    client.logout()
    with later(minutes=2):
        assert sign_in(client, bob.email, address=CARRIER_NAT)["Location"] == reverse("home")
        client.logout()
        # ... and the sprayer has ten tries again, no more.
        for n in range(10):
            sign_in(client, f"later{n}@example.cn", "123456", address=CARRIER_NAT)
        assert network_refusal(sign_in(client, "again@example.cn", "123456", address=CARRIER_NAT))


def test_tries_refused_for_the_address_do_not_count_against_the_account(client, db, bob):
    for n in range(10):
        sign_in(client, f"user{n}@example.cn", "123456", address=CARRIER_NAT)
    for n in range(6):  # bob, behind the same address, is refused six times
        assert network_refusal(sign_in(client, bob.email, f"typo-{n}", address=CARRIER_NAT))

    # bob's account still has its five tries: four more typos elsewhere, then the password.
    for n in range(4):
        sign_in(client, bob.email, f"typo-{n}", address="198.51.100.20")
    assert sign_in(client, bob.email, address="198.51.100.20")["Location"] == reverse("home")


def test_a_consumer_without_an_email_files_and_the_parties_see_no_email(
    client, db, file_case, mallory
):
    sign_up(client)
    client.post(VERIFY, {"code": sms_code(PHONE)})
    consumer = User.objects.get(phone=PHONE)
    case = file_case(consumer=consumer)

    shown = {consumer: f"王小明 · {PHONE} · —", mallory: "王** · 139****5678 · —"}  # masked
    for viewer, expected in shown.items():
        client.force_login(viewer)
        page = client.get(reverse("cases:detail", args=[case.number]))
        [contact] = [
            e for e in elements(page.content) if e.attrs.get("data-testid") == "consumer-contact"
        ]
        assert squash(contact.text).startswith(expected)


# --- The admin ---------------------------------------------------------------------------------


def test_platform_admin_sees_whether_a_phone_only_account_verified_its_number(client, db):
    sign_up(client)
    client.post(VERIFY, {"code": sms_code(PHONE)})
    user = User.objects.get(phone=PHONE)
    signed_in(client, User.objects.create_superuser("root@odr.cn", "x"))

    listing = client.get(reverse("admin:accounts_user_changelist"))
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    assert listing.status_code == page.status_code == 200
    assert PHONE in listing.content.decode()
    assert 'name="phone_verified"' not in page.content.decode()  # only a code verifies
