"""Onboarding (入驻, product §3): applying, the application's status and history, applying again
after a rejection, and the business profile its owners keep up to date."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import regulator_membership
from core.errors import DomainError
from core.regions import region_full_name
from regulators.models import Office

from ..forms import UNDERTAKING_TEXT, ApplicationForm, ProfileForm
from ..models import MerchantMembership
from ..services import merchant_apply, merchant_profile_update
from ._access import merchant_staff_page, not_found


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    """Apply to onboard: anyone signed in who is on no merchant's staff (a consumer may own a
    business too), or a rejected merchant's owner applying again (the form shows the last
    application). Other staff see their merchant's status instead."""
    if regulator_membership(request.user) is not None:
        raise not_found(request)
    membership = (
        MerchantMembership.objects.select_related("merchant").filter(user=request.user).first()
    )
    merchant = membership.merchant if membership is not None else None
    if merchant is not None and (
        membership.role != MerchantMembership.Role.OWNER or not merchant.can_apply
    ):
        return redirect("merchants:status")
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                merchant_apply(
                    request.user,
                    name=data["name"],
                    credit_code=data["credit_code"],
                    region_code=data["region"],
                    address=data["address"],
                    industry=data["industry"],
                    contact_phone=data["contact_phone"],
                    undertaking=data["undertaking"],
                    pledges=data["pledges"],
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("Your application has been sent. The market regulator will review it."),
                )
                return redirect("merchants:status")
    else:
        form = ApplicationForm(
            initial=ApplicationForm.initial_for(merchant) if merchant is not None else None
        )
    return render(
        request,
        "merchants/onboarding/apply.html",
        {"form": form, "merchant": merchant, "undertaking_text": UNDERTAKING_TEXT},
        status=422 if form.errors else 200,
    )


@merchant_staff_page()
def status(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The merchant's ODR status, the regulator's reason and the history, for all its staff."""
    merchant = membership.merchant
    return render(
        request,
        "merchants/onboarding/status.html",
        {
            "membership": membership,
            "merchant": merchant,
            "region": region_full_name(merchant.region_code),
            "office": Office.objects.for_region(merchant.region_code),
            "history": merchant.history.order_by("-created_at", "-pk"),
            "is_owner": membership.role == MerchantMembership.Role.OWNER,
        },
    )


@merchant_staff_page(owners_only=True)
def profile(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The contact phone, address, industry and pledges, which owners change themselves."""
    merchant = membership.merchant
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                merchant_profile_update(
                    merchant=merchant, actor=request.user, request=request, **form.cleaned_data
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("The business profile has been saved."))
                return redirect("merchants:profile")
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(merchant))
    return render(
        request,
        "merchants/onboarding/profile.html",
        {
            "form": form,
            "membership": membership,
            "merchant": merchant,
            "region": region_full_name(merchant.region_code),
        },
        status=422 if form.errors else 200,
    )
