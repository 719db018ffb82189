from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import CalendarOverride, CalendarYear


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "published"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.published:
            from cases.tasks import recompute_provisional_deadlines

            transaction.on_commit(recompute_provisional_deadlines.delay)
            messages.info(request, _("Open provisional deadlines are being recomputed."))
