"""The callback list (回访, SAMR Order 121; product §7): the closed cases sampled each night into
the owning office's list, to call the consumer back. The call is recorded on the case page
(``RECORD_CALLBACK``), which only the owning office may do."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases.models import CallbackVisit
from core.audit import audit_record
from core.decorators import role_required
from core.models import AuditEntry

from ..models import RegulatorMembership
from ..selectors import callback_page

STATES = ("pending", "done", "all")


@role_required("regulator")
def callbacks(request: HttpRequest, membership) -> HttpResponse:
    """The callback list: the office's own for an officer, the subtree's for a supervisor; the
    cases not called back yet by default. The consumers' phones are shown unmasked, so the page
    is recorded in the audit log with the cases it listed (product §6)."""
    state = request.GET.get("state", "")
    if state not in STATES:
        state = "pending"
    page = callback_page(membership, state=state, cursor=request.GET.get("after"))
    if page.rows:
        audit_record(
            request.user,
            AuditEntry.Action.CONTACT_UNMASKED,
            "callbacks",
            AuditEntry.Outcome.SUCCESS,
            request,
            target_type="callback_list",
            detail={"cases": [sample.case.number for sample in page.rows]},
        )
    return render(
        request,
        "regulators/callbacks/list.html",
        {
            "office": membership.office,
            "supervisor": membership.role == RegulatorMembership.Role.SUPERVISOR,
            "state": state,
            "page": page,
            "satisfaction": dict(CallbackVisit.Satisfaction.choices),
            "query_string": f"state={state}",
        },
    )
