"""Webhooks for merchant integrations (product §3, docs/webhooks.md).

Owners register endpoints (``webhook_endpoint_create``) for some of ``WebhookEndpoint.Event``.
The outbox (``cases.notifications.outbox_write``) asks ``webhook_name_for`` which webhook event
a case event is and writes a ``WebhookDelivery`` with ``webhook_body`` in the transaction that
records it; the relay sends it with ``webhook_post`` and keeps the count of attempts.

Every URL is checked against server-side request forgery when it is registered and again at
each delivery: the host is resolved and every address it resolves to must be public, and the
delivery connects to the address that was checked (a second lookup cannot swap it for an
internal one). Redirects are not followed.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import CaseEvent, Status
from core.errors import ActionNotAllowed, ValidationFailed
from core.models import OUTBOX_DUE_AT_ONCE

from .models import WebhookDelivery, WebhookEndpoint
from .selectors import merchant_owned_by

E = CaseEvent.Type
W = WebhookEndpoint.Event

SIGNATURE_HEADER = "X-ODR-Signature"
# How old a signature's timestamp may be before a receiver refuses it (seconds).
SIGNATURE_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
# Endpoints one merchant may register.
MAX_ENDPOINTS = 10

# Case event type -> webhook event, for the events named by their type.
_BY_TYPE: dict[str, str] = {
    E.FILED: W.CASE_SUBMITTED,
    E.MESSAGE_POSTED: W.CASE_MESSAGE,
    E.OFFER_ACCEPTED: W.OFFER_ACCEPTED,
    E.OFFER_REJECTED: W.OFFER_REJECTED,
}
# The statuses from which arriving at the regulator is an escalation (not a transfer).
_ESCALATED_FROM = {Status.SUBMITTED, Status.NEGOTIATING, Status.NOT_SETTLED, Status.SETTLED}
# What of an event's data a delivery carries: ids, codes, amounts and dates, never free text or
# anything about the consumer (the API has the case itself).
_DATA_KEYS = (
    "from",
    "to",
    "resolution",
    "channel",
    "order_reference",
    "amount_claimed",
    "claim_remedy",
    "message",
    "party",
    "offer",
    "proposer",
    "remedy",
    "amount",
    "fulfil_by",
    "final",
    "agreement",
    "kind",
    "deadline",
    "due_at",
    "reason_code",
)


def webhook_name_for(event: CaseEvent) -> str | None:
    """Return the webhook event that ``event`` is, or None (internal events never are)."""
    if event.internal:
        return None
    if event.type in _BY_TYPE:
        return _BY_TYPE[event.type]
    if event.type == E.MEDIATION_CONCLUDED and event.data.get("offer"):
        return W.OFFER_ACCEPTED  # the mediator's proposal, accepted by both parties
    to, old = event.data.get("to"), event.data.get("from")
    if to == Status.CLOSED:
        return W.CASE_CLOSED
    if to == Status.REGULATOR_INTAKE and old in _ESCALATED_FROM:
        return W.CASE_ESCALATED
    return None


def webhook_body(event: CaseEvent, name: str) -> str:
    """Return the JSON body of a delivery of ``event`` as ``name`` (docs/webhooks.md).

    ``id`` is the same for every delivery of the event (retries, redeliveries, every endpoint),
    so that a receiver can ignore one it has already handled.
    """
    case = event.case
    payload = {
        "id": f"{case.number}.{event.seq}",
        "type": name,
        "created_at": event.created_at.isoformat(),
        "case": {"number": case.number, "status": case.status, "resolution": case.resolution},
        "event": {
            "seq": event.seq,
            "type": event.type,
            "data": {k: event.data[k] for k in _DATA_KEYS if k in event.data},
        },
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# --- Signatures ---------------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header's value: ``t=<unix time>,v1=<hex HMAC-SHA256>`` of
    ``"<t>." + body`` under ``secret``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def webhook_signature_verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """Return whether ``header`` signs ``body`` under ``secret`` with a timestamp no more than
    ``tolerance`` seconds from ``now`` (what a receiver does; docs/webhooks.md)."""
    fields: dict[str, list[str]] = {}
    for part in (header or "").split(","):
        key, _sep, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


# --- Where a webhook may go ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked webhook URL: where to connect (a public address of the host) and what to ask."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def _allowed_networks() -> list:
    return [ipaddress.ip_network(a, strict=False) for a in settings.ODR_WEBHOOK_ALLOWED_ADDRESSES]


# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway forwards to: NAT64's well-known
# and local-use prefixes (RFC 6052, RFC 8215) and the deprecated IPv4-compatible form (::a.b.c.d).
_EMBEDDING_PREFIXES = [
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped (::ffff:a.b.c.d), 6to4 (2002::/16),
    Teredo (server and client), NAT64 and IPv4-compatible forms."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if int(ip) > 1 and any(ip in prefix for prefix in _EMBEDDING_PREFIXES):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _ip_allowed(ip) -> bool:
    if any(ip in network for network in _allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast


def address_is_public(address: str) -> bool:
    """Return whether a webhook may go to ``address``: a public unicast address, or one in
    ``ODR_WEBHOOK_ALLOWED_ADDRESSES``. Private, loopback, link-local, shared, reserved and
    multicast addresses are refused; an IPv6 address that leads to an IPv4 one (mapped, 6to4,
    Teredo, NAT64, IPv4-compatible) is judged by that IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and (embedded := _embedded_ipv4(ip)):
        return all(_ip_allowed(v4) for v4 in embedded)
    return _ip_allowed(ip)


