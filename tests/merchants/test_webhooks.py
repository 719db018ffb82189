"""Webhooks for merchant integrations (product §3, docs/webhooks.md): signed deliveries through
the outbox, each event received exactly once, retries with pauses kept in the database, endpoints
disabled after a run of failures with the owners told, no delivery to private addresses."""

import hashlib
import hmac
import importlib.util
import json
import re
import socket
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from cases import services
from cases.models import Notification
from cases.notifications import outbox_relay
from core.errors import ActionNotAllowed, ValidationFailed
from merchants import webhooks
from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.webhooks import (
    webhook_endpoint_create,
    webhook_signature,
    webhook_signature_verify,
    webhook_target,
)
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import at, sign_in
from tests.notifications.receiver import WebhookReceiver

ALL = WebhookEndpoint.Event.values
BODY = b'{"id":"20260302-K7QX4MNP.1","type":"case.submitted"}'
NOW = 1_772_600_000


@pytest.fixture
def webhook_settings(settings):
    """Webhooks over plain HTTP to 127.0.0.1 only, where the test receiver listens."""
    settings.ODR_WEBHOOK_REQUIRE_HTTPS = False
    settings.ODR_WEBHOOK_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.ODR_WEBHOOK_TIMEOUT_SECONDS = 2.0
    return settings


@pytest.fixture
def receiver(webhook_settings):
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def agent(acme):
    return f.MerchantMembershipFactory(merchant=acme, role="agent").user


@pytest.fixture
def endpoint(receiver, acme, mallory):
    created, receiver.secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url=receiver.url, events=ALL, now=at(2026, 3, 1, 9)
    )
    return created


def lifecycle(file_case, alice, bob, mallory):
    """Two cases through every webhook event: filed, a message, an offer accepted; another
    filed, a final offer rejected, escalated; the first one's agreement confirmed (closed)."""
    first = file_case()
    services.case_post_message(case=first, actor=alice, body="请处理", now=at(2026, 3, 2, 11))
    offer(first, mallory, at(2026, 3, 3, 9))
    services.offer_accept(case=first, actor=alice, now=at(2026, 3, 3, 10))
    services.agreement_confirm(case=first, actor=alice, now=at(2026, 3, 3, 12))
    second = file_case(consumer=bob)
    offer(second, mallory, at(2026, 3, 3, 9), is_final=True, fulfil_by=date(2026, 3, 20))
    services.offer_reject(case=second, actor=bob, reason="金额太低", now=at(2026, 3, 3, 11))
    services.case_escalate(case=second, actor=bob, now=at(2026, 3, 3, 12))
    return first, second


# --- The signature ------------------------------------------------------------------------------


def test_the_signature_is_an_hmac_sha256_of_the_timestamp_and_the_body():
    expected = hmac.new(b"whsec_test", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert webhook_signature("whsec_test", NOW, BODY) == f"t={NOW},v1={expected}"
    header = webhook_signature("whsec_test", NOW, BODY)
    assert webhook_signature_verify("whsec_test", header, BODY, now=NOW + 10)


def test_a_tampered_body_fails_verification():
    header = webhook_signature("whsec_test", NOW, BODY)
    tampered = BODY.replace(b"case.submitted", b"case.closed")
    assert not webhook_signature_verify("whsec_test", header, tampered, now=NOW)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_an_old_or_future_timestamp_fails_verification(age):
    header = webhook_signature("whsec_test", NOW, BODY)
    assert not webhook_signature_verify("whsec_test", header, BODY, now=NOW + age)
    assert webhook_signature_verify("whsec_test", header, BODY, now=NOW + 299)


@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", f"v1={'0' * 64}", f"t={NOW}", f"t={NOW},v1={'0' * 64}"],
)
def test_a_missing_or_wrong_signature_fails_verification(header):
    assert not webhook_signature_verify("whsec_test", header, BODY, now=NOW)
    signed_otherwise = webhook_signature("whsec_other", NOW, BODY)
    assert not webhook_signature_verify("whsec_test", signed_otherwise, BODY, now=NOW)


