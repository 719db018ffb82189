"""Steering businesses into ODR (product §3): the businesses of the office's regions that are not
onboarded, the most complained about first; an invitation to apply, by email or as a printed
letter; and the invitations sent, with the businesses that applied since."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.decorators import role_required
from core.errors import DomainError

from ..forms import BusinessInvitationForm
from ..models import BusinessInvitation
from ..selectors import (
    invitation_get_for_office,
    invitation_page,
    steering_merchant_get,
    steering_page,
)
from ..services import business_invite


@role_required("regulator")
def businesses(request: HttpRequest, membership) -> HttpResponse:
    """Businesses not onboarded, by complaints over the twelve months to today."""
    page = steering_page(membership.office, now=timezone.now(), cursor=request.GET.get("after"))
    return render(
        request,
        "regulators/steering/list.html",
        {"office": membership.office, "page": page, "query_string": ""},
    )


@role_required("regulator")
def invitations(request: HttpRequest, membership) -> HttpResponse:
    """The invitations sent by the office and the offices below it, and who applied since."""
    page = invitation_page(membership.office, cursor=request.GET.get("after"))
    return render(
        request,
        "regulators/steering/invitations.html",
        {"office": membership.office, "page": page, "query_string": ""},
    )


@role_required("regulator")
def business_invite_page(request: HttpRequest, pk: int, membership) -> HttpResponse:
    """Invite one business to apply: email it to the contact given, or print a letter."""
    merchant = steering_merchant_get(membership.office, pk)
    form = BusinessInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = business_invite(
                merchant=merchant,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                email=form.cleaned_data["email"],
                site_url=request.build_absolute_uri("/"),
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if invitation.channel == BusinessInvitation.Channel.LETTER:
                return redirect("regulators:invitation_letter", pk=invitation.pk)
            messages.success(
                request,
                _("The invitation has been emailed to %(email)s.") % {"email": invitation.email},
            )
            return redirect("regulators:businesses")
    return render(
        request,
        "regulators/steering/invite.html",
        {"office": membership.office, "merchant": merchant, "form": form},
        status=422 if form.errors else 200,
    )


@role_required("regulator")
def invitation_letter(request: HttpRequest, pk: int, membership) -> HttpResponse:
    """The invitation as a letter to print, from the office that sent it."""
    invitation = invitation_get_for_office(membership.office, pk)
    return render(
        request,
        "regulators/steering/letter.html",
        {
            "invitation": invitation,
            "apply_url": request.build_absolute_uri(reverse("merchants:apply")),
        },
    )
