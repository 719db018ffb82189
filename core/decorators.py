"""The one gate in front of every portal page: who holds the role the page is for.

Everybody else signed in gets "not found", as for a case that is not theirs: a portal's pages do
not confirm to an outsider that they exist. The refusal is recorded in the audit log by
``core.middleware.NotFoundAuditMiddleware``, like every 404 answered to a signed-in person
(product §6), so a view refusing a row of its own (another merchant's webhook, a licence not on
file) raises ``Http404`` and is recorded the same way.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.roles import consumer_profile, merchant_membership, regulator_membership

_LOOKUP = {
    "consumer": consumer_profile,
    "merchant": merchant_membership,
    "regulator": regulator_membership,
}


def role_required(role: str, *, owners_only: bool = False):
    """Let the view run only for people holding ``role``; pass the role row as ``membership``.

    With ``owners_only`` (merchant pages only), only the merchant's owners pass.
    """
    lookup = _LOOKUP[role]
    if owners_only and role != "merchant":
        raise ValueError("owners_only applies to merchant pages")

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = lookup(request.user)
            if membership is None or (owners_only and not membership.is_owner):
                raise Http404("Not found.")
            return view(request, *args, membership=membership, **kwargs)

        return wrapped

    return decorator
