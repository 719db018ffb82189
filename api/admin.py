from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, ServiceAccount
from .services import api_tokens_revoke_by_admin


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "office", "created_at"]
    raw_id_fields = ["user", "merchant", "office"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owners (merchant portal, or `manage.py hotline_token`); admins
    see them and can revoke them, never read them."""

    list_display = ["name", "prefix", "scope", "account", "created_at", "expires_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the chosen tokens"))
    def revoke(self, request, queryset) -> None:
        count = api_tokens_revoke_by_admin(queryset, actor=request.user, now=timezone.now())
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS
        )
