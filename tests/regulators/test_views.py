"""The regulator workbench: cases awaiting acceptance and in mediation, for the office and the
offices below it (product §2)."""

import pytest
from django.urls import reverse

from cases import services
from tests import factories as f
from tests.conftest import at, sign_in


def file_with_the_regulator(file_case, region_code):
    return file_case(
        consumer=f.ConsumerFactory(),
        merchant=f.MerchantFactory(region_code=region_code, odr_status="not_onboarded"),
    )


@pytest.mark.parametrize("rows", [1, 40])
def test_home_query_count_does_not_grow_with_the_cases(
    client, file_case, sam, olivia, yves, rows, django_assert_num_queries
):
    # Sam supervises Taiyuan: Xiaodian's and Yingze's cases are on his workbench.
    for i in range(rows):
        file_with_the_regulator(file_case, "140105" if i % 2 else "140106")
        in_mediation = file_with_the_regulator(file_case, "140105" if i % 2 else "140106")
        services.case_accept(
            case=in_mediation, actor=olivia if i % 2 else yves, now=at(2026, 3, 3, 9)
        )
    sign_in(client, sam)
    # Session, user with its role rows, second factor, office, subtree ids, the backlog (2: the
    # counts kept per office, the offices).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(8):
        response = client.get(reverse("regulators:home"))
    assert response.status_code == 200
    backlog = response.context["backlog"]
    assert sum(b["intake"] for b in backlog) == rows
    assert sum(b["mediation"] for b in backlog) == rows


def test_an_office_sees_its_own_cases_not_its_siblings(client, file_case, olivia):
    own = file_with_the_regulator(file_case, "140105")
    file_with_the_regulator(file_case, "140106")
    sign_in(client, olivia)
    response = client.get(reverse("regulators:home"))
    [backlog] = response.context["backlog"]
    assert (backlog["office"].region_code, backlog["intake"]) == ("140105", 1)
    queue = client.get(reverse("regulators:queue", args=["intake"]))
    assert [r["case"] for r in queue.context["rows"]] == [own]


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_only_regulator_staff_open_the_workbench(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(reverse("regulators:home")).status_code == 404
