"""Steps of allauth's sign-in flow that the portal changes (``AccountAdapter.get_login_stages``)."""

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage, PhoneVerificationStage
from allauth.core.exceptions import RateLimited
from allauth.core.ratelimit import respond_429

# Set by the sign-up form (accounts.forms.SignupForm) when the email typed at sign-up belongs to
# another account: {"user": the new account's id, "email": the address}.
WITHHELD_EMAIL_SESSION_KEY = "accounts_signup_withheld_email"


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


class SignupEmailVerificationStage(EmailVerificationStage):
    """allauth's email step, which at sign-up sends the new account's address its confirmation
    link, and here also answers a sign-up whose address belongs to another account.

    Such a sign-up made its account without the address (accounts.forms.SignupForm). At this
    step, where a new address would be sent its link, the address's owner is sent allauth's
    "someone tried to sign up with your address" mail instead, under the same limit per
    address, and the person signing up is told what they would have been told: that a
    confirmation was sent to it. Nothing on the way says whether the address was free.
    """

    def handle(self):
        withheld = self.request.session.pop(WITHHELD_EMAIL_SESSION_KEY, None)
        # The new account's own address, as allauth handles it: none when it was withheld, but
        # looked for all the same, so that this step does the same work either way.
        response, cont = super().handle()
        login = self.login
        if (
            withheld
            and login.signup
            and login.user is not None
            and withheld.get("user") == login.user.pk
            and login.email_verification != EmailVerificationMethod.NONE
        ):
            # Given an address that is not the new account's, allauth sends the "already
            # exists" mail and says that a confirmation was sent, as it does for enumeration
            # prevention (limit, mail, message: the steps of a new address's confirmation).
            send_verification_email_to_address(
                self.request, EmailAddress(user=None, email=withheld["email"]), signup=True
            )
        return response, cont
