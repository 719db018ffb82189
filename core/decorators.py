from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.roles import consumer_profile, merchant_membership, regulator_membership

_LOOKUP = {
    "consumer": consumer_profile,
    "merchant": merchant_membership,
    "regulator": regulator_membership,
}


def role_required(role: str):
    """Let the view run only for people holding ``role``; pass the role row as ``membership``."""
    lookup = _LOOKUP[role]

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = lookup(request.user)
            if membership is None:
                raise PermissionDenied
            return view(request, *args, membership=membership, **kwargs)

        return wrapped

    return decorator
