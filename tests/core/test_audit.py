"""The audit log (product §6): sign-ins recorded from allauth's signals, one writer that never
refuses what a visitor typed, append-only rows, read-only in the admin."""

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.totp import totp_activate_with_secret
from core.audit import DETAIL_MAX_CHARS, audit_record
from core.models import AuditEntry, AuditEntryIsAppendOnly
from tests import factories as f
from tests.accounts.helpers import (  # noqa: F401 (fresh_cache is an autouse fixture)
    REGULATOR_SECRET,
    fresh_cache,
    fresh_totp_code,
    other_code,
)
from tests.conftest import at
from tests.conftest import sign_in as signed_in
from tests.factories import PASSWORD

Action = AuditEntry.Action
Outcome = AuditEntry.Outcome

ADDRESS = "203.0.113.7"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=ADDRESS,
        HTTP_USER_AGENT=BROWSER,
    )


def entries(action: str | None = None) -> list[AuditEntry]:
    rows = AuditEntry.objects.order_by("id")
    return list(rows.filter(action=action) if action else rows)


# --- Sign-ins through the real sign-in page ----------------------------------------------------


def test_signing_in_records_sign_in_with_the_user_address_and_browser(client, alice):
    response = sign_in(client, "alice@example.cn")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    [entry] = entries()
    assert entry.action == Action.SIGN_IN
    assert entry.outcome == Outcome.SUCCESS
    assert entry.actor == alice
    assert entry.actor_label == "alice@example.cn"
    assert (entry.target_type, entry.target) == ("account", "alice@example.cn")
    assert entry.ip_address == ADDRESS
    assert entry.user_agent == BROWSER


