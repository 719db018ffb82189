"""Forms of the regulator portal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Channel
from consumers.forms import ComplaintDetailsForm, RespondentForm
from core.forms import DomainErrorForm

from .models import BusinessInvitation, ComplainantReview

# Where a complaint registered by staff came from (the web and the API file their own).
OFF_LINE_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.PHONE, Channel.LETTER, Channel.VISIT, Channel.HOTLINE_12345)
]


class OnBehalfForm(DomainErrorForm, RespondentForm, ComplaintDetailsForm):
    """A complaint registered by regulator staff for a consumer who called, wrote or came in:
    the consumer by mobile number, the business found or described, what happened."""

    channel = forms.ChoiceField(label=_("How the complaint came in"), choices=OFF_LINE_CHANNELS)
    consumer_name = forms.CharField(label=_("Consumer's name"), max_length=100)

    field_order = [
        "channel",
        "contact_phone",
        "consumer_name",
        "search",
        "merchant",
        "name",
        "credit_code",
        "region",
        "address",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        phone = self.fields["contact_phone"]
        phone.label = _("Consumer's mobile phone")
        phone.help_text = _("The consumer is found by this number, or given an account with it.")


# --- Supervision, steering and abnormal complainants -------------------------------------------


class MerchantDecisionForm(DomainErrorForm):
    """The reason for a decision on a merchant's ODR status (required where the rules say)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The merchant's owners read it on their status page."),
    )

    def __init__(self, *args, reason_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if not reason_required:
            self.fields["reason"].label = _("Reason (optional)")


class BusinessInvitationForm(DomainErrorForm):
    channel = forms.ChoiceField(
        label=_("How to send the invitation"),
        choices=BusinessInvitation.Channel.choices,
        initial=BusinessInvitation.Channel.EMAIL,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Contact email address"),
        required=False,
        help_text=_("Where the business can be reached; needed to send the invitation by email."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == BusinessInvitation.Channel.EMAIL and not cleaned.get("email"):
            self.add_error("email", _("Give the address to email the invitation to."))
        return cleaned


class ComplaintFlagForm(DomainErrorForm):
    reason = forms.CharField(
        label=_("Why you suspect a profit-seeking complaint"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The regulator office reads it and decides; the consumer is not told."),
    )


class ComplainantReviewForm(DomainErrorForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ComplainantReview.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
