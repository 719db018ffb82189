# allauth's admin of authenticators first, so that it is replaced below whatever the order of
# the apps (it shows ``data``: the TOTP secret and the recovery codes' seed).
import allauth.mfa.admin  # noqa: F401
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "phone", "phone_verified", "is_staff", "is_active"]
    search_fields = ["email", "name", "phone"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["name", "phone", "phone_verified"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    # A number becomes verified only by the code sent to it (accounts.adapter).
    readonly_fields = ["phone_verified"]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Who has which second factor and when it was last used, never what makes its codes.

    An authenticator's ``data`` (the TOTP secret, the recovery codes' seed) is not shown, even
    encrypted (accounts.mfa), nor can an admin make or change one: only its owner sets it up. An
    admin may delete one, for someone who lost their phone: whoever must have a second factor
    is then asked to set up a new one at their next sign-in (accounts.middleware).
    """

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__phone", "user__name"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
