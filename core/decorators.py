from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.roles import consumer_profile, merchant_membership, regulator_membership

_LOOKUP = {
    "consumer": consumer_profile,
    "merchant": merchant_membership,
    "regulator": regulator_membership,
}


def role_required(role: str):
    """Let the view run only for people holding ``role``; pass the role row as ``membership``.

    Anyone else signed in gets 404, as for a case that is not theirs: a portal's pages do not
    confirm to an outsider that they exist.
    """
    lookup = _LOOKUP[role]

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = lookup(request.user)
            if membership is None:
                raise Http404("Not found.")
            return view(request, *args, membership=membership, **kwargs)

        return wrapped

    return decorator
