"""Onboarding (入驻, product §3): a business applies, the regulator of its region decides, and the
applicant follows the status, reads the reason and applies again after a rejection."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from cases import services as case_services
from core.errors import ActionNotAllowed, InvalidTransition, ValidationFailed
from core.models import AuditEntry
from merchants import services
from merchants.models import (
    ODR_TRANSITIONS,
    Merchant,
    MerchantEvent,
    MerchantEventIsAppendOnly,
    MerchantMembership,
)
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in
from tests.factories import credit_code

S = Merchant.OdrStatus
A = MerchantEvent.Action
APPLY = reverse("merchants:apply")
STATUS = reverse("merchants:status")
PROFILE = reverse("merchants:profile")
CODE = credit_code(901)
REVIEWS = {
    A.APPROVED: lambda m, actor, reason, now: services.merchant_approve(m, actor, now=now),
    A.REJECTED: services.merchant_reject,
    A.SUSPENDED: services.merchant_suspend,
    A.REINSTATED: services.merchant_reinstate,
    A.EXITED: services.merchant_exit,
}


def application(**fields) -> dict:
    data = {
        "name": "小店区好又多超市",
        "credit_code": CODE,
        "region_code": "140105",
        "legal_representative": "张三",
        "business_licence": f.licence_file(),
        "address": "太原市小店区长风街 1 号",
        "industry": "零售",
        "contact_phone": "0351-7654321",
        "undertaking": True,
        "pledges": [Merchant.Pledge.OFFLINE_7_DAY_RETURN],
    }
    return {**data, **fields}


def apply(user, now=None, **fields) -> Merchant:
    return services.merchant_apply(user, now=now or at(2026, 3, 2, 9), **application(**fields))


def review(action, merchant, actor, reason="理由", now=None) -> Merchant:
    return REVIEWS[action](merchant, actor, reason, now=now or at(2026, 3, 3, 9))


@pytest.fixture
def applicant(alice):
    return alice


def merchant_in(status: str, applicant, olivia) -> Merchant:
    """A merchant in ``status``, reached through the services."""
    if status == S.NOT_ONBOARDED:
        return services.merchant_find_or_create_respondent(
            name="无名小店", region_code="140105", credit_code=credit_code(902)
        )
    merchant = apply(applicant)
    path = {
        S.APPLIED: [],
        S.ACTIVE: [A.APPROVED],
        S.REJECTED: [A.REJECTED],
        S.SUSPENDED: [A.APPROVED, A.SUSPENDED],
        S.EXITED: [A.APPROVED, A.EXITED],
    }[status]
    for action in path:
        merchant = review(action, merchant, olivia)
    return merchant


def history(merchant) -> list[tuple]:
    return list(
        merchant.history.order_by("created_at", "pk").values_list(
            "action", "from_status", "to_status", "actor__email", "reason"
        )
    )


# --- Applying ------------------------------------------------------------------------------------


def test_the_applicant_becomes_the_owner_of_an_applied_merchant(applicant):
    merchant = apply(applicant, credit_code=f" {CODE.lower()} ")

    merchant.refresh_from_db()
    assert merchant.odr_status == S.APPLIED
    assert merchant.credit_code == CODE
    assert merchant.undertaking_accepted_at == at(2026, 3, 2, 9)
    assert merchant.pledges == [Merchant.Pledge.OFFLINE_7_DAY_RETURN]
    membership = MerchantMembership.objects.get(user=applicant)
    assert (membership.merchant, membership.role) == (merchant, "owner")
    assert history(merchant) == [(A.APPLIED, S.NOT_ONBOARDED, S.APPLIED, applicant.email, "")]


def test_the_application_takes_over_the_merchant_complaints_created_by_its_credit_code(applicant):
    known = services.merchant_find_or_create_respondent(
        name="好又多", region_code="140105", credit_code=CODE
    )

    merchant = apply(applicant)

    assert merchant.pk == known.pk
    assert Merchant.objects.count() == 1
    known.refresh_from_db()
    assert (known.name, known.odr_status) == ("小店区好又多超市", S.APPLIED)


def test_the_application_takes_over_the_merchant_of_that_name_in_that_region_without_a_code(
    applicant,
):
    known = services.merchant_find_or_create_respondent(
        name="小店区好又多超市", region_code="140105"
    )
    elsewhere = services.merchant_find_or_create_respondent(
        name="小店区好又多超市", region_code="140106"
    )

    merchant = apply(applicant)

    assert merchant.pk == known.pk
    assert Merchant.objects.count() == 2
    elsewhere.refresh_from_db()
    assert elsewhere.odr_status == S.NOT_ONBOARDED


def test_an_application_carries_the_legal_representative_and_the_checked_licence(applicant):
    merchant = apply(applicant, legal_representative=" 张  三 ")

    assert merchant.legal_representative == "张 三"
    assert merchant.business_licence.name.startswith("licences/")
    assert merchant.business_licence_type == "image/png"
    content = merchant.business_licence.open("rb").read()
    assert hashlib.sha256(content).hexdigest() == merchant.business_licence_sha256
    for missing in ("legal_representative", "business_licence"):
        with pytest.raises(ValidationFailed) as error:
            apply(f.ConsumerFactory(), credit_code=credit_code(903), **{missing: ""})
        assert (error.value.field, error.value.code) == (missing, "required")


def test_an_application_for_a_business_with_complaints_tells_the_reviewer_how_many(
    applicant, bob, offices
):
    known = services.merchant_find_or_create_respondent(
        name="好又多", region_code="140105", credit_code=CODE
    )
    for consumer in (bob, f.ConsumerFactory()):
        case_services.case_file(
            consumer=consumer,
            merchant=known,
            subject="过期食品",
            facts="买到过期食品。",
            claim="退一赔十",
            now=at(2026, 3, 1, 10),
        )

    merchant = apply(applicant)
    fresh = apply(f.ConsumerFactory(), credit_code=credit_code(904), name="新开的店")

    assert (merchant.pk, merchant.application_claimed_cases) == (known.pk, 2)
    assert fresh.application_claimed_cases is None


def test_a_business_already_onboarded_cannot_be_applied_for_again(applicant, bob, acme):
    with pytest.raises(ValidationFailed) as error:
        apply(bob, credit_code=acme.credit_code)
    assert (error.value.code, error.value.field) == ("merchant_taken", "credit_code")
    assert not MerchantMembership.objects.filter(user=bob).exists()


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        pytest.param(
            {"undertaking": False}, "undertaking_required", "undertaking", id="undertaking"
        ),
        pytest.param(
            {"credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")},
            "credit_code_check_digit",
            "credit_code",
            id="check-digit",
        ),
        pytest.param({"region_code": "999999"}, "unknown_region", "region", id="region"),
        pytest.param({"name": " "}, "required", "name", id="name"),
        pytest.param({"contact_phone": "电话"}, "invalid_phone", "contact_phone", id="phone"),
        pytest.param({"pledges": ["free_lunch"]}, "unknown_pledge", "pledges", id="pledge"),
    ],
)
def test_an_incomplete_or_invalid_application_is_refused_and_saves_nothing(
    applicant, fields, code, field
):
    with pytest.raises(ValidationFailed) as error:
        apply(applicant, **fields)
    assert (error.value.code, error.value.field) == (code, field)
    assert not Merchant.objects.exists()
    assert not MerchantEvent.objects.exists()


def test_regulator_staff_cannot_apply(olivia):
    with pytest.raises(ActionNotAllowed):
        apply(olivia)
    assert not Merchant.objects.exists()


def test_staff_of_a_merchant_cannot_apply_for_another_business(trent):
    with pytest.raises(ActionNotAllowed):
        apply(trent)
    assert not Merchant.objects.filter(credit_code=CODE).exists()


# --- The regulator's decisions -------------------------------------------------------------------


ALLOWED = [(action, start) for action, move in ODR_TRANSITIONS.items() for start in move.sources]
REFUSED = [
    (action, start)
    for action, move in ODR_TRANSITIONS.items()
    for start in S.values
    if start not in move.sources
]


@pytest.mark.parametrize(
    ("action", "start"), [p for p in ALLOWED if p[0] != A.APPLIED], ids=lambda v: str(v)
)
def test_every_allowed_decision_moves_the_status_and_is_recorded(applicant, olivia, action, start):
    merchant = merchant_in(start, applicant, olivia)

    moved = review(action, merchant, olivia, reason=" 多次超期 ", now=at(2026, 3, 4, 9))

    assert moved.odr_status == ODR_TRANSITIONS[action].target
    merchant.refresh_from_db()
    assert merchant.odr_status == ODR_TRANSITIONS[action].target
    event = merchant.history.latest("created_at")
    assert (event.action, event.from_status, event.to_status) == (action, start, moved.odr_status)
    assert (event.actor, event.created_at) == (olivia, at(2026, 3, 4, 9))
    expected_reason = "" if action == A.APPROVED else "多次超期"
    assert event.reason == merchant.odr_status_reason == expected_reason


@pytest.mark.parametrize(("action", "start"), REFUSED, ids=lambda v: str(v))
def test_every_other_move_is_refused_and_changes_nothing(applicant, olivia, action, start):
    merchant = merchant_in(start, applicant, olivia)
    before = history(merchant)

    if action == A.APPLIED:  # the owner of a merchant that was not rejected applies again
        with pytest.raises(ActionNotAllowed):
            apply(applicant, now=at(2026, 3, 4, 9))
    else:
        with pytest.raises(InvalidTransition):
            review(action, merchant, olivia)

    merchant.refresh_from_db()
    assert merchant.odr_status == start
    assert history(merchant) == before


@pytest.mark.parametrize("action", [A.REJECTED, A.SUSPENDED, A.EXITED])
@pytest.mark.parametrize("reason", ["", "  "])
def test_rejecting_suspending_and_exiting_need_a_reason(applicant, olivia, action, reason):
    start = next(iter(ODR_TRANSITIONS[action].sources))
    merchant = merchant_in(start, applicant, olivia)

    with pytest.raises(ValidationFailed) as error:
        review(action, merchant, olivia, reason=reason)

    assert (error.value.code, error.value.field) == ("reason_required", "reason")
    merchant.refresh_from_db()
    assert merchant.odr_status == start


@pytest.mark.parametrize("persona", ["olivia", "sam"])
def test_the_office_of_the_region_and_the_offices_above_it_decide(applicant, persona, request):
    reviewer = request.getfixturevalue(persona)
    merchant = apply(applicant)
    assert review(A.APPROVED, merchant, reviewer).odr_status == S.ACTIVE


@pytest.mark.parametrize("persona", ["yves", "bob", "mallory"])
def test_a_regulator_of_another_office_and_everybody_else_are_refused(
    applicant, offices, persona, request
):
    outsider = request.getfixturevalue(persona)
    merchant = apply(applicant)

    with pytest.raises(ActionNotAllowed):
        review(A.APPROVED, merchant, outsider)

    merchant.refresh_from_db()
    assert merchant.odr_status == S.APPLIED
    assert merchant.history.count() == 1


def test_a_platform_admin_decides_too(applicant, offices):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    merchant = apply(applicant)
    assert review(A.REJECTED, merchant, admin, reason="材料不全").odr_status == S.REJECTED


def test_the_owner_applies_again_after_a_rejection(applicant, olivia):
    merchant = apply(applicant)
    review(A.REJECTED, merchant, olivia, reason="营业执照照片不清晰", now=at(2026, 3, 3, 9))

    again = apply(applicant, address="太原市小店区长风街 2 号", now=at(2026, 3, 4, 9))

    assert again.pk == merchant.pk
    assert again.odr_status == S.APPLIED
    assert again.odr_status_reason == ""
    assert again.address == "太原市小店区长风街 2 号"
    assert again.undertaking_accepted_at == at(2026, 3, 4, 9)
    assert [row[0] for row in history(merchant)] == [A.APPLIED, A.REJECTED, A.APPLIED]
    assert history(merchant)[1][3:] == (olivia.email, "营业执照照片不清晰")
    assert MerchantMembership.objects.filter(merchant=merchant).count() == 1


def test_an_agent_of_a_rejected_merchant_cannot_apply_again(applicant, olivia):
    merchant = merchant_in(S.REJECTED, applicant, olivia)
    agent = f.MerchantMembershipFactory(merchant=merchant, role="agent").user
    with pytest.raises(ActionNotAllowed):
        apply(agent)


def test_history_cannot_be_changed_or_deleted(applicant):
    merchant = apply(applicant)
    event = merchant.history.get()
    with pytest.raises(MerchantEventIsAppendOnly):
        event.save()
    with pytest.raises(MerchantEventIsAppendOnly):
        merchant.history.all().delete()


# --- The applicant's pages -----------------------------------------------------------------------


def form_data(**fields) -> dict:
    data = {
        "name": "小店区好又多超市",
        "credit_code": CODE,
        "region_0": "140000",
        "region_1": "140100",
        "region_2": "140105",
        "legal_representative": "张三",
        "business_licence": f.licence_upload(),
        "address": "太原市小店区长风街 1 号",
        "industry": "零售",
        "contact_phone": "0351-7654321",
        "pledges": [Merchant.Pledge.OFFLINE_7_DAY_RETURN],
        "undertaking": "on",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_landing_page_links_to_onboarding(client, db):
    assert f'href="{APPLY}"' in client.get(reverse("landing")).content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_to_apply(client, db):
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=" in response.url


def test_a_consumer_applies_and_sees_the_application_pending(client, applicant, offices):
    sign_in(client, applicant)
    page = client.get(APPLY)
    assert page.status_code == 200
    assert "undertaking-text" in page.content.decode()

    response = client.post(APPLY, form_data())

    assert response.status_code == 302
    assert response.url == STATUS
    merchant = Merchant.objects.get(credit_code=CODE)
    assert merchant.odr_status == S.APPLIED
    assert merchant.region_code == "140105"
    status = client.get(STATUS)
    assert status.status_code == 200
    text = status.content.decode()
    assert 'data-testid="odr-status"' in text
    assert str(S.APPLIED.label) in text.lower()
    assert "小店区市场监管局" in text  # who reviews it
    # The merchant's home shows the status until the business is approved.
    assert client.get(reverse("merchants:home")).url == STATUS
    assert client.get(reverse("home")).url == reverse("merchants:home")


def test_bad_input_shows_every_error_at_once_and_saves_nothing(client, applicant):
    sign_in(client, applicant)
    wrong = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")

    response = client.post(
        APPLY,
        form_data(credit_code=wrong, undertaking=None, region_0="999999", region_1=None),
    )

    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"credit_code", "region", "undertaking"}
    summary = re.search(
        r'data-testid="error-summary".*?</div>', response.content.decode(), re.S
    ).group()
    assert summary.count("<li>") == 3
    assert 'href="#id_credit_code"' in summary and 'href="#id_undertaking"' in summary
    assert f'value="{wrong}"' in response.content.decode()  # what was typed stays
    assert not Merchant.objects.exists()
    assert not MerchantMembership.objects.exists()


def test_a_business_already_onboarded_is_named_beside_the_credit_code(client, applicant, acme):
    sign_in(client, applicant)
    response = client.post(APPLY, form_data(credit_code=acme.credit_code))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["credit_code"]
    assert not MerchantMembership.objects.filter(user=applicant).exists()


def test_after_a_rejection_the_owner_reads_the_reason_and_applies_again(client, applicant, olivia):
    merchant = apply(applicant)
    review(A.REJECTED, merchant, olivia, reason="营业执照照片不清晰")
    sign_in(client, applicant)

    status = client.get(STATUS).content.decode()
    assert "营业执照照片不清晰" in status
    assert 'data-testid="history"' in status
    assert f'href="{APPLY}"' in status

    page = client.get(APPLY)
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "小店区好又多超市"  # prefilled
    assert "营业执照照片不清晰" in page.content.decode()

    response = client.post(APPLY, form_data(address="太原市小店区长风街 2 号"))

    assert response.url == STATUS
    merchant.refresh_from_db()
    assert (merchant.odr_status, merchant.address) == (S.APPLIED, "太原市小店区长风街 2 号")


def test_applying_again_keeps_the_licence_on_file_or_replaces_it(
    client, applicant, olivia, django_capture_on_commit_callbacks
):
    merchant = apply(applicant)
    first = merchant.business_licence.name
    review(A.REJECTED, merchant, olivia, reason="法定代表人与执照不符")
    sign_in(client, applicant)
    assert client.get(APPLY).context["form"].fields["business_licence"].required is False

    client.post(APPLY, form_data(business_licence=None, legal_representative="张四"))
    merchant.refresh_from_db()
    assert (merchant.odr_status, merchant.business_licence.name) == (S.APPLIED, first)
    assert merchant.legal_representative == "张四"

    review(A.REJECTED, merchant, olivia, reason="执照照片模糊")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(APPLY, form_data())
    merchant.refresh_from_db()
    assert merchant.business_licence.name != first
    assert not default_storage.exists(first)  # the replaced file is gone
    assert default_storage.exists(merchant.business_licence.name)


def test_a_licence_that_is_not_an_image_or_pdf_is_refused_beside_its_field(client, applicant):
    sign_in(client, applicant)
    fake = SimpleUploadedFile("licence.png", b"<script>alert(1)</script>", "image/png")

    response = client.post(APPLY, form_data(business_licence=fake))

    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["business_licence"]
    assert not Merchant.objects.exists()
    assert not MerchantMembership.objects.exists()


def test_the_licence_is_served_to_the_owners_and_the_reviewing_office_only(
    client, applicant, olivia, yves, sam, mallory, bob
):
    merchant = apply(applicant)
    agent = f.MerchantMembershipFactory(merchant=merchant, role="agent").user
    owner_url = reverse("merchants:licence")
    office_url = reverse("regulators:merchant_licence", args=[merchant.pk])
    allowed = [(applicant, owner_url), (olivia, office_url), (sam, office_url)]
    for person, url in allowed:
        sign_in(client, person)
        response = client.get(url)
        assert response.status_code == 200, person
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == merchant.business_licence.open().read()
    refused = [(agent, owner_url), (mallory, owner_url), (bob, owner_url), (yves, office_url)]
    for person, url in refused:
        sign_in(client, person)
        assert client.get(url).status_code == 404, person
        assert AuditEntry.objects.filter(actor=person, action="not_found", target=url).exists()
    client.logout()
    assert client.get(office_url).url.startswith(reverse("account_login"))


def test_the_reviewer_sees_the_proof_and_the_complaints_an_application_claims(
    client, applicant, olivia, bob, offices
):
    known = services.merchant_find_or_create_respondent(
        name="好又多", region_code="140105", credit_code=CODE
    )
    case_services.case_file(
        consumer=bob,
        merchant=known,
        subject="过期食品",
        facts="买到过期食品。",
        claim="退一赔十",
        now=at(2026, 3, 1, 10),
    )
    merchant = apply(applicant)
    sign_in(client, olivia)

    page = client.get(reverse("regulators:merchant", args=[merchant.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="claimed-business"' in text
    assert "1" in re.search(r'data-testid="complaints-now">(\d+)<', text).group(1)
    assert "张三" in text and applicant.email in text
    assert reverse("regulators:merchant_licence", args=[merchant.pk]) in text


def test_a_suspended_merchants_owner_is_shown_the_status_and_the_reason(client, applicant, olivia):
    merchant = merchant_in(S.ACTIVE, applicant, olivia)
    review(A.SUSPENDED, merchant, olivia, reason="多次超期未处理投诉", now=at(2026, 3, 4, 9))
    sign_in(client, applicant)

    response = client.get(reverse("merchants:home"), follow=True)

    assert response.redirect_chain[-1][0] == STATUS
    assert "多次超期未处理投诉" in response.content.decode()
    assert client.get(APPLY).url == STATUS  # nothing to apply for while suspended


def test_an_active_merchants_staff_see_the_status_with_a_link_to_the_complaints(client, mallory):
    sign_in(client, mallory)
    response = client.get(STATUS)
    assert response.status_code == 200
    assert f'href="{reverse("merchants:home")}"' in response.content.decode()


def test_staff_of_another_merchant_see_their_own_merchant_only(client, trent, acme):
    sign_in(client, trent)
    response = client.get(STATUS)
    assert response.context["merchant"].name == "别家公司"
    assert acme.name not in response.content.decode()


@pytest.mark.parametrize("url", [STATUS, PROFILE])
@pytest.mark.parametrize("persona", ["alice", "olivia"])
def test_people_on_no_merchants_staff_get_not_found(client, url, persona, request):
    person = request.getfixturevalue(persona)
    sign_in(client, person)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    assert AuditEntry.objects.filter(
        actor=person, action=AuditEntry.Action.NOT_FOUND, target=url
    ).exists()


def test_regulator_staff_get_not_found_on_the_application(client, olivia):
    sign_in(client, olivia)
    assert client.get(APPLY).status_code == 404
    assert client.post(APPLY, form_data()).status_code == 404
    assert not Merchant.objects.filter(credit_code=CODE).exists()


@pytest.mark.parametrize("url", [STATUS, PROFILE])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# --- The business profile ------------------------------------------------------------------------


def test_an_owner_changes_the_profile_but_not_what_the_regulator_approved(client, mallory, acme):
    sign_in(client, mallory)
    page = client.get(PROFILE)
    assert page.status_code == 200
    assert 'data-testid="new-application-note"' in page.content.decode()

    response = client.post(
        PROFILE,
        {
            "address": "太原市小店区新址 8 号",
            "industry": "数码零售",
            "contact_phone": "13912345678",
            "pledges": ["quick_refund"],
            "name": "改名公司",
            "credit_code": credit_code(903),
        },
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.address, acme.industry, acme.contact_phone, acme.pledges) == (
        "太原市小店区新址 8 号",
        "数码零售",
        "13912345678",
        ["quick_refund"],
    )
    assert acme.name == "爱克美商贸有限公司"
    assert acme.credit_code != credit_code(903)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MERCHANT_PROFILE_UPDATED)
    assert entry.actor == mallory
    assert set(entry.detail["fields"]) == {"address", "industry", "contact_phone", "pledges"}


def test_a_bad_profile_shows_every_error_and_saves_nothing(client, mallory, acme):
    sign_in(client, mallory)
    response = client.post(PROFILE, {"address": "", "industry": "", "contact_phone": "x"})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"address", "industry", "contact_phone"}
    acme.refresh_from_db()
    assert acme.address == "太原市小店区"


def test_agents_cannot_open_or_change_the_profile(client, acme):
    agent = f.MerchantMembershipFactory(merchant=acme, role="agent").user
    sign_in(client, agent)
    assert client.get(PROFILE).status_code == 404
    assert (
        client.post(
            PROFILE, {"address": "x", "industry": "y", "contact_phone": "13900000000"}
        ).status_code
        == 404
    )
    with pytest.raises(ActionNotAllowed):
        services.merchant_profile_update(
            merchant=acme,
            actor=agent,
            contact_phone="13900000000",
            address="x",
            industry="y",
            pledges=[],
        )
    acme.refresh_from_db()
    assert acme.address == "太原市小店区"


# --- Platform admins -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    admin = f.UserFactory(email="root@odr.cn", is_staff=True, is_superuser=True)
    sign_in(client, admin)
    client.admin = admin
    return client


def test_a_platform_admin_approves_from_the_admin_through_the_service(admin_client, applicant):
    merchant = apply(applicant, now=TEST_NOW - timedelta(days=1))
    admin_client.post(
        reverse("admin:merchants_merchant_changelist"),
        {"action": "odr_merchant_approve", "_selected_action": [merchant.pk], "reason": ""},
    )
    merchant.refresh_from_db()
    assert merchant.odr_status == S.ACTIVE
    assert merchant.history.latest("created_at").actor == admin_client.admin


def test_the_admin_refuses_a_rejection_without_a_reason(admin_client, applicant):
    merchant = apply(applicant)
    response = admin_client.post(
        reverse("admin:merchants_merchant_changelist"),
        {"action": "odr_merchant_reject", "_selected_action": [merchant.pk], "reason": ""},
        follow=True,
    )
    merchant.refresh_from_db()
    assert merchant.odr_status == S.APPLIED
    assert any(m.level_tag == "error" for m in response.context["messages"])

    admin_client.post(
        reverse("admin:merchants_merchant_changelist"),
        {"action": "odr_merchant_reject", "_selected_action": [merchant.pk], "reason": "材料不全"},
    )
    merchant.refresh_from_db()
    assert (merchant.odr_status, merchant.odr_status_reason) == (S.REJECTED, "材料不全")


# --- Demo data -----------------------------------------------------------------------------------


def test_every_demo_merchant_has_the_history_that_led_to_its_status(db):
    call_command("seed_demo")
    call_command("seed_demo")  # again: nothing is recorded twice

    for merchant in Merchant.objects.all():
        steps = history(merchant)
        if merchant.odr_status == S.NOT_ONBOARDED:
            assert steps == []
            continue
        status = S.NOT_ONBOARDED
        for action, from_status, to_status, _actor, _reason in steps:
            move = ODR_TRANSITIONS[action]
            assert (from_status, to_status) == (status, move.target)
            assert from_status in move.sources
            status = to_status
        assert status == merchant.odr_status
        assert steps[-1][4] == merchant.odr_status_reason


# --- Who handles the complaints against a business ----------------------------------------------


@pytest.fixture
def earlier_case(bob, offices):
    """A complaint by bob against a business that is not onboarded (at the regulator)."""
    known = services.merchant_find_or_create_respondent(
        name="好又多", region_code="140105", credit_code=CODE
    )
    return case_services.case_file(
        consumer=bob,
        merchant=known,
        subject="过期食品",
        facts="买到过期的牛奶。",
        claim="退款并赔偿",
        now=at(2026, 3, 2, 8),
    )


@pytest.mark.parametrize("status", [S.APPLIED, S.REJECTED])
def test_applying_for_a_business_gives_no_right_to_its_complaints(
    client, olivia, earlier_case, status
):
    # An account that says it runs the business: the earlier complaint stays out of its reach
    # until a regulator approves the application.
    claimant = f.ConsumerFactory(email="claimant@example.cn", phone="13600001111")
    merchant = apply(claimant)
    if status == S.REJECTED:
        merchant = review(A.REJECTED, merchant, olivia)
    assert merchant.pk == earlier_case.merchant_id
    sign_in(client, claimant)

    assert client.get(reverse("cases:detail", args=[earlier_case.number])).status_code == 404
    posted = client.post(
        reverse("cases:act", args=[earlier_case.number, "post_message"]),
        {"post_message-body": "我是商家"},
    )
    assert posted.status_code == 404
    inbox = client.get(reverse("merchants:home"), {"status": "regulator_intake"})
    assert earlier_case.number not in inbox.content.decode()
    assert client.get(f"/api/v1/cases/{earlier_case.number}/").status_code == 404
    assert (
        client.get("/api/v1/merchant/inbox/", {"status": "regulator_intake"}).json()["results"]
        == []
    )
    assert not earlier_case.messages.exists()


@pytest.mark.parametrize(
    ("status", "party"),
    [(S.ACTIVE, True), (S.SUSPENDED, True), (S.EXITED, True), (S.APPLIED, False)],
)
def test_the_staff_are_a_party_once_a_regulator_approved_the_business(
    client, olivia, earlier_case, status, party
):
    claimant = f.ConsumerFactory(email="claimant@example.cn", phone="13600001111")
    merchant = apply(claimant)
    path = {S.ACTIVE: [A.APPROVED], S.SUSPENDED: [A.APPROVED, A.SUSPENDED]}
    path[S.EXITED] = [A.APPROVED, A.EXITED]
    for action in path.get(status, []):
        merchant = review(action, merchant, olivia)
    sign_in(client, claimant)
    response = client.get(reverse("cases:detail", args=[earlier_case.number]))
    assert (response.status_code == 200) == party
