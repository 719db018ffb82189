"""Sign-up and sign-in for every role (product §2), through allauth's real forms."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from accounts.models import User, phone_validator
from accounts.totp import totp_activate_with_secret, totp_code, totp_secret_of
from consumers.models import ConsumerProfile
from tests import factories as f
from tests.factories import PASSWORD

from .helpers import (
    REGULATOR_SECRET,
    element_by_id,
    elements_with_class,
    fresh_totp_code,
    other_code,
    sms_code,
    squash,
)

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def heading(response) -> str:
    element = next(
        e for e in elements_with_class(response.content, "h3") if e.attrs.get("data-testid")
    )
    return squash(element.text)


@pytest.fixture
def signup_data():
    return {
        "email": "xiaoming@example.cn",
        "password1": "Zhuce-mima-2026!",
        "password2": "Zhuce-mima-2026!",
        "name": "王小明",
        "phone": "13912345678",
    }


# --- Consumers ---------------------------------------------------------------------------------


def test_consumer_sign_up_creates_profile_with_name_and_phone_and_lands_on_my_page(
    client, db, signup_data
):
    response = client.post(SIGNUP, signup_data)

    # The phone is checked by a code sent to it before the person is signed in.
    assert response["Location"] == reverse("account_verify_phone")
    user = User.objects.get(email="xiaoming@example.cn")
    assert ConsumerProfile.objects.filter(user=user).exists()
    assert (user.name, user.phone, user.phone_verified) == ("王小明", "13912345678", False)
    assert signed_in_user_id(client) is None

    response = client.post(
        reverse("account_verify_phone"), {"code": sms_code("13912345678")}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("consumers:home")
    assert response.status_code == 200
    assert 'data-testid="home-heading"' in response.content.decode()
    assert signed_in_user_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.phone_verified


def test_sign_up_with_a_bad_phone_shows_the_error_beside_the_phone_field_and_creates_nothing(
    client, db, signup_data
):
    response = client.post(SIGNUP, {**signup_data, "phone": "12345"})

    assert response.status_code == 200
    phone_input = element_by_id(response.content, "id_phone")
    assert "is-invalid" in phone_input.classes
    assert phone_input.attrs["aria-describedby"] == "id_phone-error id_phone_helptext"
    error = element_by_id(response.content, "id_phone-error")
    assert "invalid-feedback" in error.classes
    with translation.override("zh-hans"):
        assert squash(error.text) == squash(str(phone_validator.message))
    # The other fields are not marked, and the form keeps what was typed.
    assert "is-invalid" not in element_by_id(response.content, "id_email").classes
    assert element_by_id(response.content, "id_name").attrs["value"] == "王小明"
    assert not User.objects.exists()
    assert not ConsumerProfile.objects.exists()
    assert signed_in_user_id(client) is None


def test_sign_in_page_shows_allauths_chinese_labels_with_bootstrap_fields(client, db):
    response = client.get(LOGIN)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "form-control" in element_by_id(html, "id_login").classes
    assert "form-control" in element_by_id(html, "id_password").classes
    assert elements_with_class(html, "btn-primary")


def test_consumer_signs_in_and_lands_on_my_page(client, alice):
    response = client.post(LOGIN, {"login": "alice@example.cn", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("consumers:home")
    assert signed_in_user_id(client) == str(alice.pk)


def test_sign_in_with_a_wrong_password_shows_an_error_and_does_not_sign_in(client, alice):
    response = sign_in(client, "alice@example.cn", "not-the-password")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    alerts = elements_with_class(response.content, "alert-danger")
    assert len(alerts) == 1
    expected = [squash(str(e)) for e in response.context["form"].non_field_errors()]
    assert expected
    assert squash(alerts[0].text) == " ".join(expected)
    # The error is about the pair, not about one field.
    assert "is-invalid" not in element_by_id(response.content, "id_password").classes
    assert client.get(reverse("consumers:home")).status_code == 302


# --- Merchant staff ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "agent"])
def test_merchant_staff_land_on_the_merchant_page(client, acme, role):
    f.MerchantMembershipFactory(user__email="staff@acme.cn", merchant=acme, role=role)

    response = client.post(LOGIN, {"login": "staff@acme.cn", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("merchants:home")
    assert response.status_code == 200
    assert acme.name in response.content.decode()


# --- Regulator staff ---------------------------------------------------------------------------


def test_regulator_without_totp_is_sent_to_set_it_up_and_can_then_work(client, olivia):
    assert sign_in(client, "olivia@samr.cn").status_code == 302
    assert signed_in_user_id(client) == str(olivia.pk)

    response = client.get(reverse("regulators:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")

    # allauth asks for the password again before a second factor is added (MFA's
    # REAUTHENTICATION_REQUIRED), then shows the secret to type into an authenticator app.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = element_by_id(page.content, "authenticator_secret").attrs["value"]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": other_code(fresh_totp_code(secret))})
    assert wrong.status_code == 200
    assert "is-invalid" in element_by_id(wrong.content, "id_code").classes
    assert element_by_id(wrong.content, "id_code-error") is not None
    assert not Authenticator.objects.filter(user=olivia, type=Authenticator.Type.TOTP).exists()

    client.post(reverse("mfa_activate_totp"), {"code": fresh_totp_code(secret)})

    assert totp_secret_of(olivia) == secret
    assert client.get(reverse("regulators:home")).status_code == 200


@pytest.mark.parametrize("persona", ["olivia", "sam"])
def test_regulator_with_totp_gets_in_only_with_a_correct_code(client, request, persona):
    user = request.getfixturevalue(persona)
    totp_activate_with_secret(user, REGULATOR_SECRET)

    response = sign_in(client, user.email)

    # The password alone does not sign in: allauth asks for the code.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("regulators:home")).status_code == 302

    wrong = client.post(
        reverse("mfa_authenticate"), {"code": other_code(fresh_totp_code(REGULATOR_SECRET))}
    )
    assert wrong.status_code == 200
    assert signed_in_user_id(client) is None
    assert "is-invalid" in element_by_id(wrong.content, "id_code").classes
    assert element_by_id(wrong.content, "id_code-error") is not None

    response = client.post(
        reverse("mfa_authenticate"), {"code": fresh_totp_code(REGULATOR_SECRET)}, follow=True
    )

    assert signed_in_user_id(client) == str(user.pk)
    assert response.redirect_chain[-1][0] == reverse("regulators:home")
    assert response.status_code == 200
    assert user.regulator_membership.office.name in response.content.decode()


# --- Who may open which home page --------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["consumers:home", "merchants:home", "regulators:home"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("url_name", ["merchants:home", "regulators:home"])
def test_consumer_cannot_open_staff_pages(client, alice, url_name):
    sign_in(client, alice.email)

    assert client.get(reverse(url_name)).status_code == 404


def test_merchant_cannot_open_the_regulator_page(client, mallory):
    sign_in(client, mallory.email)

    assert client.get(reverse("regulators:home")).status_code == 404


# --- Known-secret authenticators and the demo command ------------------------------------------


def test_totp_activate_with_secret_is_idempotent_and_sets_up_recovery_codes(olivia):
    first = totp_activate_with_secret(olivia, REGULATOR_SECRET)
    again = totp_activate_with_secret(olivia, "ONSWG4TFORQW4ZDPNVSXG2LUMVZHGZLD")

    assert again.pk == first.pk
    assert totp_secret_of(olivia) == REGULATOR_SECRET
    types = sorted(Authenticator.objects.filter(user=olivia).values_list("type", flat=True))
    assert types == [Authenticator.Type.RECOVERY_CODES, Authenticator.Type.TOTP]


def test_totp_code_matches_the_rfc_6238_test_vector():
    from datetime import UTC, datetime

    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s: 94287082 (8 digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp_code(secret, at=datetime.fromtimestamp(59, tz=UTC)) == "287082"


def test_demo_totp_code_prints_the_current_code_of_a_demo_user(db):
    user = f.RegulatorMembershipFactory(user__email="officer@demo.odr.cn").user
    totp_activate_with_secret(user, REGULATOR_SECRET)
    expected = fresh_totp_code(REGULATOR_SECRET)
    out = StringIO()

    call_command("demo_totp_code", "officer@demo.odr.cn", stdout=out)

    assert out.getvalue().strip() == expected == totp_code(REGULATOR_SECRET)


def test_demo_totp_code_refuses_a_real_account_unless_debug(olivia, settings):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    settings.DEBUG = False

    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_totp_code", olivia.email, stdout=StringIO())

    settings.DEBUG = True
    expected = fresh_totp_code(REGULATOR_SECRET)
    out = StringIO()
    call_command("demo_totp_code", olivia.email, stdout=out)
    assert out.getvalue().strip() == expected


def test_demo_totp_code_says_when_there_is_no_authenticator(db):
    f.UserFactory(email="nobody@demo.odr.cn")

    with pytest.raises(CommandError, match="no TOTP authenticator"):
        call_command("demo_totp_code", "nobody@demo.odr.cn", stdout=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("demo_totp_code", "ghost@demo.odr.cn", stdout=StringIO())
