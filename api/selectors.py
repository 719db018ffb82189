"""Reads of the API app."""

from django.db.models import QuerySet

from .models import ApiToken


def api_token_list_for_merchant(merchant) -> QuerySet[ApiToken]:
    """The merchant's tokens, newest first, revoked ones included (they stay on the record)."""
    return (
        ApiToken.objects.filter(account__merchant=merchant)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )
