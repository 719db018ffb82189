"""allauth's account adapter: where sign-in, sign-up and the mobile phone meet the portal.

People sign in with the email address or the verified mobile number of their account and a
password (product §2). Text messages leave through one method, ``send_sms``.
"""

import logging
from collections import deque

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal.ratelimit import RateLimitUsage, parse_rate
from allauth.core.internal.ratelimit import clear as ratelimit_clear
from allauth.core.internal.ratelimit import consume as ratelimit_consume
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record
from core.models import AuditEntry
from core.ratelimits import wait_seconds, wait_words

from .fields import MobilePhoneField
from .models import User

sms_logger = logging.getLogger("odr.sms")

# The latest text messages sent, oldest first, for development and tests to read codes from (as
# Django's ``mail.outbox``). Each is {"phone": ..., "message": ...}.
SENT_SMS: deque[dict[str, str]] = deque(maxlen=100)

PHONE_HELP = _("11 digits, e.g. 13812341234. A code is sent to it to check that it is yours.")

# allauth's steps of a sign-in that the portal replaces (accounts.stages): the phone step, run
# only when an account is made, and the email step, which also tells the owner of an address
# that someone tried to sign up with it.
_STAGES = {
    "allauth.account.stages.PhoneVerificationStage": "accounts.stages.SignupPhoneVerificationStage",
    "allauth.account.stages.EmailVerificationStage": "accounts.stages.SignupEmailVerificationStage",
}


def _login_failed_rates() -> list[str]:
    """The limits of ``ACCOUNT_RATE_LIMITS["login_failed"]``, one string each, those per account
    ("key") first."""
    rates = [r.strip() for r in (account_settings.RATE_LIMITS.get("login_failed") or "").split(",")]
    rates = [r for r in rates if r]
    return sorted(rates, key=lambda rate: parse_rate(rate).per != "key")


class PortalSite(RequestSite):
    """The site as allauth's mails name it: the portal's name, at the address it was reached at.

    Without ``django.contrib.sites``, allauth names the site after the request's host, so mails
    greeted people "from 127.0.0.1:8000" and their subjects began "[127.0.0.1:8000]". The name is
    the portal's in the mail's language, the same in every deployment; the domain stays the
    host (the links, and allauth's keys of failed sign-ins, are made from it).
    """

    def __init__(self, request) -> None:
        super().__init__(request)
        self.name = gettext("ODR 12315")


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request) -> str:
        return reverse("home")

    def get_signup_redirect_url(self, request) -> str:
        return reverse("consumers:home")

    def get_login_stages(self) -> list[str]:
        return [_STAGES.get(stage, stage) for stage in super().get_login_stages()]

    def clean_email(self, email: str) -> str | None:
        # Left out at sign-up, the email is NULL rather than "": the column is unique.
        return email or None

    # --- Mails ---------------------------------------------------------------------------------

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send allauth's mail with the portal named as the site (``PortalSite``)."""
        site = PortalSite(allauth_context.request)
        super().send_mail(template_prefix, email, {"current_site": site, **context})

    def format_email_subject(self, subject: str) -> str:
        """Begin the subject with the portal's name, as the portal's own mails do."""
        if account_settings.EMAIL_SUBJECT_PREFIX is not None:
            return super().format_email_subject(subject)
        return f"[{gettext('ODR 12315')}] {subject}"

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
        """Count this attempt against the limits of failed sign-ins, or refuse it (product §6).

        Two limits (``ACCOUNT_RATE_LIMITS["login_failed"]``): the account's, a hard stop (five
        in five minutes), and the address's, a slow-down (ten a minute). As in allauth, an
        attempt is counted before the password is checked and uncounted when it succeeds
        (``authenticate``). Unlike allauth, an attempt that a limit refuses counts against none
        (allauth would count it against the limits checked before the one that refused), so
        that hammering a locked account does not use up its address's allowance for everyone
        else there, and someone refused because of their address does not use up their own
        account's. The person is told which limit refused them: behind a shared address, it is
        not their account that is locked.

        A refused attempt never reaches ``authenticate()`` (so Django's ``user_login_failed`` is
        not sent): it is recorded in the audit log here.
        """
        cache_key = self._get_login_attempts_cache_key(request, **credentials)
        used: list[RateLimitUsage] = []
        for rate in _login_failed_rates():
            usage = ratelimit_consume(
                request,
                app="allauth.account",
                action="login_failed",
                config={"login_failed": rate},
                key=cache_key,
            )
            if not usage:
                for earlier in used:
                    earlier.rollback()
                self._refuse_sign_in(request, parse_rate(rate).per, **credentials)
            used.append(usage)
        # What allauth rolls back after a successful sign-in.
        self._login_failed_rl_usage = RateLimitUsage(usage=[u for x in used for u in x.usage])

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        """After a password reset, forget the account's failed sign-ins, not the address's.

        allauth clears every limit of ``login_failed`` for the account's key, the per-address
        ones included (for the address that finished the reset): someone spraying passwords
        from one address could empty its allowance by resetting a password of their own.
        """
        cache_key = self._get_login_attempts_cache_key(request, **credentials)
        for rate in _login_failed_rates():
            if parse_rate(rate).per == "key":
                ratelimit_clear(
                    request,
                    app="allauth.account",
                    action="login_failed",
                    config={"login_failed": rate},
                    key=cache_key,
                )

    def _refuse_sign_in(self, request, per: str, **credentials) -> None:
        login = next(
            (credentials[k] for k in ("email", "phone", "username") if credentials.get(k)), ""
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
        if per == "ip":
            raise ValidationError(
                gettext(
                    "Too many failed sign-ins have come from your network just now. Wait "
                    "%(wait)s, then try again."
                )
                % {"wait": wait_words(wait_seconds(request, ["login_failed"]))},
                code="too_many_login_attempts",
            )
        raise self.validation_error("too_many_login_attempts")

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
