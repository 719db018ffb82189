"""Forms of the regulator portal."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Channel
from consumers.forms import ComplaintDetailsForm, RespondentForm

# Where a complaint registered by staff came from (the web and the API file their own).
OFF_LINE_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.PHONE, Channel.LETTER, Channel.VISIT, Channel.HOTLINE_12345)
]
# Engine errors about a field, shown beside this form's field of that name.
FORM_FIELD = {"merchant": "name", "region_code": "region", "contact_phone": "contact_phone"}


class OnBehalfForm(RespondentForm, ComplaintDetailsForm):
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

    def add_domain_error(self, error) -> None:
        field = FORM_FIELD.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, ValidationError(error.message))
