from django.contrib import admin

from .models import Office, RegulatorMembership


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "region_code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "region_code"]
    raw_id_fields = ["parent"]


@admin.register(RegulatorMembership)
class RegulatorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "office", "role"]
    list_filter = ["role"]
    raw_id_fields = ["user", "office"]
