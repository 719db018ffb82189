from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render

from cases.selectors import case_list_for_consumer
from cases.services import case_file
from core.decorators import role_required
from core.errors import ValidationFailed
from merchants.services import merchant_find_or_create_respondent

from .forms import ComplaintForm


@role_required("consumer")
def home(request, membership):
    return render(
        request,
        "consumers/home.html",
        {"cases": case_list_for_consumer(request.user)[:100]},
    )


@role_required("consumer")
def complaint_new(request, membership):
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                merchant = merchant_find_or_create_respondent(
                    name=data["merchant_name"],
                    region_code=data["merchant_region_code"],
                    credit_code=data["merchant_credit_code"],
                    address=data["merchant_address"],
                )
                case = case_file(
                    consumer=request.user,
                    merchant=merchant,
                    subject=data["subject"],
                    facts=data["facts"],
                    claim=data["claim"],
                    amount_claimed=data["amount_claimed"],
                    purchase_date=data["purchase_date"],
                    order_reference=data["order_reference"],
                    consent_contact=data["consent_contact"],
                    consent_disclosure=data["consent_disclosure"],
                )
        except ValidationFailed as error:
            form.add_domain_error(error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("cases:detail", case.number)
    return render(request, "consumers/complaint_new.html", {"form": form})