@pytest.mark.parametrize("email", ["alice@example.cn", "nobody-here@example.cn"])
def test_failed_sign_in_records_the_email_tried_and_no_user(client, alice, email):
    response = sign_in(client, email, "not-the-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    [entry] = entries()
    assert entry.action == Action.SIGN_IN_FAILED
    assert entry.outcome == Outcome.FAILED
    assert entry.actor is None
    assert entry.actor_label == email
    assert entry.target == email
    assert entry.ip_address == ADDRESS
    assert entry.detail == {"step": "password"}
    # Django masks the password before the signal; nothing of it reaches the log.
    assert "not-the-password" not in str(entry.detail) + entry.actor_label + entry.target


def test_each_failed_attempt_is_a_row_of_its_own(client, alice):
    sign_in(client, "alice@example.cn", "guess-1")
    sign_in(client, "alice@example.cn", "guess-2")
    sign_in(client, "alice@example.cn")

    assert [e.action for e in entries()] == [
        Action.SIGN_IN_FAILED,
        Action.SIGN_IN_FAILED,
        Action.SIGN_IN,
    ]


def test_an_attempt_refused_by_the_rate_limit_is_recorded_as_denied(client, alice):
    for n in range(5):  # the per-account limit: 5 failures in 5 minutes
        sign_in(client, "alice@example.cn", f"guess-{n}")
    response = sign_in(client, "alice@example.cn")  # right password, but too many tries

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    *failures, refused = entries()
    assert [e.outcome for e in failures] == [Outcome.FAILED] * 5
    assert refused.action == Action.SIGN_IN_FAILED
    assert refused.outcome == Outcome.DENIED
    assert refused.actor is None
    assert refused.target == "alice@example.cn"
    assert refused.ip_address == ADDRESS
    assert refused.detail == {"step": "rate_limit"}


def test_regulator_sign_in_is_recorded_only_after_the_second_factor(client, olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)

    assert sign_in(client, olivia.email)["Location"] == reverse("mfa_authenticate")
    # The password alone signs nobody in, so nothing says so.
    assert entries() == []

    client.post(
        reverse("mfa_authenticate"),
        {"code": other_code(fresh_totp_code(REGULATOR_SECRET))},
        REMOTE_ADDR=ADDRESS,
    )
    [failed] = entries()
    assert failed.action == Action.SIGN_IN_FAILED
    assert failed.actor is None
    assert failed.actor_label == failed.target == "olivia@samr.cn"
    assert failed.detail == {"step": "totp"}
    assert failed.ip_address == ADDRESS

    client.post(
        reverse("mfa_authenticate"),
        {"code": fresh_totp_code(REGULATOR_SECRET)},
        REMOTE_ADDR=ADDRESS,
    )
    assert client.session["_auth_user_id"] == str(olivia.pk)
    [signed_in] = entries(Action.SIGN_IN)
    assert signed_in.actor == olivia
    assert signed_in.ip_address == ADDRESS
    assert len(entries()) == 2


def test_wrong_password_when_reauthenticating_is_recorded_against_the_signed_in_user(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("account_reauthenticate"), {"password": "not-the-password"}, REMOTE_ADDR=ADDRESS
    )

    assert response.status_code == 200
    [entry] = entries()
    assert entry.action == Action.SIGN_IN_FAILED
    assert entry.actor == alice
    assert entry.actor_label == entry.target == "alice@example.cn"


def test_signing_out_records_sign_out(client, alice):
    sign_in(client, "alice@example.cn")

    response = client.post(reverse("account_logout"), REMOTE_ADDR=ADDRESS)

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    [entry] = entries(Action.SIGN_OUT)
    assert entry.actor == alice
    assert entry.outcome == Outcome.SUCCESS
    assert entry.ip_address == ADDRESS


# --- audit_record ------------------------------------------------------------------------------


def test_audit_record_stores_who_when_where_what_and_outcome(alice):
    request = RequestFactory().get("/cases/X/", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=BROWSER)
    when = at(2026, 3, 4, 10, 30)

    with time_machine.travel(when, tick=False):
        entry = audit_record(
            alice,
            Action.CONTACT_UNMASKED,
            "TS20260304000001",
            Outcome.SUCCESS,
            request,
            target_type="case",
            detail={"party": "consumer"},
        )

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.created_at == when
    assert entry.actor == alice
    assert entry.actor_label == "alice@example.cn"
    assert (entry.action, entry.outcome) == ("contact_unmasked", "success")
    assert (entry.target_type, entry.target) == ("case", "TS20260304000001")
    assert (entry.ip_address, entry.user_agent) == (ADDRESS, BROWSER)
    assert entry.detail == {"party": "consumer"}


def test_audit_record_cuts_overlong_values_instead_of_failing(db):
    request = RequestFactory().get("/", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="U" * 5000)

    entry = audit_record(
        None,
        Action.SIGN_IN_FAILED,
        "t" * 1000,
        Outcome.FAILED,
        request,
        target_type="y" * 100,
        actor_label="a" * 400 + "@example.cn",
        detail={"note": "n" * (DETAIL_MAX_CHARS * 2)},
    )

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor_label == "a" * 254
    assert entry.target == "t" * 254
    assert entry.target_type == "y" * 32
    assert entry.user_agent == "U" * 512
    assert entry.detail["truncated"] == [
        "actor_label",
        "target_type",
        "target",
        "user_agent",
        "detail",
    ]
    assert len(entry.detail["text"]) == DETAIL_MAX_CHARS
    assert entry.detail["text"].startswith('{"note": "nnn')


def test_audit_record_drops_nul_characters_that_the_database_would_refuse(db):
    entry = audit_record(
        None,
        Action.SIGN_IN_FAILED,
        "a\x00b",
        Outcome.FAILED,
        actor_label="x\x00y",
        detail={"k": "v\x00"},
    )

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.target, entry.actor_label) == ("ab", "xy")
    assert entry.detail["truncated"] == ["detail"]
    assert entry.detail["text"] == '{"k": "v\\u0000"}'


def test_audit_record_takes_an_anonymous_visitor_as_no_user(db):
    entry = audit_record(AnonymousUser(), Action.NOT_FOUND, "TS1", Outcome.DENIED)

    assert entry.actor is None
    assert entry.actor_label == ""
    assert entry.ip_address is None


