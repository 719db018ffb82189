"""Merchants (product §3): only an active ODR merchant receives complaints itself."""

import pytest

from merchants.models import Merchant


@pytest.mark.parametrize("odr_status", Merchant.OdrStatus.values)
def test_only_an_active_merchant_receives_complaints_directly(odr_status):
    merchant = Merchant(odr_status=odr_status)
    assert merchant.receives_complaints_directly is (odr_status == Merchant.OdrStatus.ACTIVE)
