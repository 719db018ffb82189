"""Token authentication: ``Authorization: Bearer odr_…``.

A token acts as its merchant's (or office's) service account (``api.models``). A live token
authenticates whatever else was tried from its address. A token that does not exist counts
against the client address's allowance of failures (``api_auth_failed``, a few a minute), and
once that is used up such a token is answered 429 instead of 401: a guesser is slowed, while the
integrations that share its address (a carrier's NAT, a cloud's egress) go on working. A revoked
or expired token is refused with its own code and not counted, since whoever holds it held a
real token.
"""

from typing import NoReturn

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .services import api_token_find, api_token_used
from .throttling import AuthFailureThrottle

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            self._refuse_unknown(request, _("Send the token as “Authorization: Bearer <token>”."))
        try:
            text = parts[1].decode("ascii")
        except UnicodeDecodeError:
            text = ""
        # Looked up first (one indexed query on the token's hash): whether a token is live must
        # not depend on what other tokens from the same address did.
        token = api_token_find(text)
        if token is None:
            self._refuse_unknown(request, _("This token is not valid."))
        if token.revoked_at is not None or not token.account.user.is_active:
            raise exceptions.AuthenticationFailed(
                _("This token is not valid."), code="token_invalid"
            )
        now = timezone.now()
        if now >= token.expires_at:
            raise exceptions.AuthenticationFailed(
                _("This token has expired. Ask an owner for a new one."), code="token_expired"
            )
        api_token_used(token, now)
        return token.account.user, token

    @staticmethod
    def _refuse_unknown(request, message: str) -> NoReturn:
        """Refuse a token that does not exist: 401, counted against the address's allowance of
        failures, or 429 once the address has used it up (``Retry-After``: the seconds until
        its oldest counted failure is a period old)."""
        failures = AuthFailureThrottle()
        if failures.exhausted(request):
            raise exceptions.Throttled(wait=failures.wait())
        failures.record()
        raise exceptions.AuthenticationFailed(message, code="token_invalid")

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the token (``Authorization: Bearer odr_…``)."""

    target_class = BearerTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
