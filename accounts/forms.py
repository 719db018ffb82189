"""allauth's sign-in, sign-up and password-reset forms as the portal shows them
(``ACCOUNT_FORMS``)."""

from allauth.account import app_settings as account_settings
from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.userkit import filter_users_by_email
from allauth.core import context, ratelimit
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from .fields import MobilePhoneField
from .stages import WITHHELD_EMAIL_SESSION_KEY
from .tasks import password_reset_mail_later


class LoginForm(allauth_forms.LoginForm):
    """Sign in with the email address or the mobile number of the account, and a password."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Email or mobile phone")
        login.help_text = _(
            "Either works: the email address or the 11-digit mobile number of your account."
        )
        login.widget.attrs.pop("placeholder", None)
        login.widget.attrs["autocomplete"] = "username"

    def clean_login(self) -> str:
        """Return the email address as typed, or the mobile number without separators (the form
        in which it is stored); refuse anything that is neither."""
        login = super().clean_login()
        try:
            validate_email(login)
            return login
        except ValidationError:
            pass
        try:
            return MobilePhoneField().clean(login)
        except ValidationError:
            raise ValidationError(
                _("Enter an email address or an 11-digit mobile number."), code="invalid_login"
            ) from None


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up form: a number that may not be sent another code just now is refused,
    and an email address of another account is not said to be one.

    The account is created before the code is sent, so a sign-up that could not send one would
    leave an account nobody can finish; the same limit refuses it here first.

    **An email that is taken.** allauth (65) answers "a user is already registered with this
    email address" when verification is optional, as here: its enumeration prevention only
    hides a taken address when every address must be verified, which sign-up by phone cannot
    ask. So the portal goes on as if the address were free: the account is made without it (an
    address belongs to one account), the person is asked for the code texted to their number,
    and at the step where a new address is sent its confirmation, the address's owner is sent
    allauth's "someone tried to sign up with your address" mail instead, and the person is told
    that a confirmation was sent (accounts.stages.SignupEmailVerificationStage). The person can
    add an address of their own later.

    **A number that is taken** is allauth's own enumeration prevention: no account is made, the
    code page is shown as for any number, and the number's holder is texted that it has an
    account (``AccountAdapter.send_account_already_exists_sms``). Only whoever holds the phone
    learns that; a code is the proof of holding it, so a number needs no more.
    """

    def validate_unique_email(self, value: str) -> str:
        if account_settings.EMAIL_VERIFICATION == EmailVerificationMethod.MANDATORY:
            # allauth hides a taken address itself when every address must be verified.
            return super().validate_unique_email(value)
        email = get_adapter().validate_unique_email(value)
        self.withheld_email = email if filter_users_by_email(email) else None
        return email

    def clean(self) -> dict:
        cleaned_data = super().clean()
        phone = cleaned_data.get("phone")
        if phone and not ratelimit.consume(
            context.request, action="verify_phone", key=phone, dry_run=True
        ):
            self.add_error(
                "phone",
                ValidationError(
                    _("Too many codes have been sent recently. Try again in a few minutes."),
                    code="rate_limited",
                ),
            )
        return cleaned_data

    def save(self, request):
        withheld = getattr(self, "withheld_email", None)
        if withheld:
            self.cleaned_data["email"] = None  # the account is made without it
        user = super().save(request)
        if withheld:
            request.session[WITHHELD_EMAIL_SESSION_KEY] = {"user": user.pk, "email": withheld}
        else:
            request.session.pop(WITHHELD_EMAIL_SESSION_KEY, None)
        return user


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    """allauth's password-reset form, whose answer takes as long for an address without an
    account as for one with an account.

    allauth looks the address up and, while the person waits, makes a reset link for the
    account and mails it, or mails "no account uses this address": the account's answer does
    more work (two more queries and a token, about 10 ms here), which timing many answers
    reveals (bench/auth_timing.py), and both wait for the mail server. Here the answer only
    hands the address to a worker, which looks it up and sends the one mail or the other
    (accounts.tasks): the request does the same work whatever the address. The answer itself
    was already the same (allauth's enumeration prevention).
    """

    def clean_email(self) -> str:
        if account_settings.PASSWORD_RESET_BY_CODE_ENABLED:
            return super().clean_email()  # a code is kept in the session: looked up here
        self.users = []  # looked up by the worker
        return self.cleaned_data["email"]

    def save(self, request, **kwargs) -> str:
        if account_settings.PASSWORD_RESET_BY_CODE_ENABLED:
            return super().save(request, **kwargs)
        email = self.cleaned_data["email"]
        password_reset_mail_later(request, email)
        return email
