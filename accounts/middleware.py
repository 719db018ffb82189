from allauth.mfa.models import Authenticator
from django.shortcuts import redirect

from .roles import regulator_membership

# Pages a person without their required second factor may still open: sign-in, sign-out, setting
# up the second factor itself, and the plumbing around them.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


def needs_second_factor(user) -> bool:
    """Whether ``user`` must sign in with a TOTP second factor (product §2): regulator staff and
    platform admins (anyone the Django admin lets in)."""
    return user.is_authenticated and (user.is_staff or regulator_membership(user) is not None)


class SecondFactorMiddleware:
    """Send regulator staff and platform admins who have no TOTP authenticator to set one up
    before anything else.

    allauth asks for the code at every sign-in once the authenticator exists (product §2:
    regulator staff and platform admins sign in with email + password + TOTP).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            not request.path.startswith(_ALLOWED_PREFIXES)
            and needs_second_factor(user)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
