"""Case pages from the outside: who can open what (DESIGN §2) and public tracking."""

import pytest
from django.urls import reverse

from cases import services
from tests import factories as f
from tests.conftest import at


@pytest.fixture
def case(file_case, alice, mallory):
    case = file_case()
    services.case_post_message(case=case, actor=mallory, body="我们正在核实", now=at(2026, 3, 3, 9))
    return case


@pytest.fixture
def intake_case(file_case, olivia):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_post_message(
        case=case, actor=olivia, body="内部备注：需核实资质", internal=True, now=at(2026, 3, 3, 9)
    )
    return case


def sign_in(client, user):
    """Sign ``user`` in; regulator staff first get their (required) second factor."""
    from accounts.roles import regulator_membership
    from accounts.totp import totp_activate_with_secret

    if regulator_membership(user):
        totp_activate_with_secret(user, "JBSWY3DPEHPK3PXP")
    client.force_login(user)


def detail(case):
    return reverse("cases:detail", args=[case.number])


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_parties_open_the_case(client, case, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(detail(case))
    assert response.status_code == 200
    assert "我们正在核实" in response.content.decode()


@pytest.mark.parametrize("persona", ["bob", "trent", "yves"])
def test_outsiders_get_not_found(client, case, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(detail(case)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, case):
    response = client.get(detail(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_supervising_office_can_read_and_sees_internal_notes(client, intake_case, sam):
    sign_in(client, sam)
    response = client.get(detail(intake_case))
    assert response.status_code == 200
    assert "内部备注" in response.content.decode()
    assert response.context["actions"] == []


def test_regulator_notes_never_reach_the_parties(client, intake_case, alice):
    sign_in(client, alice)
    response = client.get(detail(intake_case))
    assert response.status_code == 200
    assert "内部备注" not in response.content.decode()


def test_deadlines_show_with_their_provisional_mark(client, file_case, alice):
    case = file_case(now=at(2026, 12, 28, 10))
    sign_in(client, alice)
    body = client.get(detail(case)).content.decode()
    assert 'data-deadline="settle"' in body
    assert "deadline-provisional" in body


def test_tracking_needs_the_number_and_the_phone(client, case):
    url = reverse("cases:track")
    found = client.post(url, {"number": case.number, "phone": "13812341234"})
    assert found.context["case"] == case
    assert 'data-testid="tracked-case"' in found.content.decode()
    wrong = client.post(url, {"number": case.number, "phone": "13900001111"})
    assert wrong.context["case"] is None
    assert wrong.context["form"].non_field_errors()
    assert case.subject not in wrong.content.decode()


def test_tracking_page_shows_no_personal_data(client, case):
    response = client.post(reverse("cases:track"), {"number": case.number, "phone": "13812341234"})
    body = response.content.decode()
    assert "王爱丽" not in body and "13812341234" not in body.replace('value="13812341234"', "")


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [("alice", "consumers:home"), ("mallory", "merchants:home"), ("sam", "regulators:home")],
)
def test_home_lists_use_a_fixed_number_of_queries(
    client, file_case, persona, url_name, request, django_assert_max_num_queries
):
    for _ in range(3):
        file_case()
        file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    sign_in(client, request.getfixturevalue(persona))
    with django_assert_max_num_queries(12):
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    listed = response.context["intake"] if persona == "sam" else response.context["cases"]
    assert len(listed) == {"alice": 6, "mallory": 3, "sam": 3}[persona]
