"""`manage.py seed_demo` (docs/product.md §8): idempotent demo data covering every role and status,
with the fixed case numbers and phones the README lists for public tracking."""

import re
from pathlib import Path

from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User
from cases.ledger import ledger_verify
from cases.models import Case, CaseEvent, Referral, Status
from cases.selectors import case_get_for_tracking
from merchants.models import Merchant
from regulators.models import Office, RegulatorMembership

README = Path(__file__).resolve().parents[2] / "README.md"

# What the README's demo case table promises: number -> (order reference, status (with the
# resolution of a closed case), consumer, consumer's phone).
DOCUMENTED = {
    "20260302-DEMCASEA": ("DEMO-01", "submitted", "alice@demo.odr.cn", "13812341234"),
    "20260302-DEMCASEB": ("DEMO-02", "negotiating", "alice@demo.odr.cn", "13812341234"),
    "20260302-DEMCASEC": ("DEMO-03", "not_settled", "bob@demo.odr.cn", "13900001111"),
    "20260302-DEMCASED": ("DEMO-04", "settled", "bob@demo.odr.cn", "13900001111"),
    "20260302-DEMCASEE": ("DEMO-05", "regulator_intake", "carol@demo.odr.cn", "13700002222"),
    "20260302-DEMCASEF": ("DEMO-06", "mediation", "alice@demo.odr.cn", "13812341234"),
    "20260302-DEMCASEG": ("DEMO-07", "closed/settled", "carol@demo.odr.cn", "13700002222"),
    "20260302-DEMCASEH": ("DEMO-08", "closed/withdrawn", "bob@demo.odr.cn", "13900001111"),
    "20260302-DEMCASEJ": ("DEMO-09", "closed/not_accepted", "carol@demo.odr.cn", "13700002222"),
    "20260302-DEMCASEK": ("DEMO-10", "regulator_intake", "alice@demo.odr.cn", "13812341234"),
    "20260302-DEMCASEL": ("DEMO-11", "regulator_intake", "bob@demo.odr.cn", "13900001111"),
}


def readme_demo_cases() -> dict[str, tuple[str, ...]]:
    """The rows of the README's demo case table: the backquoted cells of each row."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = re.findall(r"`([^`]*)`", line)
        if line.startswith("|") and cells and re.fullmatch(r"\d{8}-[0-9A-Z]{8}", cells[0]):
            rows[cells[0]] = tuple(cells[1:5])
    return rows


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


def test_demo_cases_have_the_documented_numbers_statuses_and_phones(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out

    found = {
        case.number: (
            case.order_reference,
            f"{case.status}/{case.resolution}" if case.resolution else case.status,
            case.consumer.email,
            case.consumer.phone,
        )
        for case in Case.objects.select_related("consumer")
    }
    assert found == DOCUMENTED
    assert readme_demo_cases() == DOCUMENTED
    for number, (_, _, _, phone) in DOCUMENTED.items():
        assert re.search(rf"^  {number}  .*  {phone}$", out, re.MULTILINE), number


def test_a_demo_case_can_be_tracked_with_the_documented_number_and_phone(db):
    call_command("seed_demo")

    case = case_get_for_tracking("20260302-DEMCASEA", "13812341234")
    assert case is not None
    assert (case.number, case.order_reference) == ("20260302-DEMCASEA", "DEMO-01")
    # The number alone is not enough: another demo consumer's phone finds nothing.
    assert case_get_for_tracking("20260302-DEMCASEA", "13900001111") is None
