"""The merchant's figures for a chosen period (product §3), aggregated by the database."""

from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.deadlines import local_date
from core.decorators import role_required
from core.forms import DateInput

from ..selectors import merchant_dashboard

# The longest period one request may ask for, and the default (the twelve months to today).
MAX_PERIOD_DAYS = 3 * 366
DEFAULT_PERIOD_DAYS = 365


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period comes before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        return cleaned


@role_required("merchant")
def dashboard(request: HttpRequest, membership) -> HttpResponse:
    if not membership.merchant.staff_handle_cases:  # applied or rejected: no complaints yet (§6)
        return redirect("merchants:status")
    today = local_date(timezone.now())
    default = {"start": today - timedelta(days=DEFAULT_PERIOD_DAYS), "end": today}
    form = PeriodForm(request.GET or None, initial=default)
    period = form.cleaned_data if form.is_bound and form.is_valid() else default
    figures = merchant_dashboard(membership.merchant, period["start"], period["end"])
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
