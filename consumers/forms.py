from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import phone_validator
from cases.evidence import check_evidence_file, evidence_limits
from cases.models import Remedy
from cases.services import COMPLAINT_TEXT_LIMITS, purchase_date_check
from core.credit_code import normalize_credit_code, validate_credit_code
from core.errors import DomainError
from core.forms import DateInput, RegionField
from merchants.models import Merchant
from merchants.selectors import SEARCH_MAX_CHARS

from .services import consumer_profile_create


class ConsumerSignupForm(forms.Form):
    """Extra fields of consumer sign-up; allauth calls ``signup`` after creating the user.

    allauth adds the mobile phone (required, checked by a code), the email (optional) and the
    passwords (``ACCOUNT_SIGNUP_FIELDS``), and stores the phone itself.
    """

    field_order = ["name", "phone", "email", "password1", "password2"]

    name = forms.CharField(label=_("Name"), max_length=100)

    def signup(self, request, user) -> None:
        consumer_profile_create(user=user, name=self.cleaned_data["name"])


# --- Filing a complaint, step by step (consumers/views.py FilingWizard) -------------------------


def _evidence_help() -> str:
    limits = evidence_limits()
    return _(
        "Photos (JPEG, PNG), PDF or MP4 video: up to %(file)s MB a file (videos %(video)s MB), "
        "%(case)s MB in all. You can add more later on the case page."
    ) % {
        "file": limits["max_file_mb"],
        "video": limits["max_video_mb"],
        "case": limits["max_case_mb"],
    }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Any number of evidence files, each checked by the engine's evidence check as it arrives,
    so that a refused file is named beside the field before anything is filed."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        errors = []
        for file in files:
            try:
                check_evidence_file(file)
            except DomainError as error:
                errors.append(
                    ValidationError(
                        _("%(name)s: %(reason)s") % {"name": file.name, "reason": error.message},
                        code=error.code,
                    )
                )
        if errors:
            raise ValidationError(errors)
        return files


class RespondentForm(forms.Form):
    """Step 1: who the complaint is against — a known business found by searching, or one the
    consumer describes (it then becomes a not-onboarded merchant, never a second copy)."""

    search = forms.CharField(
        label=_("Find the business by name or unified social credit code"),
        required=False,
        max_length=SEARCH_MAX_CHARS,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    merchant = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Business name"), max_length=200, required=False)
    credit_code = forms.CharField(
        label=_("Unified social credit code (if known)"),
        max_length=18,
        required=False,
        validators=[validate_credit_code],
        help_text=_("18 characters, printed on the business licence and on receipts."),
    )
    region = RegionField(label=_("Where the business is"), required=False)
    address = forms.CharField(label=_("Business address"), max_length=300, required=False)

    def clean_merchant(self):
        pk = self.cleaned_data.get("merchant")
        if pk is None:
            return None
        merchant = Merchant.objects.filter(pk=pk).first()
        if merchant is None:
            raise ValidationError(_("Choose the business again from the search results."))
        return merchant

    def clean_credit_code(self):
        return normalize_credit_code(self.cleaned_data.get("credit_code", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("merchant") is None and "merchant" not in self.errors:
            if not cleaned.get("name", "").strip() and "name" not in self.errors:
                self.add_error(
                    "name",
                    _("Choose the business from the search results, or enter its name here."),
                )
            if not cleaned.get("region") and "region" not in self.errors:
                self.add_error("region", _("Choose where the business is."))
        return cleaned

    def chosen(self) -> Merchant | None:
        """The known merchant chosen (also when the form is shown again)."""
        if self.is_bound and not self.errors:
            return self.cleaned_data.get("merchant")
        value = self["merchant"].value()
        return Merchant.objects.filter(pk=value).first() if str(value or "").isdigit() else None


def _limited_text(label, limit: int, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        widget=forms.Textarea(attrs={"rows": rows, "data-counter": ""}),
        **kwargs,
    )


class ComplaintDetailsForm(forms.Form):
    """Step 2: what happened and what the consumer asks for."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=COMPLAINT_TEXT_LIMITS["subject"],
        help_text=_("A few words, e.g. “earphones do not switch on”."),
    )
    facts = _limited_text(_("What happened"), COMPLAINT_TEXT_LIMITS["facts"], rows=6)
    claim_remedy = forms.ChoiceField(
        label=_("What you ask for"), choices=[("", "—"), *Remedy.choices]
    )
    claim = _limited_text(_("Your request in your words"), COMPLAINT_TEXT_LIMITS["claim"])
    amount_claimed = forms.DecimalField(
        label=_("Amount you ask for (CNY)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    amount_paid = forms.DecimalField(
        label=_("Amount paid (CNY)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DateInput())
    order_reference = forms.CharField(
        label=_("Order number or receipt number"), max_length=100, required=False
    )
    contact_phone = forms.CharField(
        label=_("Your mobile phone for this complaint"),
        max_length=11,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}),
        help_text=_("With the case number it lets you follow the case without signing in."),
    )

    def clean_purchase_date(self):
        day = self.cleaned_data.get("purchase_date")
        try:
            purchase_date_check(day, timezone.now())
        except DomainError as error:
            raise ValidationError(error.message, code=error.code) from None
        return day


class ConsentForm(forms.Form):
    """Step 3: evidence files and consents, under a summary of the complaint."""

    files = EvidenceFilesField(label=_("Evidence (optional)"), required=False)
    consent_contact = forms.BooleanField(
        label=_("Show my name and phone to the merchant unmasked"), required=False
    )
    consent_disclosure = forms.BooleanField(
        label=_("Allow the case to be shown on public disclosure pages (without my name)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _evidence_help()
        self.fields["files"].widget.attrs["accept"] = evidence_limits()["accept"]
