from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, CalendarOverride, CalendarYear
from .signals import calendar_published


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
            calendar_published.send(sender=CalendarYear, year=obj.year)
            messages.info(request, _("Open provisional deadlines are being recomputed."))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, for platform admins to read: nothing here adds, changes or deletes."""

    list_display = [
        "created_at",
        "action",
        "outcome",
        "actor_label",
        "target_type",
        "target",
        "ip_address",
    ]
    list_filter = ["action", "outcome"]
    search_fields = ["target", "actor__email", "actor_label"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    # The log grows without bound; counting every row for the "show all" link would be slow.
    show_full_result_count = False
    fields = [
        "created_at",
        "action",
        "outcome",
        "actor",
        "actor_label",
        "ip_address",
        "user_agent",
        "target_type",
        "target",
        "detail",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
