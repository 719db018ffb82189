"""Token authentication: ``Authorization: Bearer odr_…``.

A token acts as its merchant's (or office's) service account (``api.models``). A token that does
not exist counts against the client address's allowance of failures (``api_auth_failed``); a
revoked or expired one is refused with its own code, since whoever holds it held a real token.
"""

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
        failures = AuthFailureThrottle()
        if failures.exhausted(request):
            raise exceptions.Throttled(wait=failures.wait())
        if len(parts) != 2:
            failures.record()
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”."), code="token_invalid"
            )
        try:
            text = parts[1].decode("ascii")
        except UnicodeDecodeError:
            text = ""
        token = api_token_find(text)
        now = timezone.now()
        if token is None or token.revoked_at is not None or not token.account.user.is_active:
            if token is None:
                failures.record()
            raise exceptions.AuthenticationFailed(
                _("This token is not valid."), code="token_invalid"
            )
        if now >= token.expires_at:
            raise exceptions.AuthenticationFailed(
                _("This token has expired. Ask an owner for a new one."), code="token_expired"
            )
        api_token_used(token, now)
        return token.account.user, token

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