# --- Delivery through the outbox ----------------------------------------------------------------


def test_every_event_reaches_the_receiver_exactly_once_after_one_failed_attempt(
    receiver, endpoint, file_case, alice, bob, mallory
):
    receiver.fail_first = True
    lifecycle(file_case, alice, bob, mallory)
    deliveries = endpoint.deliveries.order_by("pk")
    assert sorted(deliveries.values_list("name", flat=True)) == sorted(
        [
            "case.submitted",
            "case.message",
            "offer.accepted",
            "case.closed",
            "case.submitted",
            "offer.rejected",
            "case.escalated",
        ]
    )

    now = at(2026, 3, 4, 10)
    assert outbox_relay(now=now).webhooks_failed == 7  # the receiver answers 500 the first time
    assert {d.next_attempt_at for d in deliveries} == {now + timedelta(seconds=30)}
    assert outbox_relay(now=now + timedelta(seconds=29)).webhooks_failed == 0  # not due yet
    assert outbox_relay(now=now + timedelta(seconds=30)).webhooks_delivered == 7
    assert outbox_relay(now=now + timedelta(hours=1)).webhooks_delivered == 0  # nothing twice

    assert all(request["verified"] for request in receiver.requests)
    assert len(receiver.requests) == 14
    assert set(receiver.accepted.values()) == {1} and len(receiver.accepted) == 7
    assert all(r["path"] == "/odr/hook?source=test" for r in receiver.requests)
    assert all(r["event_header"] == r["type"] for r in receiver.requests)
    assert set(deliveries.values_list("status", "attempts", "response_status")) == {
        ("delivered", 2, 200)
    }
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.enabled


def test_only_the_chosen_events_are_sent(receiver, acme, mallory, file_case, alice, bob):
    closed_only, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url=receiver.url, events=["case.closed"]
    )
    lifecycle(file_case, alice, bob, mallory)
    assert list(closed_only.deliveries.values_list("name", flat=True)) == ["case.closed"]


def test_another_merchants_cases_are_never_sent(receiver, endpoint, file_case, trent):
    file_case(merchant=trent.merchant_membership.merchant)
    assert not endpoint.deliveries.exists()


def test_the_body_carries_facts_never_free_text_or_the_consumers_details(
    endpoint, file_case, alice
):
    case = file_case(order_reference="JD-123")
    services.case_post_message(
        case=case, actor=alice, body="我的电话13812341234", now=at(2026, 3, 2, 11)
    )
    submitted, message = endpoint.deliveries.order_by("pk")
    body = json.loads(submitted.body)
    assert body["id"] == f"{case.number}.1" and body["type"] == "case.submitted"
    assert body["case"] == {"number": case.number, "status": "submitted", "resolution": ""}
    assert body["event"]["data"]["order_reference"] == "JD-123"
    for text in ("耳机无法开机", "13812341234", "王爱丽", "alice@example.cn", "sha256"):
        assert text not in submitted.body and text not in message.body
    posted = json.loads(message.body)["event"]["data"]
    assert posted == {"message": case.messages.get().pk, "party": "consumer"}


def test_a_mediators_proposal_accepted_by_both_is_sent_as_accepted_offers(
    receiver, endpoint, file_case, alice, mallory, olivia
):
    case = file_case()
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 8))
    services.case_decline(case=case, actor=mallory, reason="无法退款", now=at(2026, 3, 3, 9))
    services.case_escalate(case=case, actor=alice, now=at(2026, 3, 3, 10))
    services.case_accept(case=case, actor=olivia, now=at(2026, 3, 4, 9))
    offer(case, olivia, at(2026, 3, 4, 10))
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 11))
    services.offer_accept(case=case, actor=mallory, now=at(2026, 3, 4, 12))
    accepted = [
        json.loads(d.body)["event"]
        for d in endpoint.deliveries.filter(name="offer.accepted").order_by("pk")
    ]
    assert [(e["type"], e["data"]["party"]) for e in accepted] == [
        ("offer_accepted", "consumer"),
        ("mediation_concluded", "merchant"),
    ]


