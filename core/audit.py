"""The audit log's one writer (product §6): who did what, when, from where, with what outcome.

Call ``audit_record`` wherever something worth auditing happens: sign-ins (wired to allauth's
signals in ``accounts.signals``), a 404 answered to a signed-in user, an unmasked view of contact
details, an export of personal data. A 404 that no view recorded with its own target (a case
number, a page) is recorded by ``core.middleware.NotFoundAuditMiddleware``: every "not found"
answered to a signed-in person is in the log exactly once.

``ODR_TRUSTED_PROXY_HEADER`` (set from the environment variable ``ODR_TRUSTED_CLIENT_IP_HEADER``;
default ``None``) names the ``request.META`` key a trusted reverse
proxy fills with the client's address, e.g. ``"HTTP_X_FORWARDED_FOR"`` or ``"HTTP_X_REAL_IP"``.
Leave it unset unless every request passes through that proxy: the header is otherwise whatever
the client chose to send.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from .models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

    from accounts.models import User

# The serialised ``detail`` is kept small: an entry is a fact, not a dump.
DETAIL_MAX_CHARS = 2000


def audit_record(
    actor: User | AnonymousUser | None,
    action: AuditEntry.Action | str,
    target: str,
    outcome: AuditEntry.Outcome | str,
    request: HttpRequest | None = None,
    *,
    target_type: str = "",
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    ``actor`` is the signed-in user, or ``None`` (an anonymous visitor is taken as ``None``);
    ``actor_label`` says who it was when there is no user (the login typed at a failed sign-in)
    and defaults to what the user signs in with (the email, or the mobile number). ``target`` is
    short: a case number, an account's email.
    The address and browser come from ``request`` when one is given.

    Overlong values are cut to fit, never refused: recording must not fail because of what a
    visitor typed. An unknown ``action`` or ``outcome`` is a programming error and raises
    ``ValueError``.
    """
    action = AuditEntry.Action(action)
    outcome = AuditEntry.Outcome(outcome)
    user = actor if actor is not None and actor.is_authenticated else None
    if not actor_label and user is not None:
        actor_label = user.login_name
    cut: list[str] = []
    texts = {
        "actor_label": actor_label,
        "target_type": target_type,
        "target": target,
        "user_agent": request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
    }
    values = {name: _fit(name, value, cut) for name, value in texts.items()}
    detail = _small_json(detail or {}, cut)
    if cut:
        detail = {**detail, "truncated": cut}
    if request is not None and action == AuditEntry.Action.NOT_FOUND:
        # The refusal is on record: ``core.middleware.NotFoundAuditMiddleware`` adds no second.
        getattr(request, "_request", request).odr_not_found_recorded = True
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        outcome=outcome,
        ip_address=_client_address(request) if request is not None else None,
        detail=detail,
        **values,
    )


def _fit(name: str, value: object, cut: list[str]) -> str:
    """Return ``value`` as text that fits the column ``name``, noting in ``cut`` when it did not."""
    # PostgreSQL refuses NUL in text; nobody needs it in a log.
    text = str(value or "").replace("\x00", "")
    limit = AuditEntry._meta.get_field(name).max_length
    if len(text) > limit:
        cut.append(name)
        text = text[:limit]
    return text


def _client_address(request: HttpRequest) -> str | None:
    """Return the client's IP address, or ``None`` when the request carries no valid one."""
    header = getattr(settings, "ODR_TRUSTED_PROXY_HEADER", None)
    value = request.META.get(header, "") if header else ""
    # The right-most entry of a forwarded list is the one the trusted proxy wrote; anything to its
    # left came from the client and proves nothing.
    value = value.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    try:
        # A scoped IPv6 address ("fe80::1%eth0") does not fit an inet column; the scope is local.
        return str(ipaddress.ip_address(value.split("%")[0].strip()))
    except ValueError:
        return None


class _DetailEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _small_json(detail: dict[str, Any], cut: list[str]) -> dict[str, Any]:
    """Return ``detail`` as plain JSON, or the start of its text when it is too long to keep."""
    text = json.dumps(detail, cls=_DetailEncoder, ensure_ascii=False)
    # PostgreSQL's jsonb refuses the NUL character; kept as escaped text it is harmless.
    if len(text) > DETAIL_MAX_CHARS or "\\u0000" in text:
        cut.append("detail")
        return {"text": text[:DETAIL_MAX_CHARS]}
    return json.loads(text)
