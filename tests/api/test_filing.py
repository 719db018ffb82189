"""Consumers file a complaint through the API in one request (channel ``api``): the business is
found or described as on the filing form, the engine checks the rest, and nothing is filed on an
error; only consumers may, within their own rate."""

import pytest
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent, Channel, Status
from merchants.models import Merchant
from tests.conftest import days_from_today, sign_in

URL = "/api/v1/consumer/cases/"


def complaint(**overrides) -> dict:
    fields = {
        "merchant_name": "爱克美商贸有限公司",
        "merchant_region_code": "140105",
        "subject": "耳机无法开机",
        "facts": "收到的耳机无法开机，联系客服没有答复。",
        "claim": "退货退款",
        "claim_remedy": "refund",
        "amount_claimed": "299.00",
        "amount_paid": "299.00",
        "purchase_date": days_from_today(-12),
        "order_reference": "JD-0001",
    }
    fields.update(overrides)
    return fields


def test_a_consumer_files_against_a_known_merchant(as_user, alice, acme, offices):
    response = as_user(alice).post(URL, complaint(consent_contact=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert response["Location"].endswith(f"/api/v1/cases/{case.number}/")
    assert (case.consumer, case.merchant, case.status) == (alice, acme, Status.SUBMITTED)
    assert case.channel == Channel.API and body["channel"] == "api"
    assert case.contact_phone == alice.phone and case.consent_contact is True
    assert str(case.amount_paid) == "299.00" and case.claim_remedy == "refund"
    assert body["merchant"]["name"] == acme.name and body["merchant_due_at"] is not None
    filed = CaseEvent.objects.get(case=case, type=CaseEvent.Type.FILED)
    assert filed.actor == alice and filed.data["channel"] == "api"
    mine = as_user(alice).get(URL).json()["results"]
    assert [row["number"] for row in mine] == [case.number]


def test_a_described_business_goes_to_the_office_of_its_region(as_user, alice, offices):
    response = as_user(alice).post(
        URL,
        complaint(merchant_name="街角小吃店", merchant_region_code="140106", contact_phone=""),
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert case.merchant.name == "街角小吃店"
    assert case.merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
    assert (case.status, case.office) == (Status.REGULATOR_INTAKE, offices["140106"])


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"subject": ""}, "subject", "blank"),
        ({"facts": "经过" * 1001}, "facts", "max_length"),
        ({"merchant_region_code": "999999"}, "merchant_region_code", "invalid"),
        ({"purchase_date": days_from_today(1)}, "purchase_date", "invalid"),
        ({"amount_claimed": "-1"}, "amount_claimed", "min_value"),
        ({"contact_phone": "12345"}, "contact_phone", "invalid"),
        ({"claim_remedy": "cash"}, "claim_remedy", "invalid_choice"),
    ],
)
def test_bad_input_names_the_field_and_files_nothing(
    as_user, alice, acme, offices, overrides, field, code
):
    response = as_user(alice).post(URL, complaint(**overrides), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field and body["message"]
    if body["code"] != code:  # the engine's own checks name their rule
        assert field in ("merchant_region_code", "purchase_date"), body
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["mallory", "olivia", "sam"])
def test_only_consumers_file(as_user, request, persona, acme):
    response = as_user(request.getfixturevalue(persona)).post(URL, complaint(), format="json")
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_anonymous_visitors_and_merchant_tokens_cannot_file(api, bearer, acme_token, acme):
    assert api.post(URL, complaint(), format="json").status_code == 401
    assert bearer(acme_token[1]).post(URL, complaint(), format="json").status_code in (403, 404)
    assert not Case.objects.exists()


def test_a_session_must_send_its_csrf_token(alice, acme, offices):
    client = APIClient(enforce_csrf_checks=True)
    sign_in(client, alice)
    refused = client.post(URL, complaint(), format="json")
    assert refused.status_code == 403 and not Case.objects.exists()
    client.get("/my/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(URL, complaint(), format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_filing_is_limited_per_consumer(settings, as_user, alice, bob, acme, offices):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_complaint": "2/h",
        },
    }
    client = as_user(alice)
    assert [client.post(URL, complaint(), format="json").status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
    assert client.get(URL).status_code == 200  # reading is not counted
    assert as_user(bob).post(URL, complaint(), format="json").status_code == 201
    assert Case.objects.count() == 3


def test_a_region_no_office_covers_is_named_as_the_request_names_it(as_user, alice):
    # No regulator office at all: none covers the business's region.
    response = as_user(alice).post(URL, complaint(merchant_name="某店"), format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "merchant_region_code"
    assert not Case.objects.exists()
    # The business it named is not left behind: it is recorded in the filing's transaction.
    assert not Merchant.objects.filter(name="某店").exists()


def test_the_same_idempotency_key_files_once(as_user, alice, bob, acme, offices):
    client = as_user(alice)
    key = {"HTTP_IDEMPOTENCY_KEY": "order-JD-0001-try"}
    first = client.post(URL, complaint(), format="json", **key)
    again = client.post(URL, complaint(), format="json", **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Case.objects.filter(consumer=alice).count() == 1
    # Another consumer's key is theirs alone.
    assert as_user(bob).post(URL, complaint(), format="json", **key).status_code == 201
    # Without a key, each request is a filing.
    assert client.post(URL, complaint(), format="json").status_code == 201
    assert Case.objects.filter(consumer=alice).count() == 2


def test_an_unusable_idempotency_key_is_refused_by_name(as_user, alice, acme, offices):
    response = as_user(alice).post(URL, complaint(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 65)
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert not Case.objects.exists()