def test_regulator_only_notes_are_never_sent(receiver, acme, mallory, file_case, alice, olivia):
    webhook_endpoint_create(merchant=acme, actor=mallory, url=receiver.url, events=ALL)
    case = file_case()
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 8))
    services.case_decline(case=case, actor=mallory, reason="无法退款", now=at(2026, 3, 3, 9))
    services.case_escalate(case=case, actor=alice, now=at(2026, 3, 3, 10))
    services.case_post_message(
        case=case, actor=olivia, body="内部", internal=True, now=at(2026, 3, 3, 11)
    )
    names = list(WebhookDelivery.objects.order_by("pk").values_list("name", flat=True))
    assert names == ["case.submitted", "case.escalated"]


def test_a_delivery_given_up_can_be_redelivered_by_an_owner(
    client, receiver, endpoint, file_case, mallory, settings
):
    settings.ODR_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.failing = True
    file_case()
    now = at(2026, 3, 4, 10)
    outbox_relay(now=now)
    outbox_relay(now=now + timedelta(minutes=1))
    [delivery] = endpoint.deliveries.all()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)

    receiver.failing = False
    sign_in(client, mallory)
    page = client.get(reverse("merchants:webhook", args=[endpoint.pk])).content.decode()
    assert "HTTP 500" in page
    redeliver = reverse("merchants:webhook_redeliver", args=[endpoint.pk, delivery.pk])
    assert client.post(redeliver).status_code == 302
    assert outbox_relay(now=now + timedelta(minutes=2)).webhooks_delivered == 1
    again = endpoint.deliveries.get(redelivery_of=delivery)
    assert (again.status, again.body) == ("delivered", delivery.body)
    assert dict(receiver.accepted) == {json.loads(delivery.body)["id"]: 1}


def test_an_endpoint_is_disabled_after_a_run_of_failures_and_its_owners_are_told(
    receiver, endpoint, acme, mallory, agent, file_case, settings
):
    settings.ODR_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    other_owner = f.MerchantMembershipFactory(merchant=acme, role="owner").user
    receiver.failing = True
    for day in (2, 3):
        file_case(now=at(2026, 3, day, 10))
    now = at(2026, 3, 4, 10)
    outbox_relay(now=now)  # two failures
    # Both retried at once (sent in parallel): the third failure disables the endpoint, the
    # fourth was already under way.
    outbox_relay(now=now + timedelta(seconds=30))
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.consecutive_failures) == (False, 4)
    notices = Notification.objects.filter(kind=Notification.Kind.WEBHOOK_DISABLED)
    assert {n.user for n in notices} == {mallory, other_owner}  # the agent is not told
    assert {n.email for n in notices} == {Notification.Email.PENDING}

    mail.outbox = []
    outbox_relay(now=now + timedelta(minutes=5))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mallory.email, other_owner.email])
    assert all(receiver.url.split("?")[0] in m.body for m in mail.outbox)
    assert len(receiver.requests) == 4  # a disabled endpoint is not tried

    # Enabled again by an owner, it receives what was waiting.
    receiver.failing = False
    webhooks.webhook_endpoint_enable(endpoint=endpoint, actor=mallory, enabled=True)
    assert outbox_relay(now=now + timedelta(hours=1)).webhooks_delivered == 2


def test_the_address_is_checked_again_at_every_delivery(receiver, endpoint, file_case, settings):
    file_case()
    settings.ODR_WEBHOOK_ALLOWED_ADDRESSES = []  # 127.0.0.1 is loopback: refused from now on
    assert outbox_relay(now=at(2026, 3, 4, 10)).webhooks_failed == 1
    [delivery] = endpoint.deliveries.all()
    assert delivery.response_status is None and "公网" in delivery.error
    assert receiver.requests == []


