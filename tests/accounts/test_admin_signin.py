"""Platform admins (product §2, §6): they sign in through the portal's sign-in with its limits and a
TOTP second factor; the Django admin's own sign-in form is not served; a signed-in person who is
not platform staff finds no admin page; what an admin reads of a case is audited."""

import pytest
from django.urls import reverse

from accounts.totp import totp_activate_with_secret
from core.models import AuditEntry
from tests import factories as f
from tests.conftest import sign_in as signed_in
from tests.factories import PASSWORD

from .helpers import REGULATOR_SECRET, fresh_cache, fresh_totp_code  # noqa: F401

LOGIN = reverse("account_login")
ADMIN = reverse("admin:index")


@pytest.fixture
def root(db):
    return f.UserFactory(email="root@odr.cn", is_staff=True, is_superuser=True)


def session_user(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_the_admins_own_sign_in_form_is_not_served(client, root):
    page = client.get(reverse("admin:login"), {"next": "/admin/cases/case/"})
    assert page.status_code == 302
    assert page["Location"] == f"{LOGIN}?next=/admin/cases/case/"

    # Posting the admin's form with the right password signs nobody in.
    response = client.post(
        reverse("admin:login"), {"username": root.email, "password": PASSWORD, "next": ADMIN}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert session_user(client) is None

    # An admin page sends an anonymous visitor to the portal's sign-in (through admin:login).
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0] == f"{LOGIN}?next={ADMIN}"


def test_an_admin_sets_up_a_second_factor_before_any_admin_page(client, root):
    client.post(LOGIN, {"login": root.email, "password": PASSWORD})
    assert session_user(client) == str(root.pk)
    for url in (ADMIN, reverse("admin:cases_case_changelist"), reverse("home")):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("mfa_activate_totp"))


def test_with_a_second_factor_the_password_alone_does_not_open_the_admin(client, root):
    totp_activate_with_secret(root, REGULATOR_SECRET)

    response = client.post(LOGIN, {"login": root.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert session_user(client) is None
    assert client.get(ADMIN)["Location"].startswith(reverse("admin:login"))

    response = client.post(
        reverse("mfa_authenticate"), {"code": fresh_totp_code(REGULATOR_SECRET)}, follow=True
    )
    assert session_user(client) == str(root.pk)
    assert response.redirect_chain[-1][0] == ADMIN
    assert response.status_code == 200


def test_guessing_an_admins_password_is_stopped_by_the_sign_in_limit(client, root):
    for _ in range(30):
        client.post(LOGIN, {"login": root.email, "password": "wrong-password"})

    response = client.post(LOGIN, {"login": root.email, "password": PASSWORD})

    assert session_user(client) is None
    assert response.status_code in (200, 429)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SIGN_IN_FAILED, detail__step="rate_limit"
    ).exists()


@pytest.mark.parametrize("persona", ["alice", "mallory", "olivia"])
def test_a_signed_in_person_who_is_not_platform_staff_finds_no_admin_page(client, request, persona):
    person = request.getfixturevalue(persona)
    signed_in(client, person)

    for url in (ADMIN, reverse("admin:login"), reverse("admin:cases_case_changelist")):
        refusals = AuditEntry.objects.filter(action=AuditEntry.Action.NOT_FOUND, target=url)
        assert client.get(url).status_code == 404
        [entry] = refusals
        assert (entry.actor, entry.target_type) == (person, "admin_page")


def test_an_admins_view_of_a_case_is_audited(client, root, file_case):
    case = file_case()
    signed_in(client, root)

    listing = client.get(reverse("admin:cases_case_changelist"))
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))

    assert listing.status_code == page.status_code == 200
    [entry] = AuditEntry.objects.filter(target_type="case_admin")
    assert (entry.actor, entry.action, entry.target) == (
        root,
        AuditEntry.Action.CONTACT_UNMASKED,
        case.number,
    )
