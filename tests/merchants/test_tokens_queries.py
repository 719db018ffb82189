"""The merchant's API tokens page (docs/api.md) runs a fixed number of queries, however many
tokens the merchant has made and revoked."""

import pytest
from django.urls import reverse

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from tests.conftest import sign_in

TOKENS = reverse("merchants:tokens")


@pytest.mark.parametrize("tokens", [1, 8])
def test_the_tokens_page_runs_a_fixed_number_of_queries(
    client, acme, mallory, tokens, django_assert_num_queries
):
    made = []
    for i in range(tokens):
        token, _text = api_token_create(
            merchant=acme, actor=mallory, name=f"ERP {i}", scope=ApiToken.Scope.ACT
        )
        if i % 2 == 0:  # revoked ones stay listed, with who revoked them
            api_token_revoke(token=token, actor=mallory)
        made.append(token.pk)
    sign_in(client, mallory)
    # Session, user with its role rows, the membership with its merchant (3); the tokens with
    # who made and who revoked them (1). +1: the navigation's unread notifications.
    with django_assert_num_queries(5):
        response = client.get(TOKENS)
    assert response.status_code == 200
    assert sorted(t.pk for t in response.context["tokens"]) == sorted(made)
    body = response.content.decode()
    assert all(f'data-testid="token-{pk}"' in body for pk in made)