def test_a_host_that_resolves_elsewhere_at_delivery_is_not_reached(
    receiver, acme, mallory, file_case, monkeypatch
):
    """A name that resolved to a public address when it was registered and to a private one
    later (DNS rebinding) is refused at delivery."""
    answers = {"hooks.example.cn": "93.184.215.14"}

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    endpoint, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url="http://hooks.example.cn/odr", events=ALL
    )
    answers["hooks.example.cn"] = "10.1.2.3"
    file_case()
    assert outbox_relay(now=at(2026, 3, 4, 10)).webhooks_failed == 1
    assert "公网" in endpoint.deliveries.get().error


# --- Where webhooks may go (SSRF) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
        # IPv6 forms that lead to an internal IPv4 address through a gateway.
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "https://[64:ff9b:1::a00:5]/hook",  # local-use NAT64 of 10.0.0.5
        "https://[2002:c0a8:101::1]/hook",  # 6to4 of 192.168.1.1
        "https://[::10.0.0.5]/hook",  # IPv4-compatible
        "https://[2001:0:4136:e378:8000:63bf:f5ff:fffa]/hook",  # Teredo, client 10.0.0.5
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url):
    with pytest.raises(ValidationFailed) as refused:
        webhook_target(url)
    assert refused.value.code == "address_not_allowed" and refused.value.field == "url"


def test_a_host_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.7", port)),
        ]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)
    with pytest.raises(ValidationFailed):
        webhook_target("https://hooks.example.cn/odr")


@pytest.mark.parametrize(
    "address", ["64:ff9b::5db8:d70e", "2002:5db8:d70e::1", "93.184.215.14", "2606:4700::1111"]
)
def test_addresses_that_lead_to_public_ones_are_accepted(address):
    assert webhooks.address_is_public(address)


def test_a_public_address_is_accepted():
    target = webhook_target("https://93.184.215.14:8443/odr?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/odr?x=1")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://93.184.215.14/hook", "invalid_url"),  # https only outside DEBUG
        ("ftp://93.184.215.14/hook", "invalid_url"),
        ("https://user:secret@93.184.215.14/hook", "invalid_url"),
        ("hooks.example.cn/odr", "invalid_url"),
        ("https://no-such-host.invalid/hook", "unresolvable_host"),
    ],
)
def test_urls_that_are_not_https_or_do_not_resolve_are_refused(url, code):
    with pytest.raises(ValidationFailed) as refused:
        webhook_target(url)
    assert refused.value.code == code


def test_the_test_setting_lets_only_the_addresses_it_names_through(webhook_settings):
    assert webhook_target("http://127.0.0.1:8080/hook").address == "127.0.0.1"
    with pytest.raises(ValidationFailed):
        webhook_target("http://127.0.0.2:8080/hook")


def test_http_is_accepted_in_debug(settings):
    settings.ODR_WEBHOOK_REQUIRE_HTTPS = False  # its default follows DEBUG
    assert webhook_target("http://93.184.215.14/hook").port == 80


# --- The owners' pages --------------------------------------------------------------------------


