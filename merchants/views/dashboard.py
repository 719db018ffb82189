"""The merchant's figures for a chosen period (product §3), aggregated by the database."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import local_date
from core.decorators import role_required
from core.forms import PeriodForm

from ..selectors import merchant_dashboard


@role_required("merchant")
def dashboard(request: HttpRequest, membership) -> HttpResponse:
    if not membership.merchant.staff_handle_cases:  # applied or rejected: no complaints yet (§6)
        return redirect("merchants:status")
    form, start, end = PeriodForm.period(request.GET, today=local_date(timezone.now()))
    figures = merchant_dashboard(membership.merchant, start, end)
    return render(
        request,
        "merchants/dashboard.html",
        {
            "merchant": membership.merchant,
            "form": form,
            "figures": figures,
            "chart": {
                "labels": [week for week, _n in figures["weekly"]],
                "counts": [n for _week, n in figures["weekly"]],
                "label": str(_("Complaints filed per week")),
            },
        },
    )
