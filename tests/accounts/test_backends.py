"""The signed-in person is loaded with the rows that give their roles, in one query."""

import pytest
from django.conf import settings
from django.contrib.auth import load_backend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import (
    Role,
    consumer_profile,
    merchant_membership,
    regulator_membership,
    role_of,
)
from tests.conftest import sign_in


@pytest.mark.parametrize("path", settings.AUTHENTICATION_BACKENDS)
@pytest.mark.parametrize(
    ("persona", "role"),
    [("alice", Role.CONSUMER), ("mallory", Role.MERCHANT), ("olivia", Role.REGULATOR)],
)
def test_each_backend_loads_the_roles_with_the_user(
    path, persona, role, request, django_assert_num_queries
):
    person = request.getfixturevalue(persona)

    with django_assert_num_queries(1):
        user = load_backend(path).get_user(person.pk)
        assert role_of(user) == role
        found = [regulator_membership(user), merchant_membership(user), consumer_profile(user)]

    assert sum(row is not None for row in found) == 1


def test_an_inactive_account_is_not_signed_in(alice):
    alice.is_active = False
    alice.save()

    assert all(
        load_backend(path).get_user(alice.pk) is None for path in settings.AUTHENTICATION_BACKENDS
    )


def test_a_page_asks_for_no_role_row_of_its_own(client, alice):
    sign_in(client, alice)

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/my/").status_code == 200

    user_queries = [q["sql"] for q in captured if 'FROM "accounts_user"' in q["sql"]]
    assert len(user_queries) == 1 and "regulators_regulatormembership" in user_queries[0]
    for table in ("regulators_regulatormembership", "merchants_merchantmembership"):
        assert not any(f'FROM "{table}"' in q["sql"] for q in captured)
