from django.shortcuts import render

from cases.selectors import case_list_for_consumer
from core.decorators import role_required


@role_required("consumer")
def home(request, membership):
    return render(
        request,
        "consumers/home.html",
        {"cases": case_list_for_consumer(request.user)[:100]},
    )
