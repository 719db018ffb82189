"""Finding the business a complaint is against, or creating it (product §3)."""

import pytest
from django.core.exceptions import ValidationError

from merchants.models import Merchant
from merchants.services import merchant_find_or_create_respondent
from tests import factories as f
from tests.factories import credit_code


def test_a_known_credit_code_finds_the_merchant_whatever_name_is_typed(acme):
    found = merchant_find_or_create_respondent(
        name="爱克美", region_code="330106", credit_code=acme.credit_code
    )
    assert found == acme
    assert Merchant.objects.count() == 1


def test_a_lower_case_space_padded_credit_code_finds_the_merchant(acme):
    typed = f"  {acme.credit_code.lower()} "
    found = merchant_find_or_create_respondent(
        name="爱克美商贸有限公司", region_code="140105", credit_code=typed
    )
    assert found == acme


def test_the_same_name_in_the_same_region_without_a_code_is_the_same_business(db):
    shop = f.MerchantFactory(
        name="无名小店", region_code="140105", credit_code=None, odr_status="not_onboarded"
    )
    found = merchant_find_or_create_respondent(name=" 无名小店 ", region_code="140105")
    assert found == shop
    assert Merchant.objects.count() == 1


def test_the_same_name_in_another_region_is_another_business(db):
    shop = f.MerchantFactory(name="无名小店", region_code="140105", credit_code=None)
    other = merchant_find_or_create_respondent(name="无名小店", region_code="140106")
    assert other != shop
    assert other.region_code == "140106"


def test_an_unknown_business_is_created_not_onboarded(db):
    typed = f" {credit_code(77).lower()} "
    merchant = merchant_find_or_create_respondent(
        name=" 新开张的店 ", region_code="140105", credit_code=typed, address=" 太原市小店区 "
    )
    merchant.refresh_from_db()
    assert merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
    assert not merchant.receives_complaints_directly
    assert (merchant.name, merchant.region_code) == ("新开张的店", "140105")
    assert merchant.credit_code == credit_code(77)
    assert merchant.address == "太原市小店区"


def test_businesses_without_a_code_do_not_collide_on_it(db):
    first = merchant_find_or_create_respondent(name="甲店", region_code="140105")
    second = merchant_find_or_create_respondent(name="乙店", region_code="140105")
    assert first != second
    assert first.credit_code is None and second.credit_code is None


@pytest.mark.parametrize(
    ("credit_code_typed", "region_code", "error_code"),
    [
        pytest.param("91350100M000100Y44", "140105", "credit_code_check_digit", id="check-digit"),
        pytest.param("9135010", "140105", "credit_code_length", id="short-credit-code"),
        pytest.param("", "14010", "invalid_region", id="five-digit-region"),
        pytest.param("", "", "invalid_region", id="no-region"),
    ],
)
def test_an_invalid_credit_code_or_region_code_is_refused(
    db, credit_code_typed, region_code, error_code
):
    with pytest.raises(ValidationError) as error:
        merchant_find_or_create_respondent(
            name="无名小店", region_code=region_code, credit_code=credit_code_typed
        )
    assert error.value.code == error_code
    assert Merchant.objects.count() == 0
