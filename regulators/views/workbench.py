from django.shortcuts import render

from cases.models import Status
from cases.selectors import case_list_for_office
from core.decorators import role_required


@role_required("regulator")
def home(request, membership):
    office = membership.office
    return render(
        request,
        "regulators/home.html",
        {
            "membership": membership,
            "office": office,
            "intake": case_list_for_office(office, status=Status.REGULATOR_INTAKE)[:50],
            "mediation": case_list_for_office(office, status=Status.MEDIATION)[:50],
        },
    )
