from django.contrib import admin

from .models import Merchant, MerchantMembership


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "region_code", "odr_status"]
    list_filter = ["odr_status"]
    search_fields = ["name", "credit_code"]


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role"]
    raw_id_fields = ["user", "merchant"]