def webhook_target(url: str) -> Target:
    """Check ``url`` and resolve its host; return where to deliver, or raise ValidationFailed.

    Called when an endpoint is registered and again before every delivery.
    """
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise ValidationFailed(_("Enter a valid URL."), code="invalid_url", field="url") from None
    allowed_schemes = {"https"} if settings.ODR_WEBHOOK_REQUIRE_HTTPS else {"https", "http"}
    if parts.scheme not in allowed_schemes or not parts.hostname:
        message = (
            _("Enter a URL that starts with https://.")
            if settings.ODR_WEBHOOK_REQUIRE_HTTPS
            else _("Enter a URL that starts with https:// or http://.")
        )
        raise ValidationFailed(message, code="invalid_url", field="url")
    if parts.username or parts.password:
        raise ValidationFailed(
            _("A webhook URL cannot carry a user name or a password."),
            code="invalid_url",
            field="url",
        )
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed(
            _("The host name of this URL could not be resolved."),
            code="unresolvable_host",
            field="url",
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses or not all(address_is_public(a) for a in addresses):
        raise ValidationFailed(
            _(
                "Webhooks go only to public internet addresses: this host resolves to a "
                "private, loopback or link-local one."
            ),
            code="address_not_allowed",
            field="url",
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the address that was checked, whatever the host resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS; the certificate is checked against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_post(delivery: WebhookDelivery) -> Outcome:
    """Send one delivery, signed now; return the answer's status or why there was none.

    Any 2xx answer is a success; anything else, a redirect included, is a failure. Never raises
    for what the network or the receiver does.
    """
    endpoint = delivery.endpoint
    try:
        target = webhook_target(endpoint.url)
    except ValidationFailed as refused:
        return Outcome(None, refused.message)
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "ODR-Webhooks/1",
        "X-ODR-Event": delivery.name,
        "X-ODR-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(endpoint.secret, int(time.time()), body),
    }
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, settings.ODR_WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()
    return Outcome(response.status, "" if 200 <= response.status < 300 else response.reason[:500])


# --- Owners' services and reads ------------------------------------------------------------------


def _require_owner(merchant, actor) -> None:
    if not merchant_owned_by(actor, merchant):
        raise ActionNotAllowed(_("Only the business's owners manage webhooks."), code="not_owner")


def _events_check(events) -> list[str]:
    chosen = [e for e in W.values if e in set(events or [])]
    if not chosen:
        raise ValidationFailed(_("Choose at least one event."), code="required", field="events")
    return chosen


def webhook_endpoint_create(
    *,
    merchant,
    actor,
    url: str,
    events: list[str],
    description: str = "",
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register ``url`` for ``events`` of ``merchant``; return the endpoint and its secret.

    The secret is returned this once, to be shown to the owner; it signs every delivery.
    """
    _require_owner(merchant, actor)
    if WebhookEndpoint.objects.filter(merchant=merchant).count() >= MAX_ENDPOINTS:
        raise ValidationFailed(
            _("A business may register at most %(count)d webhooks.") % {"count": MAX_ENDPOINTS},
            code="too_many",
            field="url",
        )
    url = (url or "").strip()
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationFailed(_("This URL is too long."), code="too_long", field="url")
    webhook_target(url)
    chosen = _events_check(events)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        merchant=merchant,
        url=url,
        description=(description or "").strip()[:200],
        events=chosen,
        secret=secret,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    return endpoint, secret


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor, enabled: bool) -> WebhookEndpoint:
    """Enable or disable an endpoint. Enabling starts the count of failures afresh; what was
    pending while it was disabled is sent."""
    _require_owner(endpoint.merchant, actor)
    endpoint.enabled = enabled
    if enabled:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
    else:
        endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["enabled", "consecutive_failures", "disabled_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Remove an endpoint and its delivery log."""
    _require_owner(endpoint.merchant, actor)
    endpoint.delete()


def webhook_redeliver(
    *, delivery: WebhookDelivery, actor, now: datetime | None = None
) -> WebhookDelivery:
    """Queue the same body again for the same endpoint (a new row of the log, signed afresh
    when it is sent)."""
    _require_owner(delivery.endpoint.merchant, actor)
    with transaction.atomic():
        return WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_id=delivery.event_id,
            name=delivery.name,
            body=delivery.body,
            redelivery_of=delivery,
            created_at=now or timezone.now(),
            next_attempt_at=OUTBOX_DUE_AT_ONCE,
        )


def webhook_endpoints_for_merchant(merchant):
    return WebhookEndpoint.objects.filter(merchant=merchant).order_by("created_at", "pk")


def webhook_endpoint_get(merchant, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(merchant=merchant, pk=pk).first()


def webhook_deliveries_for_endpoint(endpoint: WebhookEndpoint):
    """The endpoint's delivery log, newest first (the page takes a keyset page of it)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint)
