"""allauth's account adapter: where sign-in, sign-up and the mobile phone meet the portal.

People sign in with the email address or the verified mobile number of their account and a
password (product §2). Text messages leave through one method, ``send_sms``.
"""

import logging
from collections import deque

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.models import AuditEntry

from .fields import MobilePhoneField
from .models import User

sms_logger = logging.getLogger("odr.sms")

# The latest text messages sent, oldest first, for development and tests to read codes from (as
# Django's ``mail.outbox``). Each is {"phone": ..., "message": ...}.
SENT_SMS: deque[dict[str, str]] = deque(maxlen=100)

PHONE_HELP = _("11 digits, e.g. 13812341234. A code is sent to it to check that it is yours.")

# allauth's phone step, which the portal runs only when an account is made.
_PHONE_STAGE = "allauth.account.stages.PhoneVerificationStage"
_SIGNUP_PHONE_STAGE = "accounts.stages.SignupPhoneVerificationStage"


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        return reverse("home")

    def get_signup_redirect_url(self, request) -> str:
        return reverse("consumers:home")

    def get_login_stages(self) -> list[str]:
        return [
            _SIGNUP_PHONE_STAGE if stage == _PHONE_STAGE else stage
            for stage in super().get_login_stages()
        ]

    def clean_email(self, email: str) -> str | None:
        # Left out at sign-up, the email is NULL rather than "": the column is unique.
        return email or None

    # --- Rate limits ---------------------------------------------------------------------------

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Return the key of the per-account limit of failed sign-ins (``login_failed``).

        allauth (65.21) keys it by the email or username typed, which for a sign-in by phone is
        empty: every number would share one allowance, and five wrong passwords for any number
        would lock everybody out of signing in by phone. Key it by the number instead, or by the
        account's email when the number is the verified one of an account that has an email, so
        that the two ways into one account share one allowance.
        """
        phone = credentials.get("phone")
        if phone and not credentials.get("email"):
            user = self.get_user_by_phone(phone)
            login = user.email if user is not None and user.email else f"phone:{phone}"
            credentials = {**credentials, "email": login}
        return super()._get_login_attempts_cache_key(request, **credentials)

    def pre_authenticate(self, request, **credentials) -> None:
        """An attempt refused by the rate limit never reaches ``authenticate()`` (so Django's
        ``user_login_failed`` is not sent): record it in the audit log here (product §6)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login = (
                credentials.get("email")
                or credentials.get("phone")
                or credentials.get("username")
                or ""
            )
            audit_record(
                None,
                AuditEntry.Action.SIGN_IN_FAILED,
                login,
                AuditEntry.Outcome.DENIED,
                request,
                target_type="account",
                actor_label=login,
                detail={"step": "rate_limit"},
            )
            raise

    # --- The mobile phone of an account --------------------------------------------------------

    def phone_form_field(self, **kwargs) -> MobilePhoneField:
        """Return the field wherever allauth asks for a number (sign-up, sign-in, verification):
        an 11-digit mainland mobile number rather than allauth's international format."""
        kwargs.pop("label", None)  # allauth's "Phone"; the field has its own label
        kwargs.setdefault("help_text", PHONE_HELP)
        return MobilePhoneField(**kwargs)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user: User, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str) -> User | None:
        """Return the account whose verified number ``phone`` is: an unverified number is
        contact information, not a way in."""
        return User.objects.filter(phone=phone, phone_verified=True).first()

    # --- Text messages -------------------------------------------------------------------------

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        minutes = account_settings.PHONE_VERIFICATION_TIMEOUT // 60
        self.send_sms(
            phone,
            gettext(
                "Your ODR 12315 verification code is %(code)s. It expires in %(minutes)s "
                "minutes. Do not share it with anyone."
            )
            % {"code": code, "minutes": minutes},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        self.send_sms(
            phone,
            gettext(
                "Someone asked ODR 12315 for a code for this number, but no account uses it. "
                "If it was not you, ignore this message."
            ),
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        self.send_sms(
            phone,
            gettext(
                "Someone tried to sign up at ODR 12315 with this number, which already has an "
                "account: sign in instead. If it was not you, ignore this message."
            ),
        )

    def send_sms(self, phone: str, message: str) -> None:
        """Send one text message to the mobile number ``phone``.

        Every text the portal sends leaves through here, so this is where an SMS provider plugs
        in (Aliyun SMS, Tencent Cloud SMS, …): replace the body with the provider's API call, or
        override this method in an adapter of the deployment. As it is, for development and
        tests, the message goes to the log (logger ``odr.sms``, printed on the console) and to
        ``SENT_SMS``; nothing leaves the machine.
        """
        sms_logger.info("SMS to %s: %s", phone, message)
        SENT_SMS.append({"phone": phone, "message": message})
