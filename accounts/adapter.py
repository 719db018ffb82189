from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.audit import audit_record
from core.models import AuditEntry


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        return reverse("home")

    def get_signup_redirect_url(self, request) -> str:
        return reverse("consumers:home")

    def pre_authenticate(self, request, **credentials) -> None:
        """An attempt refused by the rate limit never reaches ``authenticate()`` (so Django's
        ``user_login_failed`` is not sent): record it in the audit log here (product §6)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login = credentials.get("email") or credentials.get("username") or ""
            audit_record(
                None,
                AuditEntry.Action.SIGN_IN_FAILED,
                login,
                AuditEntry.Outcome.DENIED,
                request,
                target_type="account",
                actor_label=login,
                detail={"step": "rate_limit"},
            )
            raise
