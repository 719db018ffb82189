from allauth.mfa.models import Authenticator
from django.shortcuts import redirect

from .roles import regulator_membership

# Pages a regulator without a second factor may still open: sign-in, sign-out, setting up the
# second factor itself, and the plumbing around them.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/admin/")


class RegulatorSecondFactorMiddleware:
    """Send regulator staff who have no TOTP authenticator to set one up before anything else.

    allauth asks for the code at every sign-in once the authenticator exists (product §2:
    regulator staff sign in with email + password + TOTP).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and regulator_membership(user) is not None
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
