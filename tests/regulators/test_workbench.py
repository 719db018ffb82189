"""The regulator workbench (product §2, §4): queues of the office's jurisdiction subtree by
deadline, backlog per office, referrals, complaints registered on a consumer's behalf."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, Channel, Status
from merchants.models import Merchant
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in

INTAKE = reverse("regulators:queue", args=["intake"])
MEDIATION = reverse("regulators:queue", args=["mediation"])
REGISTER = reverse("regulators:register")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


def numbers(response) -> list[str]:
    return [r["case"].number for r in response.context["rows"]]


def intake_case(file_case, region="140105", now=None):
    merchant = f.MerchantFactory(odr_status="not_onboarded", region_code=region)
    return file_case(merchant=merchant, now=now or at(2026, 3, 2, 10))


def test_the_intake_queue_comes_overdue_first_then_by_arrival(client, file_case, olivia):
    later = intake_case(file_case, now=at(2026, 3, 3, 9))
    overdue = intake_case(file_case, now=at(2026, 2, 20, 9))
    earlier = intake_case(file_case, now=at(2026, 3, 2, 9))
    sign_in(client, olivia)
    assert numbers(client.get(INTAKE)) == [overdue.number, earlier.number, later.number]


def test_a_county_sees_its_own_a_city_supervisor_sees_both(client, file_case, olivia, yves, sam):
    own = intake_case(file_case, "140105")
    sibling = intake_case(file_case, "140106")
    sign_in(client, olivia)
    assert numbers(client.get(INTAKE)) == [own.number]
    sign_in(client, yves)
    assert numbers(client.get(INTAKE)) == [sibling.number]
    sign_in(client, sam)
    assert sorted(numbers(client.get(INTAKE))) == sorted([own.number, sibling.number])
    backlog = {
        b["office"].region_code: b["intake"]
        for b in client.get(reverse("regulators:home")).context["backlog"]
    }
    assert backlog == {"140105": 1, "140106": 1}


@pytest.mark.parametrize("cases", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    client, file_case, sam, cases, django_assert_num_queries
):
    for _ in range(cases):
        intake_case(file_case)
    sign_in(client, sam)
    # Session, user with its role rows, the second-factor check, the office, the subtree ids,
    # the page (the calendar is this process's copy).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        response = client.get(INTAKE)
    assert len(response.context["rows"]) == min(cases, 25)


def test_mediation_and_referrals_lists(client, file_case, olivia):
    case = intake_case(file_case)
    services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
    services.referral_open(case=case, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 10))
    sign_in(client, olivia)
    assert numbers(client.get(MEDIATION)) == [case.number]
    referrals = client.get(reverse("regulators:referrals"))
    assert [r["row"].case.number for r in referrals.context["rows"]] == [case.number]


def test_an_unknown_queue_is_not_found(client, olivia):
    sign_in(client, olivia)
    assert client.get(reverse("regulators:queue", args=["everything"])).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_other_roles_get_not_found(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    for url in (INTAKE, MEDIATION, reverse("regulators:referrals"), REGISTER):
        assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(INTAKE).url.startswith(reverse("account_login"))


def registration(**fields):
    data = {
        "channel": Channel.PHONE,
        "contact_phone": "13655556666",
        "consumer_name": "赵六",
        "name": "迎泽区无名小吃店",
        "region_0": "140000",
        "region_1": "140100",
        "region_2": "140106",
        "subject": "饭菜变质",
        "facts": "在店内用餐后腹泻。",
        "claim_remedy": "compensation",
        "claim": "赔偿医药费",
        "amount_claimed": "300.00",
    }
    data.update(fields)
    return data


def test_a_complaint_by_phone_is_registered_for_a_new_consumer(client, olivia, offices):
    sign_in(client, olivia)
    response = client.post(REGISTER, registration())
    case = Case.objects.get()
    assert response.url == reverse("cases:detail", args=[case.number])
    assert (case.channel, case.filed_by, case.contact_phone) == (
        Channel.PHONE,
        olivia,
        "13655556666",
    )
    assert case.consumer.phone == "13655556666" and case.consumer.email is None
    assert (case.status, case.office) == (Status.REGULATOR_INTAKE, offices["140106"])


def test_the_consumer_is_matched_by_phone_and_a_known_business_chosen(client, olivia, alice, acme):
    sign_in(client, olivia)
    client.post(
        REGISTER,
        registration(channel=Channel.HOTLINE_12345, contact_phone=alice.phone, merchant=acme.pk),
    )
    case = Case.objects.get()
    assert (case.consumer, case.merchant, case.status) == (alice, acme, Status.SUBMITTED)
    assert Merchant.objects.count() == 1


def test_bad_input_is_shown_at_once_and_nothing_is_saved(client, olivia, offices):
    sign_in(client, olivia)
    response = client.post(
        REGISTER, registration(contact_phone="12345", facts="", region_2="", channel="web")
    )
    assert response.status_code == 422
    assert {"contact_phone", "facts", "region", "channel"} <= set(response.context["form"].errors)
    assert not Case.objects.exists()


@pytest.mark.parametrize("referrals", [1, 8])
def test_the_referrals_run_a_fixed_number_of_queries(
    client, file_case, olivia, sam, referrals, django_assert_num_queries
):
    referred = []
    for _ in range(referrals):
        case = intake_case(file_case)
        services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        services.referral_open(case=case, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 10))
        referred.append(case.number)
    sign_in(client, sam)
    # Session, user with its role rows, the second-factor check, the office, the subtree ids,
    # the page of referrals with their cases, merchants and offices.
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        response = client.get(reverse("regulators:referrals"))
    assert sorted(r["row"].case.number for r in response.context["rows"]) == sorted(referred)
    assert response.content.decode().count("<tr data-case=") == referrals
