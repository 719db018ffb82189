"""Who may open the onboarding, staff and profile pages: checked where the membership is fetched.

Everybody who is not on the merchant's staff (or, for owners' pages, not one of its owners) gets
"not found", as for a page that does not exist; a signed-in person refused is recorded in the
audit log, as for a case (product §6).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest

from core.audit import audit_record
from core.models import AuditEntry

from ..models import MerchantMembership


def not_found(request: HttpRequest) -> Http404:
    """Record that a signed-in person was refused this page; return the 404 to raise."""
    audit_record(
        request.user,
        AuditEntry.Action.NOT_FOUND,
        request.path,
        AuditEntry.Outcome.DENIED,
        request,
        target_type="merchant_page",
    )
    return Http404("No such page.")


def merchant_staff_page(*, owners_only: bool = False):
    """Let the view run for the staff of a merchant (with ``owners_only``, its owners), passing
    their membership, with its merchant, as ``membership``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = (
                MerchantMembership.objects.select_related("merchant")
                .filter(user=request.user)
                .first()
            )
            if membership is None or (owners_only and not membership.is_owner):
                raise not_found(request)
            return view(request, *args, membership=membership, **kwargs)

        return wrapped

    return decorator
