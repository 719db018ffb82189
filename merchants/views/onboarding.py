"""Onboarding (入驻, product §3): applying, the application's status and history, applying again
after a rejection, and the business profile its owners keep up to date."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.roles import regulator_membership
from cases.evidence import CheckedFile, check_evidence_file
from core.decorators import role_required
from core.downloads import download_response
from core.errors import DomainError, ValidationFailed
from core.regions import region_full_name
from regulators.models import Office

from ..forms import UNDERTAKING_TEXT, ApplicationForm, ProfileForm
from ..models import MerchantMembership
from ..services import merchant_apply, merchant_profile_update


def licence_checked(uploaded) -> CheckedFile:
    """Check the uploaded business licence as evidence is checked; a refusal is the field's."""
    try:
        checked = check_evidence_file(uploaded)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, code=error.code, field="business_licence") from None
    if checked.kind.video:
        raise ValidationFailed(
            _("Attach the licence as a JPEG or PNG photo or a PDF scan."),
            code="file_type",
            field="business_licence",
        )
    return checked


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    """Apply to onboard: anyone signed in who is on no merchant's staff (a consumer may own a
    business too), or a rejected merchant's owner applying again (the form shows the last
    application). Other staff see their merchant's status instead."""
    if regulator_membership(request.user) is not None:
        raise Http404("No such page.")
    membership = (
        MerchantMembership.objects.select_related("merchant").filter(user=request.user).first()
    )
    merchant = membership.merchant if membership is not None else None
    if merchant is not None and (not membership.is_owner or not merchant.can_apply):
        return redirect("merchants:status")
    on_file = merchant is not None and bool(merchant.business_licence)
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES, licence_on_file=on_file)
        if form.is_valid():
            data = form.cleaned_data
            try:
                licence = data["business_licence"]
                merchant_apply(
                    request.user,
                    name=data["name"],
                    credit_code=data["credit_code"],
                    region_code=data["region"],
                    legal_representative=data["legal_representative"],
                    business_licence=licence_checked(licence) if licence else None,
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
            initial=ApplicationForm.initial_for(merchant) if merchant is not None else None,
            licence_on_file=on_file,
        )
    return render(
        request,
        "merchants/onboarding/apply.html",
        {"form": form, "merchant": merchant, "undertaking_text": UNDERTAKING_TEXT},
        status=422 if form.errors else 200,
    )


@role_required("merchant")
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
            "is_owner": membership.is_owner,
        },
    )


@require_GET
@role_required("merchant", owners_only=True)
def licence(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The business licence on file, for the merchant's owners."""
    merchant = membership.merchant
    if not merchant.business_licence:
        raise Http404("No such page.")
    return download_response(
        merchant.business_licence,
        merchant.business_licence_download_name,
        merchant.business_licence_type,
    )


@role_required("merchant", owners_only=True)
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
