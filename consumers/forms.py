from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator

from .services import consumer_profile_create


class ConsumerSignupForm(forms.Form):
    """Extra fields of consumer sign-up; allauth calls ``signup`` after creating the user."""

    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=11,
        required=False,
        validators=[phone_validator],
        help_text=_("Used with the case number to track a case without signing in."),
    )

    def signup(self, request, user) -> None:
        consumer_profile_create(
            user=user, name=self.cleaned_data["name"], phone=self.cleaned_data.get("phone", "")
        )