def test_audit_record_refuses_an_unknown_action(db):
    with pytest.raises(ValueError):
        audit_record(None, "sign_in_twice", "", Outcome.SUCCESS)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("remote_addr", "expected"),
    [("198.51.100.4", "198.51.100.4"), ("2001:db8::1", "2001:db8::1"), ("not-an-ip", None)],
)
def test_audit_record_keeps_a_valid_remote_address_only(db, remote_addr, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)

    entry = audit_record(None, Action.NOT_FOUND, "", Outcome.DENIED, request)

    assert AuditEntry.objects.get(pk=entry.pk).ip_address == expected


def test_forwarded_address_is_ignored_unless_a_trusted_proxy_header_is_set(db, settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9"
    )

    untrusted = audit_record(None, Action.NOT_FOUND, "", Outcome.DENIED, request)
    settings.ODR_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    trusted = audit_record(None, Action.NOT_FOUND, "", Outcome.DENIED, request)

    assert untrusted.ip_address == "10.0.0.2"
    # The right-most address is the one our proxy wrote; the client chose the ones before it.
    assert trusted.ip_address == "198.51.100.9"


# --- Append-only -------------------------------------------------------------------------------


@pytest.fixture
def entry(alice):
    return audit_record(alice, Action.EXPORT, "cases.csv", Outcome.SUCCESS)


def test_a_stored_entry_cannot_be_saved_again(entry):
    entry.outcome = Outcome.DENIED

    with pytest.raises(AuditEntryIsAppendOnly):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.SUCCESS


def test_a_new_entry_with_an_existing_id_does_not_overwrite_it(entry):
    impostor = AuditEntry(pk=entry.pk, action=Action.EXPORT, outcome=Outcome.DENIED)

    with pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()

    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.SUCCESS


def test_entries_cannot_be_updated_or_deleted_in_bulk_or_one_by_one(entry):
    with pytest.raises(AuditEntryIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(outcome=Outcome.DENIED)
    with pytest.raises(AuditEntryIsAppendOnly):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditEntryIsAppendOnly):
        entry.delete()

    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.SUCCESS


# --- The admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    signed_in(client, f.UserFactory(email="root@odr.cn", is_staff=True, is_superuser=True))
    return client


def test_platform_admin_reads_the_log_with_filters_search_and_dates(admin_client, alice, bob):
    audit_record(alice, Action.NOT_FOUND, "TS-ALICE", Outcome.DENIED)
    audit_record(bob, Action.EXPORT, "TS-BOB", Outcome.SUCCESS)
    url = reverse("admin:core_auditentry_changelist")

    response = admin_client.get(url)

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == 2
    assert [spec.field_path for spec in changelist.filter_specs] == ["action", "outcome"]
    assert changelist.date_hierarchy == "created_at"
    html = response.content.decode()
    assert "TS-ALICE" in html
    assert "审计日志" in html  # Chinese first, like the rest of the site

    by_target = admin_client.get(url, {"q": "TS-BOB"}).context["cl"]
    assert [e.target for e in by_target.result_list] == ["TS-BOB"]
    by_email = admin_client.get(url, {"q": "alice@example.cn"}).context["cl"]
    assert [e.target for e in by_email.result_list] == ["TS-ALICE"]
    by_action = admin_client.get(url, {"action__exact": "export"}).context["cl"]
    assert [e.target for e in by_action.result_list] == ["TS-BOB"]


def test_the_admin_offers_no_add_change_or_delete(admin_client, entry):
    changelist = admin_client.get(reverse("admin:core_auditentry_changelist"))
    change_url = reverse("admin:core_auditentry_change", args=[entry.pk])

    html = changelist.content.decode()
    assert reverse("admin:core_auditentry_add") not in html
    assert "delete_selected" not in html
    assert admin_client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code
        == 403
    )

    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "cases.csv" in page.content.decode()
    posted = admin_client.post(change_url, {"outcome": "denied", "target": "x"})
    assert posted.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.SUCCESS


def test_staff_without_the_view_permission_cannot_read_the_log(client, entry):
    signed_in(client, f.UserFactory(is_staff=True))

    response = client.get(reverse("admin:core_auditentry_changelist"))

    assert response.status_code == 403
