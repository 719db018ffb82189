"""The merchant's inbox (product §2): every case against the merchant, by the deadline the
merchant must meet next, with filters, counts (overdue per status) and bulk acknowledgement."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Status
from cases.services import case_acknowledge
from core.calendar import current_calendar
from core.decorators import role_required
from core.errors import DomainError

from ..selectors import (
    DUE_SOON_WORKING_DAYS,
    InboxFilter,
    case_list_for_merchant,
    inbox_counts,
    inbox_page,
    inbox_rows,
)

# At most this many cases are acknowledged by one click (one page of the inbox and then some).
BULK_MAX = 100


@role_required("merchant")
def home(request: HttpRequest, membership) -> HttpResponse:
    merchant = membership.merchant
    if not merchant.receives_complaints_directly:  # applied, rejected, suspended or exited
        return redirect("merchants:status")
    flt = InboxFilter.from_params(request.GET)
    now, calendar = timezone.now(), current_calendar()
    page = inbox_page(merchant, flt, cursor=request.GET.get("after"), now=now, calendar=calendar)
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "merchants/home.html",
        {
            "membership": membership,
            "merchant": merchant,
            "filter": flt,
            "rows": inbox_rows(page.rows, now=now, calendar=calendar),
            "page": page,
            "counts": inbox_counts(merchant, now=now, calendar=calendar),
            "due_soon_days": DUE_SOON_WORKING_DAYS,
            "statuses": Status.choices,
            "query_string": params.urlencode(),
        },
    )


@require_POST
@role_required("merchant")
def acknowledge_many(request: HttpRequest, membership) -> HttpResponse:
    """Acknowledge the ticked cases, each through the service with its own event; report every
    case that could not be acknowledged, and why."""
    numbers = list(dict.fromkeys(request.POST.getlist("case")))[:BULK_MAX]
    cases = case_list_for_merchant(membership.merchant).filter(number__in=numbers)
    found = {case.number: case for case in cases}
    done, refused = [], []
    for number in numbers:
        case = found.get(number)
        if case is None:
            refused.append((number, _("No such case among this merchant's complaints.")))
            continue
        try:
            case_acknowledge(case=case, actor=request.user)
        except DomainError as error:
            refused.append((number, error.message))
        else:
            done.append(number)
    if done:
        messages.success(
            request,
            _("Acknowledged %(count)d case(s): %(numbers)s.")
            % {"count": len(done), "numbers": ", ".join(done)},
        )
    for number, reason in refused:
        messages.error(
            request,
            _("%(number)s was not acknowledged: %(reason)s") % {"number": number, "reason": reason},
        )
    if not numbers:
        messages.warning(request, _("Tick the cases to acknowledge first."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("merchants:home")
    return redirect(back)
