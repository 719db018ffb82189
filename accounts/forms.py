"""allauth's sign-in and sign-up forms as the portal shows them (``ACCOUNT_FORMS``)."""

from allauth.account import forms as allauth_forms
from allauth.core import context, ratelimit
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from .fields import MobilePhoneField


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
    """allauth's sign-up form, refusing a number that may not be sent another code just now.

    The account is created before the code is sent, so a sign-up that could not send one would
    leave an account nobody can finish; the same limit refuses it here first.
    """

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
