"""Forms of the merchant portal: onboarding, the business profile and staff (product §3). Each
parses input for one service; the rules themselves live in ``merchants.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.credit_code import normalize_credit_code, validate_credit_code
from core.forms import DomainErrorForm, RegionField

from .models import Merchant, MerchantMembership, contact_phone_validator

UNDERTAKING_TEXT = _(
    "Undertaking to handle consumer complaints promptly: we will acknowledge every complaint "
    "received through the portal within the time it sets, negotiate with the consumer in good "
    "faith, carry out every settlement we agree to, keep the contact details we give up to date, "
    "and accept the supervision of the market regulator. We know that the regulator may suspend "
    "us or end our onboarding if we do not."
)


def _pledges_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Pledges (optional)"),
        choices=Merchant.Pledge.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Shown to consumers beside your business."),
    )


class ContactFieldsForm(DomainErrorForm):
    address = forms.CharField(label=_("Business address"), max_length=300)
    industry = forms.CharField(
        label=_("Industry"),
        max_length=100,
        help_text=_("What the business does, e.g. retail of electronics, catering, tourism."),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone for complaints"),
        max_length=30,
        validators=[contact_phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("A mobile number or a landline with its area code, e.g. 0351-1234567."),
    )
    pledges = _pledges_field()


class ApplicationForm(ContactFieldsForm):
    """Applying to onboard (入驻): the business, how to reach it, and the undertaking."""

    field_order = [
        "name",
        "credit_code",
        "region",
        "legal_representative",
        "business_licence",
        "address",
        "industry",
        "contact_phone",
        "pledges",
        "undertaking",
    ]

    name = forms.CharField(
        label=_("Business name"),
        max_length=200,
        help_text=_("As on the business licence."),
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        validators=[validate_credit_code],
        help_text=_("18 characters, printed on the business licence."),
    )
    region = RegionField(label=_("Where the business is registered"))
    legal_representative = forms.CharField(
        label=_("Legal representative"),
        max_length=100,
        help_text=_("The name printed on the business licence (法定代表人 or 经营者)."),
    )
    business_licence = forms.FileField(
        label=_("Business licence"),
        help_text=_(
            "A photo or scan of the business licence (营业执照): JPEG, PNG or PDF. The regulator "
            "checks it before approving."
        ),
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )
    undertaking = forms.BooleanField(
        label=_("I have read the undertaking above and accept it for the business."),
        error_messages={"required": _("Accept the undertaking to handle complaints promptly.")},
    )

    def __init__(self, *args, licence_on_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if licence_on_file:  # applying again: the licence on file stands unless replaced
            field = self.fields["business_licence"]
            field.required = False
            field.help_text = _(
                "The licence sent with the last application is kept unless you attach another."
            )

    def clean_credit_code(self) -> str:
        return normalize_credit_code(self.cleaned_data.get("credit_code", ""))

    @classmethod
    def initial_for(cls, merchant: Merchant) -> dict:
        """What the form shows when ``merchant``'s owner applies again."""
        return {
            "name": merchant.name,
            "credit_code": merchant.credit_code or "",
            "region": merchant.region_code,
            "legal_representative": merchant.legal_representative,
            "address": merchant.address,
            "industry": merchant.industry,
            "contact_phone": merchant.contact_phone,
            "pledges": merchant.pledges,
        }


class ProfileForm(ContactFieldsForm):
    """What an owner may change without a new application."""

    @classmethod
    def initial_for(cls, merchant: Merchant) -> dict:
        return {name: getattr(merchant, name) for name in cls.base_fields}


class InviteForm(DomainErrorForm):
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("We email a link there. It works once, for %(days)s days."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=MerchantMembership.Role.choices,
        initial=MerchantMembership.Role.AGENT,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = self.fields["email"].help_text % {"days": days}


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MerchantMembership.Role.choices)
