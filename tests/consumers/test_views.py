"""The consumer's pages: the list of their complaints and filing one on the web (product §3–4)."""

import pytest
from django.urls import reverse

from cases.models import Case, Status
from merchants.models import Merchant
from tests import factories as f
from tests.conftest import sign_in
from tests.factories import credit_code

URL = reverse("consumers:complaint_new")


def complaint(**overrides):
    data = {
        "merchant_name": "爱克美商贸有限公司",
        "merchant_credit_code": "",
        "merchant_region_code": "140105",
        "merchant_address": "",
        "subject": "耳机无法开机",
        "facts": "收到的耳机无法开机。",
        "claim": "退货退款",
        "amount_claimed": "299.00",
        "purchase_date": "2026-01-05",
        "order_reference": "JD-1",
    }
    data.update(overrides)
    return data


def test_complaint_against_an_active_merchant_reaches_it(client, alice, acme, offices):
    sign_in(client, alice)
    response = client.post(URL, complaint(merchant_credit_code=acme.credit_code.lower()))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.number])
    assert (case.merchant, case.status, case.consumer) == (acme, Status.SUBMITTED, alice)


def test_complaint_against_an_unknown_business_creates_it_and_goes_to_the_regulator(
    client, alice, offices
):
    sign_in(client, alice)
    client.post(URL, complaint(merchant_name="无名小店", merchant_credit_code=credit_code(77)))
    merchant = Merchant.objects.get(name="无名小店")
    assert merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
    assert Case.objects.get().status == Status.REGULATOR_INTAKE


def test_the_same_unknown_business_is_not_created_twice(client, alice, offices):
    sign_in(client, alice)
    client.post(URL, complaint(merchant_name="无名小店"))
    client.post(URL, complaint(merchant_name="无名小店"))
    assert Merchant.objects.filter(name="无名小店").count() == 1
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("merchant_credit_code", "91350100M000100Y44"),
        ("merchant_region_code", "14010"),
        ("facts", ""),
        ("purchase_date", "2099-01-01"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
    client, alice, offices, field, value
):
    sign_in(client, alice)
    response = client.post(URL, complaint(**{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}-error"' in response.content.decode()
    assert Case.objects.count() == 0
    assert response.context["form"]["subject"].value() == "耳机无法开机"


@pytest.mark.parametrize("persona", ["mallory", "sam"])
def test_only_consumers_file_complaints(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.post(URL, complaint()).status_code == 403
    assert Case.objects.count() == 0


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("rows", [1, 40])
def test_home_query_count_does_not_grow_with_the_cases(
    client, file_case, alice, bob, rows, django_assert_num_queries
):
    for i in range(rows):
        # Each against another merchant, half of them not onboarded (filed with the regulator).
        file_case(merchant=f.MerchantFactory(odr_status="active" if i % 2 else "not_onboarded"))
    file_case(consumer=bob)
    sign_in(client, alice)
    with django_assert_num_queries(6):
        response = client.get(reverse("consumers:home"))
    assert response.status_code == 200
    assert len(response.context["cases"]) == rows