def test_an_owner_registers_a_webhook_and_sees_its_secret_once(
    client, webhook_settings, receiver, acme, mallory
):
    sign_in(client, mallory)
    response = client.post(
        reverse("merchants:webhooks"),
        {"url": receiver.url, "events": ["case.submitted", "case.closed"], "description": "ERP"},
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(merchant=acme)
    assert endpoint.events == ["case.submitted", "case.closed"]
    shown = re.search(r"whsec_[\w-]+", response.content.decode()).group(0)
    assert shown == endpoint.secret
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert endpoint.secret not in client.get(reverse("merchants:webhooks")).content.decode()
    detail = client.get(reverse("merchants:webhook", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in detail


def visible_text(html: str) -> str:
    """What a reader sees of a page: its text without tags (attributes such as title left out)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_webhook_pages_name_events_by_their_labels_not_their_codes(
    client, receiver, acme, mallory, file_case
):
    created, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url=receiver.url, events=["case.submitted", "case.closed"]
    )
    file_case()  # a delivery of case.submitted to the log
    sign_in(client, mallory)
    listing = client.get(reverse("merchants:webhooks")).content.decode()
    detail = client.get(reverse("merchants:webhook", args=[created.pk])).content.decode()

    with translation.override("zh-hans"):
        filed = capfirst(gettext("a complaint is filed"))
        closed = capfirst(gettext("a case is closed"))
    for page in (listing, detail):
        events = re.search(r'<ul[^>]*data-testid="webhook-events".*?</ul>', page, re.S).group(0)
        assert visible_text(events).split() == [filed, closed]
        # The code stays in the title, for developers.
        assert 'title="case.submitted"' in events and 'title="case.closed"' in events
    log = re.search(r'<table[^>]*data-testid="deliveries".*?</table>', detail, re.S).group(0)
    assert filed in visible_text(log) and "case.submitted" not in visible_text(log)
    # The form offers each event by its label first, the code after it in small print.
    form = re.search(r'<form[^>]*data-testid="webhook-form".*?</form>', listing, re.S).group(0)
    label = re.search(r'<label[^>]*for="id_events_0"[^>]*>(.*?)</label>', form, re.S).group(1)
    assert visible_text(label).split() == [filed, "case.submitted"]


def test_the_new_secret_has_a_button_that_copies_it(client, webhook_settings, receiver, mallory):
    sign_in(client, mallory)
    response = client.post(
        reverse("merchants:webhooks"), {"url": receiver.url, "events": ["case.closed"]}
    )
    page = response.content.decode()
    secret = re.search(r'<code[^>]*id="new-secret-text"[^>]*>(whsec_[\w-]+)</code>', page)
    assert secret and secret.group(1) == WebhookEndpoint.objects.get().secret
    assert re.search(r'<button[^>]*data-copy="new-secret-text"', page)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"url": "https://10.0.0.5/hook", "events": ["case.closed"]}, "公网"),
        ({"url": "http://93.184.215.14/hook", "events": ["case.closed"]}, "https://"),
        ({"url": "https://93.184.215.14/hook"}, ""),
    ],
)
def test_a_refused_registration_is_shown_beside_the_field(client, acme, mallory, posted, message):
    sign_in(client, mallory)
    response = client.post(reverse("merchants:webhooks"), posted)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_every_error_of_the_form_is_shown_at_once(client, acme, mallory):
    sign_in(client, mallory)
    response = client.post(reverse("merchants:webhooks"), {"url": "https://10.0.0.5/hook"})
    errors = response.context["form"].errors
    assert response.status_code == 422 and set(errors) == {"url", "events"}
    assert "公网" in errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_agents_and_outsiders_get_not_found(client, acme, agent, trent, alice, olivia, mallory):
    endpoint, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url="https://93.184.215.14/hook", events=ALL
    )
    pages = [
        ("get", reverse("merchants:webhooks")),
        ("get", reverse("merchants:webhook", args=[endpoint.pk])),
        ("post", reverse("merchants:webhook_enable", args=[endpoint.pk])),
        ("post", reverse("merchants:webhook_remove", args=[endpoint.pk])),
    ]
    for person in (agent, trent, alice, olivia):
        sign_in(client, person)
        for method, url in pages:
            if person == trent and url == reverse("merchants:webhooks"):
                continue  # trent owns another business: his own list, without acme's
            assert getattr(client, method)(url).status_code == 404, (person, url)
    sign_in(client, trent)
    assert endpoint.url not in client.get(reverse("merchants:webhooks")).content.decode()
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists()
    with pytest.raises(ActionNotAllowed):
        webhook_endpoint_create(merchant=acme, actor=agent, url=endpoint.url, events=ALL)


def test_owners_see_the_webhooks_link_in_the_navigation_and_agents_do_not(
    client, acme, mallory, agent
):
    link = reverse("merchants:webhooks")
    sign_in(client, mallory)
    assert link in client.get(reverse("merchants:home")).content.decode()
    sign_in(client, agent)
    assert link not in client.get(reverse("merchants:home")).content.decode()


def test_an_owner_disables_enables_and_deletes_a_webhook(client, acme, mallory):
    endpoint, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url="https://93.184.215.14/hook", events=ALL
    )
    sign_in(client, mallory)
    url = reverse("merchants:webhook_enable", args=[endpoint.pk])
    client.post(url, {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_at is not None
    client.post(url, {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_at is None
    client.post(reverse("merchants:webhook_remove", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("rows", [3, 40])
def test_the_delivery_log_runs_a_fixed_number_of_queries(
    client, acme, mallory, file_case, rows, django_assert_num_queries
):
    endpoint, _secret = webhook_endpoint_create(
        merchant=acme, actor=mallory, url="https://93.184.215.14/hook", events=ALL
    )
    for i in range(rows):
        file_case(now=at(2026, 3, 2, 10, i))
    sign_in(client, mallory)
    # Session, user with its role rows, the membership's merchant, the endpoint, the page of the
    # log, the navigation's unread notifications.
    with django_assert_num_queries(6):
        response = client.get(reverse("merchants:webhook", args=[endpoint.pk]))
    assert len(response.context["page"].rows) == min(rows, 25)


# --- The documentation --------------------------------------------------------------------------


def documented_verify_signature():
    """Return ``verify_signature`` as docs/webhooks.md gives it to integrators."""
    text = (settings.BASE_DIR / "docs" / "webhooks.md").read_text()
    [snippet] = [
        block
        for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL)
        if "def verify_signature" in block
    ]
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)
    return namespace["verify_signature"]


def example_client_verify_signature():
    """Return ``verify_signature`` of the example integration, docs/api-client-example.py."""
    path = settings.BASE_DIR / "docs" / "api-client-example.py"
    spec = importlib.util.spec_from_file_location("api_client_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.verify_signature


@pytest.mark.parametrize("where", ["docs/webhooks.md", "docs/api-client-example.py"])
def test_the_documented_verification_checks_real_deliveries(
    receiver, endpoint, file_case, mallory, where
):
    verify_signature = (
        documented_verify_signature()
        if where == "docs/webhooks.md"
        else example_client_verify_signature()
    )
    signed = []
    original = webhooks.webhook_signature

    def keep(secret, timestamp, body):
        header = original(secret, timestamp, body)
        signed.append((header, body))
        return header

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks, "webhook_signature", keep)
        file_case()
        outbox_relay()
    header, body = signed[0]  # the sender's (the receiver's own check computes one too)
    clock = int(header.split(",")[0][2:])
    assert verify_signature(endpoint.secret, header, body, now=clock + 1)
    assert not verify_signature(endpoint.secret, header, body + b" ", now=clock + 1)
    assert not verify_signature(endpoint.secret, header, body, now=clock + 301)
    assert not verify_signature("whsec_wrong", header, body, now=clock + 1)


def test_the_example_receiver_drops_a_second_copy_of_a_delivery(
    receiver, endpoint, file_case, mallory
):
    path = settings.BASE_DIR / "docs" / "api-client-example.py"
    spec = importlib.util.spec_from_file_location("api_client_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    file_case()
    outbox_relay(now=at(2026, 3, 2, 10, 1))
    [delivery] = WebhookDelivery.objects.all()
    # The same delivery again (as after a lost answer), then its redelivery by an owner.
    again = webhooks.webhook_redeliver(delivery=delivery, actor=mallory)
    seen: set[str] = set()
    bodies = [delivery.body.encode(), delivery.body.encode(), again.body.encode()]
    assert [example.delivery_is_new(seen, body) for body in bodies] == [True, False, False]


@pytest.mark.parametrize("endpoints", [1, 8])
def test_the_list_runs_a_fixed_number_of_queries(
    client, acme, mallory, endpoints, django_assert_num_queries
):
    made = [
        webhook_endpoint_create(
            merchant=acme, actor=mallory, url=f"https://93.184.215.14/hook/{i}", events=ALL
        )[0]
        for i in range(endpoints)
    ]
    sign_in(client, mallory)
    # Session, user with its role rows, the membership with its merchant (3); the endpoints (1).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(5):
        response = client.get(reverse("merchants:webhooks"))
    assert [e.pk for e in response.context["endpoints"]] == [e.pk for e in made]
    body = response.content.decode()
    assert all(f'data-testid="webhook-{e.pk}"' in body for e in made)
