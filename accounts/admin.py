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
