"""Public tracking's guard against guessing (product §6).

A look-up that matches no case (no such number, or the wrong phone: one answer for both) is a
failure. Failures are counted in allauth's rate limits on the shared cache, with the limits in
``ACCOUNT_RATE_LIMITS``:

- ``track_failed``: per address whatever the number (one address guessing many numbers), and per
  case number and address (one address guessing one case's phone);
- ``track_failed_number``: per case number from every address together (many addresses guessing
  one case's phone).

Counting per case number *and address* keeps a guesser at one address from locking the consumer
out: the right phone from another address still works until the all-addresses limit, which is set
well above what one address may do. Every failure, and every look-up refused by a limit, is
written to the audit log.
"""

import ipaddress

from allauth import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.http import HttpRequest

from core.audit import audit_record
from core.models import AuditEntry
from core.ratelimits import wait_seconds

TRACK_FAILED = "track_failed"
TRACK_FAILED_NUMBER = "track_failed_number"


def _address(request: HttpRequest) -> str:
    """Return the client's address as allauth's per-address limits count it: an IPv6 address by
    its network (``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, /64), which one subscriber holds whole."""
    address = get_adapter(request).get_client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network(f"{ip}/{prefix}", strict=False).network_address)
    return str(ip)


def _limits(request: HttpRequest, number: str) -> list[tuple[str, str]]:
    return [(TRACK_FAILED, f"{number}@{_address(request)}"), (TRACK_FAILED_NUMBER, number)]


def tracking_allowed(request: HttpRequest, number: str) -> bool:
    """Return whether a look-up of ``number`` may be tried from this request's address: not once
    a limit of failed look-ups is reached. Counts nothing."""
    return all(
        ratelimit.consume(request, action=action, key=key, dry_run=True)
        for action, key in _limits(request, number)
    )


def tracking_wait_seconds(request: HttpRequest, number: str) -> int:
    """How long until a refused look-up of ``number`` from this address is let through."""
    limits = _limits(request, number)
    return wait_seconds(request, [action for action, _key in limits], keys=dict(limits))


def tracking_failure_record(request: HttpRequest, number: str, *, refused: bool) -> None:
    """Record a look-up of ``number`` that showed no case: count it against the limits, unless a
    limit refused it before the look-up (``refused``), and write it to the audit log."""
    if not refused:
        for action, key in _limits(request, number):
            ratelimit.consume(request, action=action, key=key)
    audit_record(
        None,
        AuditEntry.Action.TRACK_FAILED,
        number,
        AuditEntry.Outcome.DENIED if refused else AuditEntry.Outcome.FAILED,
        request,
        target_type="case",
        detail={"step": "rate_limit" if refused else "lookup"},
    )
