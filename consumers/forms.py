from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator
from core.credit_code import validate_credit_code
from core.regions import validate_region_code

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


class ComplaintForm(forms.Form):
    """A consumer's complaint: who it is against, what happened, and what they ask for."""

    merchant_name = forms.CharField(label=_("Business name"), max_length=200)
    merchant_credit_code = forms.CharField(
        label=_("Unified social credit code (if known)"),
        max_length=18,
        required=False,
        validators=[validate_credit_code],
        help_text=_("18 characters, printed on the business licence and on receipts."),
    )
    merchant_region_code = forms.CharField(
        label=_("Region code of the business"),
        max_length=9,
        validators=[validate_region_code],
        help_text=_("Six digits, e.g. 140105 for Xiaodian district, Taiyuan."),
    )
    merchant_address = forms.CharField(label=_("Business address"), max_length=300, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    facts = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}))
    claim = forms.CharField(label=_("What you ask for"), widget=forms.Textarea(attrs={"rows": 3}))
    amount_claimed = forms.DecimalField(
        label=_("Amount claimed (CNY)"), required=False, min_value=0, decimal_places=2
    )
    purchase_date = forms.DateField(
        label=_("Purchase date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order_reference = forms.CharField(label=_("Order number"), max_length=100, required=False)
    consent_contact = forms.BooleanField(
        label=_("Show my contact details to the merchant unmasked"), required=False
    )
    consent_disclosure = forms.BooleanField(
        label=_("Allow the case to be shown on public disclosure pages (without my name)"),
        required=False,
    )

    def add_domain_error(self, error) -> None:
        """Show a service's error beside the field it names, or above the form."""
        field = {"merchant": "merchant_name"}.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, ValidationError(error.message))
