"""12345 hotline intake: an office's hotline token registers a transferred complaint, once per
ticket, for the consumer with that phone, against the business found or described."""

import pytest

from accounts.models import User
from api.services import api_token_create, hotline_token_create
from cases.models import Case, CaseEvent, Channel, Status
from merchants.models import Merchant
from tests import factories as f
from tests.conftest import days_from_today

URL = "/api/v1/hotline/complaints/"


def ticket(**overrides) -> dict:
    fields = {
        "ticket": "TY12345-20260304-0001",
        "consumer_phone": "13812341234",
        "consumer_name": "王爱丽",
        "merchant_name": "爱克美商贸有限公司",
        "merchant_region_code": "140105",
        "subject": "耳机无法开机",
        "facts": "市民来电反映：收到的耳机无法开机。",
        "claim": "退货退款",
        "amount_claimed": "299.00",
        "purchase_date": days_from_today(-12),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def hotline(hotline_token, bearer):
    return bearer(hotline_token[1])


def test_a_transfer_registers_a_case_once_and_a_repeat_returns_it(
    hotline, hotline_token, alice, acme
):
    first = hotline.post(URL, ticket(merchant_credit_code=acme.credit_code), format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    case = Case.objects.get(number=body["number"])
    assert body["created"] is True and body["ticket"] == "TY12345-20260304-0001"
    assert case.channel == Channel.HOTLINE_12345 and case.hotline_ticket == body["ticket"]
    assert case.consumer == alice and case.merchant == acme
    assert case.status == Status.SUBMITTED  # acme is an active ODR merchant
    assert case.filed_by == hotline_token[0].account.user
    filed = CaseEvent.objects.get(case=case, type=CaseEvent.Type.FILED)
    assert filed.actor == hotline_token[0].account.user and filed.data["channel"] == "hotline_12345"
    assert filed.data["hotline_ticket"] == "TY12345-20260304-0001"  # the chain carries it

    again = hotline.post(URL, ticket(subject="重复转办"), format="json")
    assert again.status_code == 200
    assert again.json()["number"] == case.number and again.json()["created"] is False
    assert Case.objects.count() == 1


def test_an_unknown_phone_gets_a_consumer_account_and_an_unknown_business_a_row(hotline, offices):
    response = hotline.post(
        URL,
        ticket(
            consumer_phone="13700009999", merchant_name="无名小店", merchant_region_code="140106"
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    consumer = User.objects.get(phone="13700009999")
    assert case.consumer == consumer and hasattr(consumer, "consumer_profile")
    assert not consumer.has_usable_password()
    assert case.merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
    assert case.status == Status.REGULATOR_INTAKE and case.office == offices["140106"]


def test_a_business_outside_the_offices_jurisdiction_is_refused(hotline, offices):
    f.OfficeFactory(region_code="140200", level=2, parent=offices["140000"])  # Datong
    response = hotline.post(
        URL, ticket(merchant_name="大同某店", merchant_region_code="140213"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "outside_jurisdiction"
    assert not Case.objects.exists()
    assert not Merchant.objects.filter(name="大同某店").exists()  # rolled back with the refusal


def test_another_offices_ticket_of_the_same_number_is_a_conflict(
    hotline, offices, bearer, file_case, acme
):
    assert hotline.post(URL, ticket(), format="json").status_code == 201
    shanxi_supervisor = f.RegulatorMembershipFactory(
        office=offices["140000"], role="supervisor"
    ).user
    _token, text = hotline_token_create(office=offices["140000"], actor=shanxi_supervisor, name="x")
    response = bearer(text).post(URL, ticket(), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_taken"
    assert "number" not in response.json()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("ticket", "", "blank"),
        ("consumer_phone", "12345", "invalid"),
        ("merchant_region_code", "999999", "invalid"),
        ("subject", "", "blank"),
        ("amount_claimed", "-1", "min_value"),
    ],
)
def test_invalid_transfers_name_the_field(hotline, field, value, code, offices):
    response = hotline.post(URL, ticket(**{field: value}), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["code"] == code
    assert not Case.objects.exists()


def test_only_a_hotline_token_may_transfer(as_user, sam, olivia, acme, mallory, bearer, offices):
    for client in (as_user(sam), as_user(olivia), as_user(mallory)):
        response = client.post(URL, ticket(), format="json")
        assert response.status_code == 403 and response.json()["code"] == "token_scope"
    _token, text = api_token_create(merchant=acme, actor=mallory, name="x", scope="act")
    response = bearer(text).post(URL, ticket(), format="json")
    assert response.status_code == 403 and response.json()["code"] == "token_scope"
    assert not Case.objects.exists()


def test_a_hotline_token_reads_no_case(hotline, file_case):
    case = file_case()
    response = hotline.get(f"/api/v1/cases/{case.number}/")
    assert response.status_code == 403 and response.json()["code"] == "token_scope"
