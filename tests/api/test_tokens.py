"""API tokens (docs/api.md): owners make, name, scope, list and revoke them in the merchant
portal; a token is shown once, stored as its SHA-256, expires, records its last use, and acts as
the merchant's API user."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from api.models import ApiToken, ServiceAccount
from api.services import api_token_create, api_token_revoke, hotline_token_create
from cases import services
from cases.models import CaseEvent
from core.errors import ActionNotAllowed
from merchants.models import MerchantMembership
from tests import factories as f
from tests.conftest import at, sign_in

TOKENS = reverse("merchants:tokens")
ME = "/api/v1/me/"


def make_token(client, name="ERP", scope="act"):
    response = client.post(TOKENS, {"name": name, "scope": scope})
    assert response.status_code == 200
    return response, response.context["created"]["text"]


@pytest.fixture
def owner_client(client, mallory):
    sign_in(client, mallory)
    return client


def test_an_owner_makes_a_token_shown_once_and_stored_as_its_hash(owner_client, acme, bearer):
    response, text = make_token(owner_client, name="ERP 接口")
    assert text.startswith("odr_") and len(text) > 40
    assert text in response.content.decode()
    token = ApiToken.objects.get()
    assert token.name == "ERP 接口" and token.scope == ApiToken.Scope.ACT
    assert token.key_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(ApiToken.objects.values().get())
    # Listed by name and prefix, never shown again.
    listing = owner_client.get(TOKENS).content.decode()
    assert "ERP 接口" in listing and token.prefix in listing and text not in listing
    assert bearer(text).get(ME).json()["merchant"]["id"] == acme.pk


def test_a_token_is_named_as_a_thing_not_as_a_person(owner_client, acme_token):
    page = owner_client.get(TOKENS).content.decode()
    field_label = re.search(r'<label[^>]*for="id_name"[^>]*>\s*([^<*]+)', page).group(1).strip()
    column = re.search(r'<table[^>]*data-testid="tokens".*?<th[^>]*>([^<]+)</th>', page, re.S)
    assert (field_label, column.group(1)) == ("名称", "名称")  # 姓名 is a person's name


def test_the_new_token_has_a_button_that_copies_it(owner_client):
    response, text = make_token(owner_client)
    page = response.content.decode()
    field = re.search(r'<input[^>]*id="new-token-text"[^>]*>', page).group(0)
    assert f'value="{text}"' in field
    button = re.search(r'<button[^>]*data-copy="new-token-text"[^>]*>([^<]*)</button>', page)
    assert button and button.group(1) == "复制"
    assert 'data-copied="已复制"' in button.group(0)
    # Its script is the portal's own, served with the page: nothing is fetched from elsewhere.
    assert re.search(r'<script src="/static/js/odr\.js"', page)


def test_the_token_page_is_the_owners_alone(client, acme, acme_token, trent):
    agent = f.MerchantMembershipFactory(merchant=acme, role=MerchantMembership.Role.AGENT).user
    for person in (agent, f.ConsumerFactory()):
        sign_in(client, person)
        assert client.get(TOKENS).status_code == 404
        assert client.post(TOKENS, {"name": "x", "scope": "act"}).status_code == 404
    # Another merchant's owner sees that merchant's tokens only.
    sign_in(client, trent)
    assert acme_token[0].prefix not in client.get(TOKENS).content.decode()
    assert ApiToken.objects.count() == 1


def test_the_navigation_links_owners_to_their_tokens(owner_client):
    assert f'href="{TOKENS}"' in owner_client.get(reverse("merchants:staff")).content.decode()


def test_a_token_acts_as_the_merchants_api_user_in_the_event_chain(
    owner_client, acme, file_case, bearer
):
    case = file_case()
    _response, text = make_token(owner_client)
    answer = bearer(text).post(f"/api/v1/cases/{case.number}/actions/acknowledge/")
    assert answer.status_code == 200
    account = ServiceAccount.objects.get(merchant=acme)
    event = CaseEvent.objects.get(case=case, type=CaseEvent.Type.ACKNOWLEDGED)
    assert event.actor == account.user
    assert account.user.name == f"{acme.name} API"
    assert not account.user.has_usable_password()
    assert account.user.merchant_membership.role == MerchantMembership.Role.AGENT


def test_a_read_only_token_reads_and_is_refused_every_write_with_403(
    acme_read_token, file_case, bearer
):
    case = file_case()
    client = bearer(acme_read_token[1])
    assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200
    for number in (case.number, "20260302-ZZZZZZZZ"):  # the same answer whether it exists
        response = client.post(f"/api/v1/cases/{number}/actions/acknowledge/")
        assert response.status_code == 403
        assert response.json()["code"] == "token_read_only"
    assert not CaseEvent.objects.filter(type=CaseEvent.Type.ACKNOWLEDGED).exists()


def test_a_token_expires(acme, mallory, bearer, settings, time_machine):
    settings.ODR_API_TOKEN_DAYS = 30
    token, text = api_token_create(
        merchant=acme, actor=mallory, name="ERP", scope="act", now=at(2026, 3, 1, 9)
    )
    assert token.expires_at == at(2026, 3, 31, 9)
    time_machine.move_to(at(2026, 3, 31, 8, 59), tick=False)
    assert bearer(text).get(ME).status_code == 200
    time_machine.move_to(at(2026, 3, 31, 9), tick=False)
    response = bearer(text).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_at_once(owner_client, acme, bearer):
    _response, text = make_token(owner_client)
    token = ApiToken.objects.get()
    assert bearer(text).get(ME).status_code == 200
    response = owner_client.post(reverse("merchants:token_revoke", args=[token.pk]), follow=True)
    assert "已撤销" in response.content.decode() or "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    answer = bearer(text).get(ME)
    assert answer.status_code == 401 and answer.json()["code"] == "token_invalid"


def test_another_merchants_owner_cannot_revoke_a_token(client, acme_token, trent):
    sign_in(client, trent)
    assert (
        client.post(reverse("merchants:token_revoke", args=[acme_token[0].pk])).status_code == 404
    )
    with pytest.raises(ActionNotAllowed):
        api_token_revoke(token=acme_token[0], actor=trent)
    acme_token[0].refresh_from_db()
    assert acme_token[0].revoked_at is None


def test_a_token_records_its_last_use_to_the_minute(acme_token, bearer, time_machine):
    token, text = acme_token
    assert token.last_used_at is None
    time_machine.move_to(at(2026, 3, 4, 10), tick=False)
    bearer(text).get(ME)
    token.refresh_from_db()
    assert token.last_used_at == at(2026, 3, 4, 10)
    time_machine.move_to(at(2026, 3, 4, 10, 0, 30), tick=False)
    bearer(text).get(ME)
    token.refresh_from_db()
    assert token.last_used_at == at(2026, 3, 4, 10)  # not written again within the minute
    time_machine.move_to(at(2026, 3, 4, 10, 2), tick=False)
    bearer(text).get(ME)
    token.refresh_from_db()
    assert token.last_used_at == at(2026, 3, 4, 10, 2)


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer odr_unknown", "Token x"])
def test_malformed_or_unknown_tokens_are_refused(db, api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] in {"token_invalid", "not_authenticated"}


def test_no_credentials_is_401_with_a_bearer_challenge(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": response.json()["message"],
        "field": None,
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_owner_removed_from_the_staff_api_user_is_put_back_by_a_new_token(
    acme, mallory, acme_token, bearer
):
    account = ServiceAccount.objects.get(merchant=acme)
    MerchantMembership.objects.filter(user=account.user).delete()
    assert bearer(acme_token[1]).get("/api/v1/merchant/inbox/").status_code == 404
    api_token_create(merchant=acme, actor=mallory, name="again", scope="read")
    assert bearer(acme_token[1]).get("/api/v1/merchant/inbox/").status_code == 200


def test_a_session_user_uses_the_api_with_csrf(client, alice, file_case):
    case = file_case()
    sign_in(client, alice)
    client.handler.enforce_csrf_checks = True
    url = f"/api/v1/cases/{case.number}/actions/post_message/"
    refused = client.post(url, {"body": "你好"}, content_type="application/json")
    assert refused.status_code == 403
    client.get(reverse("cases:detail", args=[case.number]))
    csrf = client.cookies["csrftoken"].value
    done = client.post(
        url, {"body": "你好"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert done.status_code == 200, done.content


def test_hotline_tokens_are_made_by_the_offices_supervisors(offices, sam, olivia, yves):
    with pytest.raises(ActionNotAllowed):
        hotline_token_create(office=offices["140105"], actor=olivia, name="12345")
    with pytest.raises(ActionNotAllowed):
        hotline_token_create(office=offices["140105"], actor=sam, name="12345")  # not sam's
    token, text = hotline_token_create(office=offices["140100"], actor=sam, name="12345")
    assert token.scope == ApiToken.Scope.HOTLINE and text.startswith("odr_")


def test_the_hotline_token_command_prints_the_token_once(offices, sam, capsys):
    call_command("hotline_token", "140100", "sam@samr.cn", "--name", "太原 12345")
    printed = capsys.readouterr().out
    text = re.search(r"odr_\S+", printed).group(0)
    token = ApiToken.objects.get()
    assert token.key_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert token.account.office == offices["140100"] and token.name == "太原 12345"


def test_making_tokens_is_throttled(owner_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api_token_create": "2/h",
        },
    }
    make_token(owner_client, name="one")
    make_token(owner_client, name="two")
    response = owner_client.post(TOKENS, {"name": "three", "scope": "read"})
    assert response.status_code == 429
    assert ApiToken.objects.count() == 2


def test_a_token_works_until_its_expiry_set_from_the_setting(owner_client, settings):
    settings.ODR_API_TOKEN_DAYS = 365
    make_token(owner_client)
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == timedelta(days=365)


def test_services_are_what_changes_a_case_through_a_token(acme_token, file_case, bearer, alice):
    """A token's message appears in the thread as the merchant's, like a page's."""
    case = file_case()
    response = bearer(acme_token[1]).post(
        f"/api/v1/cases/{case.number}/actions/post_message/", {"body": "我们已收到"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["created"]["type"] == "message"
    services.case_post_message(case=case, actor=alice, body="好的", now=at(2026, 3, 4, 11))
    thread = bearer(acme_token[1]).get(f"/api/v1/cases/{case.number}/thread/?since=1").json()
    assert [e["message"]["author_party"] for e in thread["thread"] if e["message"]] == [
        "merchant",
        "consumer",
    ]


def test_a_platform_admin_sees_tokens_without_their_text_and_revokes_them(
    client, acme_token, bearer
):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, admin)
    token, text = acme_token
    listing = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token.prefix in listing and text not in listing
    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_by == admin
    assert bearer(text).get(ME).status_code == 401


def test_the_thread_never_shows_a_persons_account_id(acme_token, file_case, bearer, alice, api):
    """The filed event records the consumer's account in the chain; the merchant's thread shows
    the facts without it, so a masked person's complaints cannot be linked by their id."""
    case = file_case()
    thread = bearer(acme_token[1]).get(f"/api/v1/cases/{case.number}/thread/").json()["thread"]
    filed = next(e for e in thread if e["type"] == "filed")
    assert case.events.get(type="filed").data["consumer"] == alice.pk  # kept in the chain
    assert "consumer" not in filed["data"]
    assert filed["data"]["merchant"] == case.merchant_id
    assert f'"consumer": {alice.pk}' not in json.dumps(thread)
