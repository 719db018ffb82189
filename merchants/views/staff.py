"""Staff (product §3): owners invite people by email, change their roles and remove them; the
invitee opens the emailed link, signs up or signs in, and joins."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.errors import DomainError

from ..forms import InviteForm, RoleForm
from ..models import MerchantInvitation, MerchantMembership
from ..services import (
    invitation_get_by_token,
    invitation_problem,
    invitation_revoke,
    staff_change_role,
    staff_invite,
    staff_join,
    staff_join_problem,
    staff_remove,
)


def _staff_page(request: HttpRequest, membership: MerchantMembership, form: InviteForm):
    merchant = membership.merchant
    members = list(
        merchant.memberships.select_related("user").order_by("-role", "created_at", "pk")
    )
    owners = sum(1 for m in members if m.is_owner)
    for member in members:
        # The last owner can be neither removed nor made an agent (merchants.services).
        member.is_last_owner = member.is_owner and owners == 1
    invitations = merchant.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at", "-pk")
    return render(
        request,
        "merchants/staff/list.html",
        {
            "membership": membership,
            "merchant": merchant,
            "members": members,
            "invitations": invitations,
            "roles": MerchantMembership.Role.choices,
            "form": form,
            "now": timezone.now(),
        },
        status=422 if form.errors else 200,
    )


@role_required("merchant", owners_only=True)
def staff(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The staff, the invitations waiting for an answer, and a form to invite someone."""
    days = settings.ODR_STAFF_INVITATION_DAYS
    if request.method != "POST":
        return _staff_page(request, membership, InviteForm(days=days))
    form = InviteForm(request.POST, days=days)
    if form.is_valid():
        try:
            invitation = staff_invite(
                merchant=membership.merchant,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                site_url=request.build_absolute_uri("/"),
                request=request,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("An invitation has been emailed to %(email)s.") % {"email": invitation.email},
            )
            return redirect("merchants:staff")
    return _staff_page(request, membership, form)


@role_required("merchant", owners_only=True)
@require_POST
def staff_role(request: HttpRequest, pk: int, membership: MerchantMembership) -> HttpResponse:
    member = get_object_or_404(MerchantMembership, pk=pk, merchant=membership.merchant)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("merchants:staff")
    try:
        staff_change_role(
            membership=member, actor=request.user, role=form.cleaned_data["role"], request=request
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(person)s is now %(role)s.")
            % {
                "person": member.user,
                "role": MerchantMembership.Role(form.cleaned_data["role"]).label,
            },
        )
    return redirect("merchants:staff")


@role_required("merchant", owners_only=True)
@require_POST
def staff_remove_member(
    request: HttpRequest, pk: int, membership: MerchantMembership
) -> HttpResponse:
    member = get_object_or_404(
        MerchantMembership.objects.select_related("user"), pk=pk, merchant=membership.merchant
    )
    try:
        staff_remove(membership=member, actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(person)s is no longer on the staff.") % {"person": member.user}
        )
    return redirect("merchants:staff")


@role_required("merchant", owners_only=True)
@require_POST
def invitation_withdraw(
    request: HttpRequest, pk: int, membership: MerchantMembership
) -> HttpResponse:
    invitation = get_object_or_404(MerchantInvitation, pk=pk, merchant=membership.merchant)
    try:
        invitation_revoke(invitation=invitation, actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The invitation to %(email)s has been withdrawn.") % {"email": invitation.email},
        )
    return redirect("merchants:staff")


@never_cache
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: who invites whom to what, then signing in (or up) and joining.

    Opening the link changes nothing (mail scanners open links too); joining is a POST.
    """
    invitation = invitation_get_by_token(token)
    if invitation is None:
        raise Http404("No such invitation.")
    problem = invitation_problem(invitation, timezone.now())
    if problem is None and request.user.is_authenticated:
        problem = staff_join_problem(request.user, invitation)
    if request.method == "POST" and problem is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            staff_join(token=token, user=request.user, request=request)
        except DomainError as error:
            problem = error
        else:
            messages.success(
                request,
                _("You have joined the staff of %(merchant)s.")
                % {"merchant": invitation.merchant.name},
            )
            return redirect("merchants:home")
    return render(
        request,
        "merchants/staff/join.html",
        {"invitation": invitation, "problem": problem},
        status=_join_status(problem),
    )


def _join_status(problem: DomainError | None) -> int:
    """200 while the person can join; 410 for a link that works no more; 403 for a person who
    may not join."""
    if problem is None:
        return 200
    return 410 if problem.code.startswith("invitation_") else 403
