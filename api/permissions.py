"""What a token may do. Who may see or change a case is never decided here: the engine's
selectors and rules decide it for tokens and sessions alike."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiToken


class TokenScope(BasePermission):
    """A read-only token may not write, and each kind of token works only where it is meant to:
    merchant tokens on the case API, hotline tokens on hotline intake.

    Checked before anything is looked up, so the refusal (403) says nothing about whether the
    object of the request exists.
    """

    code = "token_scope"
    message = _("These credentials cannot be used here.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return not getattr(view, "tokens_only", False)
        allowed = getattr(view, "token_scopes", (ApiToken.Scope.READ, ApiToken.Scope.ACT))
        if token.scope not in allowed:
            return False
        if request.method not in SAFE_METHODS and token.scope == ApiToken.Scope.READ:
            self.code = "token_read_only"
            self.message = _("This token may only read. Ask an owner for a token that may act.")
            return False
        return True
