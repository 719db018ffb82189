from django.shortcuts import render

from cases.selectors import case_list_for_merchant
from core.decorators import role_required


@role_required("merchant")
def home(request, membership):
    return render(
        request,
        "merchants/home.html",
        {
            "membership": membership,
            "merchant": membership.merchant,
            "cases": case_list_for_merchant(membership.merchant, open_only=True)[:50],
        },
    )
