from django.contrib import admin

from core.audit import audit_record
from core.models import AuditEntry

from .models import Case, CaseEvent, DeadlinePolicy, Referral


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "settle_working_days", "intake_working_days", "updated_at"]

    def has_add_permission(self, request):
        return not DeadlinePolicy.objects.exists()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Cases change only through the services; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "resolution", "merchant", "office", "filed_at"]
    list_filter = ["status", "resolution", "channel"]
    search_fields = ["number"]
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show one case, recorded in the audit log: the page holds the complaint and the
        consumer's contact details unmasked (product §6)."""
        response = super().change_view(request, object_id, form_url, extra_context)
        case = response.context_data.get("original") if response.status_code == 200 else None
        if case is not None:
            audit_record(
                request.user,
                AuditEntry.Action.CONTACT_UNMASKED,
                case.number,
                AuditEntry.Outcome.SUCCESS,
                request,
                target_type="case_admin",
            )
        return response


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "seq", "type", "created_at"]
    list_filter = ["type"]
    raw_id_fields = ["case"]
    show_full_result_count = False


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["case", "law", "status", "decide_due_at"]
    list_filter = ["status"]
