"""Rate limits (DRF throttles on the shared cache), each set low here: writes per person or token,
requests per token, token guessing per address (a slow-down that never refuses a live token),
hotline transfers per token."""

from unittest import mock

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent
from tests.conftest import at

ME = "/api/v1/me/"


@pytest.fixture
def rates(settings):
    """Set some of the API's rates for this test."""

    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }

    return set_rates


def test_writes_are_limited_per_person_and_reads_are_not_counted(rates, as_user, alice, file_case):
    rates(api_write="3/m")
    case = file_case()
    client = as_user(alice)
    url = f"/api/v1/cases/{case.number}/actions/post_message/"
    for n in range(3):
        assert client.post(url, {"body": f"第{n}条"}, format="json").status_code == 200
    for _ in range(5):
        assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200
    refused = client.post(url, {"body": "再一条"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert CaseEvent.objects.filter(type=CaseEvent.Type.MESSAGE_POSTED).count() == 3


def test_each_token_has_its_own_allowance(rates, bearer, acme_token, acme_read_token):
    rates(api_token="4/h")
    first, second = bearer(acme_token[1]), bearer(acme_read_token[1])
    assert [first.get(ME).status_code for _ in range(5)] == [200, 200, 200, 200, 429]
    assert second.get(ME).status_code == 200


def test_guessing_tokens_slows_the_address_but_never_refuses_a_live_token(
    rates, bearer, acme_token, acme_read_token, django_assert_num_queries
):
    rates(api_auth_failed="3/m")
    for n in range(3):
        assert bearer(f"odr_guess{n}").get(ME).status_code == 401
    with django_assert_num_queries(1):  # the look-up of the token, nothing more
        refused = bearer("odr_guess4").get(ME)
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    malformed = APIClient(HTTP_AUTHORIZATION="Bearer two words")
    assert malformed.get(ME).status_code == 429
    # The integrations that share the address go on working, whatever was guessed from it.
    assert bearer(acme_token[1]).get(ME).status_code == 200
    assert bearer(acme_read_token[1]).get(ME).status_code == 200


def test_an_address_that_guessed_tokens_may_try_again_a_minute_later(
    bearer, acme_token, time_machine
):
    # The default: ten unknown tokens a minute, then 429 until the minute has passed.
    answers = [bearer(f"odr_guess{n}").get(ME).status_code for n in range(11)]
    assert answers == [401] * 10 + [429]

    time_machine.move_to(at(2026, 3, 4, 10, 1, 30), tick=True)
    assert bearer("odr_guess11").get(ME).status_code == 401


def test_guesses_from_one_ipv6_network_are_counted_together(rates, acme_token):
    rates(api_auth_failed="2/m")

    def guess(address: str) -> int:
        client = APIClient(HTTP_AUTHORIZATION="Bearer odr_guess", REMOTE_ADDR=address)
        return client.get(ME).status_code

    # One /64 (one household, one phone's connection) is one address, as for sign-ins.
    assert [guess("2001:db8:1:2::1"), guess("2001:db8:1:2::ffff")] == [401, 401]
    assert guess("2001:db8:1:2:aaaa::3") == 429
    assert guess("2001:db8:1:3::1") == 401


def test_a_revoked_or_expired_token_is_not_counted_as_a_guess(rates, bearer, acme_token):
    rates(api_auth_failed="2/h")
    token, text = acme_token
    token.revoked_at = token.created_at
    token.save()
    for _ in range(4):
        assert bearer(text).get(ME).json()["code"] == "token_invalid"


def test_hotline_transfers_are_limited_per_token(rates, hotline_token, bearer, offices):
    rates(api_hotline="1/h")
    client = bearer(hotline_token[1])
    body = {
        "ticket": "T-1",
        "consumer_phone": "13812341234",
        "merchant_name": "某店",
        "merchant_region_code": "140105",
        "subject": "问题",
        "facts": "经过",
        "claim": "诉求",
    }
    assert client.post("/api/v1/hotline/complaints/", body, format="json").status_code == 201
    again = client.post("/api/v1/hotline/complaints/", body | {"ticket": "T-2"}, format="json")
    assert again.status_code == 429


FILING = "/api/v1/consumer/cases/"
COMPLAINT = {
    "merchant_name": "爱克美商贸有限公司",
    "merchant_region_code": "140105",
    "subject": "耳机无法开机",
    "facts": "收到的耳机无法开机，联系客服没有答复。",
    "claim": "退货退款",
}


def test_a_request_reads_and_writes_all_its_limits_in_one_round_trip_each(
    as_user, alice, acme, offices
):
    client = as_user(alice)
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as reads,
        mock.patch.object(cache, "set_many", wraps=cache.set_many) as writes,
    ):
        assert client.post(FILING, COMPLAINT, format="json").status_code == 201
    limits = {f"throttle_api_write_user-{alice.pk}", f"throttle_api_complaint_user-{alice.pk}"}
    assert reads.call_count == 1 and set(reads.call_args.args[0]) == limits
    assert writes.call_count == 1 and set(writes.call_args.args[0]) == limits
    # Each history holds this request, and lives as long as the longest of the periods.
    assert all(len(history) == 1 for history in cache.get_many(list(limits)).values())
    assert writes.call_args.args[1] == 3600


def test_a_request_refused_by_one_limit_is_counted_by_the_others(
    rates, as_user, alice, acme, offices, file_case
):
    rates(api_write="2/m", api_complaint="1/h")
    client = as_user(alice)
    assert client.post(FILING, COMPLAINT, format="json").status_code == 201
    second = client.post(FILING, COMPLAINT, format="json")  # refused: complaints per hour
    assert second.status_code == 429 and 60 < int(second["Retry-After"]) <= 3600
    # The refused filing was a write all the same: the allowance of two writes a minute is used.
    case = file_case()
    message = client.post(
        f"/api/v1/cases/{case.number}/actions/post_message/", {"body": "还在吗"}, format="json"
    )
    assert message.status_code == 429 and 0 < int(message["Retry-After"]) <= 60
    # Refused by both: told the longer wait.
    third = client.post(FILING, COMPLAINT, format="json")
    assert third.status_code == 429 and int(third["Retry-After"]) > 60
    assert Case.objects.filter(channel="api").count() == 1
