"""`manage.py seed_demo` (DESIGN §8): idempotent demo data covering every role and status."""

from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User
from cases.ledger import ledger_verify
from cases.models import Case, CaseEvent, Referral, Status
from merchants.models import Merchant
from regulators.models import Office, RegulatorMembership


def counts():
    return (
        Office.objects.count(),
        Merchant.objects.count(),
        User.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
    )


def test_seed_demo_covers_every_role_and_status_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert "0 new" in capsys.readouterr().out

    levels = set(Office.objects.values_list("level", flat=True))
    assert levels == {0, 1, 2, 3}
    assert Office.objects.filter(level=3).count() == 2
    assert set(Merchant.objects.values_list("odr_status", flat=True)) == set(
        Merchant.OdrStatus.values
    )
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert Referral.objects.exists()
    assert Case.objects.filter(offers__isnull=False).exists()
    assert list(ledger_verify()) == []

    roles = set(RegulatorMembership.objects.values_list("role", flat=True))
    assert roles == {"officer", "supervisor"}
    for staff in RegulatorMembership.objects.select_related("user"):
        assert Authenticator.objects.filter(user=staff.user, type="totp").exists()
    for email in (
        "alice@demo.odr.cn",
        "owner@acme.demo.odr.cn",
        "agent@acme.demo.odr.cn",
        "officer.xiaodian@demo.odr.cn",
        "admin@demo.odr.cn",
    ):
        assert authenticate(email=email, password="demo-password-2026") is not None, email
