from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError

from . import services
from .models import Merchant, MerchantEvent, MerchantInvitation, MerchantMembership


class ReviewActionForm(ActionForm):
    """The admin's action bar, with the reason that rejecting, suspending and exiting need."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"size": 60}),
    )


class MerchantEventInline(admin.TabularInline):
    model = MerchantEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _review_action(service, needs_reason: bool, description):
    """An admin action that takes each chosen merchant through ``service`` (the same services the
    regulator uses, so the transition table, the permission and the history all apply)."""

    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "").strip()
        done = 0
        for merchant in queryset.order_by("pk"):
            try:
                if needs_reason:
                    service(merchant, request.user, reason)
                else:
                    service(merchant, request.user)
            except DomainError as error:
                modeladmin.message_user(request, f"{merchant}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(
                request, _("%(count)d merchant(s) updated.") % {"count": done}, messages.SUCCESS
            )

    action.__name__ = f"odr_{service.__name__}"
    action.short_description = description
    action.allowed_permissions = ("change",)
    return action


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "region_code", "odr_status"]
    list_filter = ["odr_status"]
    search_fields = ["name", "credit_code"]
    # The ODR status moves only through the actions below, which record the history.
    readonly_fields = ["odr_status", "odr_status_reason", "undertaking_accepted_at"]
    inlines = [MerchantEventInline]
    action_form = ReviewActionForm
    actions = [
        _review_action(services.merchant_approve, False, gettext_lazy("Approve the application")),
        _review_action(
            services.merchant_reject, True, gettext_lazy("Reject the application (reason)")
        ),
        _review_action(services.merchant_suspend, True, gettext_lazy("Suspend (reason)")),
        _review_action(services.merchant_reinstate, True, gettext_lazy("Reinstate")),
        _review_action(services.merchant_exit, True, gettext_lazy("Exit from ODR (reason)")),
    ]


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role"]
    raw_id_fields = ["user", "merchant"]


@admin.register(MerchantInvitation)
class MerchantInvitationAdmin(admin.ModelAdmin):
    """Invitations are sent and answered on the portal; the admin only shows them."""

    list_display = ["email", "merchant", "role", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["merchant"]
    search_fields = ["email", "merchant__name"]
    exclude = ["token_sha256"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
