"""Steps of allauth's sign-in flow that the portal changes (``AccountAdapter.get_login_stages``)."""

from allauth.account.stages import PhoneVerificationStage
from allauth.core.exceptions import RateLimited
from allauth.core.ratelimit import respond_429


class SignupPhoneVerificationStage(PhoneVerificationStage):
    """Ask for the code sent to the mobile number when an account is made, not at every sign-in.

    allauth's own stage runs at every sign-in of an account whose number is missing or not yet
    verified: it would stop staff accounts that have no number and send a code to every consumer
    who gave a number before numbers were verified. A sign-in by phone never reaches an unverified
    number (``AccountAdapter.get_user_by_phone``), so only a new account needs the check; an
    existing account verifies its number on the phone page (``account_change_phone``).
    """

    def handle(self):
        if not self.login.signup:
            return None, True
        try:
            return super().handle()
        except RateLimited:
            # The sign-up form checks the limit first (accounts.forms.SignupForm); this is the
            # rare request that lost a race to another one for the same number.
            return respond_429(self.request), False
