from django.shortcuts import render

from cases.models import Status
from cases.selectors import case_list_for_office
from core.decorators import role_required


@role_required("regulator")
def home(request, membership):
    cases = case_list_for_office(membership.office)
    return render(
        request,
        "regulators/home.html",
        {
            "membership": membership,
            "office": membership.office,
            "intake": cases.filter(status=Status.REGULATOR_INTAKE).order_by("intake_due_at")[:50],
            "mediation": cases.filter(status=Status.MEDIATION).order_by("mediation_due_at")[:50],
        },
    )
