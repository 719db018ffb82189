"""Complaint intake (cases.services.intake): one service for every way a complaint comes in."""

import pytest

from cases.models import Case, Channel, Status
from cases.services import Business, complaint_intake
from core.errors import ValidationFailed
from merchants.models import Merchant
from tests.conftest import at

COMPLAINT = {"subject": "空调不制冷", "facts": "安装后不制冷。", "claim": "维修"}


def test_a_described_business_and_a_consumer_by_phone_are_found_or_made(offices, olivia):
    case = complaint_intake(
        respondent=Business(name="迎泽区某电器行", region_code="140106"),
        consumer_phone="13600001111",
        consumer_name="李四",
        channel=Channel.PHONE,
        registered_by=olivia,
        now=at(2026, 3, 2, 10),
        **COMPLAINT,
    )

    assert case.status == Status.REGULATOR_INTAKE  # the business is not onboarded
    assert (case.merchant.name, case.merchant.odr_status) == ("迎泽区某电器行", "not_onboarded")
    assert (case.consumer.phone, case.contact_phone, case.filed_by) == (
        "13600001111",
        "13600001111",
        olivia,
    )
    again = complaint_intake(
        respondent=Business(name="迎泽区某电器行", region_code="140106"),
        consumer_phone="13600001111",
        registered_by=olivia,
        now=at(2026, 3, 3, 10),
        **COMPLAINT,
    )
    assert (again.merchant, again.consumer) == (case.merchant, case.consumer)
    assert Merchant.objects.filter(name="迎泽区某电器行").count() == 1


def test_an_error_names_the_callers_field_and_files_nothing(offices, alice):
    fields = {"region_code": "merchant_region_code", "name": "merchant_name"}
    for business, field in (
        (Business(name="某店", region_code="999999"), "merchant_region_code"),
        (Business(name=" ", region_code="140106"), "merchant_name"),
    ):
        with pytest.raises(ValidationFailed) as error:
            complaint_intake(respondent=business, consumer=alice, fields=fields, **COMPLAINT)
        assert error.value.field == field
    assert not Case.objects.filter(consumer=alice).exists()
    assert not Merchant.objects.filter(name="某店").exists()


def test_a_business_outside_the_registering_office_is_refused(offices, olivia):
    with pytest.raises(ValidationFailed) as error:
        complaint_intake(
            respondent=Business(name="别处的店", region_code="140106"),
            consumer_phone="13600001111",
            registered_by=olivia,
            within_office=olivia.regulator_membership.office,  # Xiaodian, not Yingze
            **COMPLAINT,
        )
    assert (error.value.code, error.value.field) == ("outside_jurisdiction", "region_code")
    assert not Merchant.objects.filter(name="别处的店").exists()
