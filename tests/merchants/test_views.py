"""The merchant's home page: the open complaints against their business (product §2)."""

import pytest
from django.urls import reverse

from cases import services
from tests import factories as f
from tests.conftest import at, sign_in


@pytest.mark.parametrize("rows", [1, 40])
def test_home_query_count_does_not_grow_with_the_cases(
    client, file_case, mallory, rows, django_assert_num_queries
):
    for _ in range(rows):
        file_case(consumer=f.ConsumerFactory())  # each from another consumer
    withdrawn = file_case()
    services.case_withdraw(case=withdrawn, actor=withdrawn.consumer, now=at(2026, 3, 3, 9))
    file_case(merchant=f.MerchantFactory())  # against another merchant
    sign_in(client, mallory)
    with django_assert_num_queries(6):
        response = client.get(reverse("merchants:home"))
    assert response.status_code == 200
    assert len(response.context["cases"]) == rows


def test_home_lists_only_open_cases_against_the_merchant(client, file_case, mallory, bob):
    listed = file_case()
    withdrawn = file_case()
    services.case_withdraw(case=withdrawn, actor=withdrawn.consumer, now=at(2026, 3, 3, 9))
    file_case(consumer=bob, merchant=f.MerchantFactory())
    sign_in(client, mallory)
    response = client.get(reverse("merchants:home"))
    assert list(response.context["cases"]) == [listed]


@pytest.mark.parametrize("persona", ["alice", "sam"])
def test_only_merchant_staff_open_the_merchant_home(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(reverse("merchants:home")).status_code == 403
