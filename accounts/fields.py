"""Form fields of the accounts app."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import phone_validator

# What people type between the groups of a number ("138 1234 1234", "138-1234-1234"), and the
# country code some add in front of it.
_SEPARATORS = re.compile(r"[\s\-]")
_COUNTRY_CODE = "+86"


class MobilePhoneField(forms.CharField):
    """A mainland mobile number: 11 ASCII digits, stored without separators or country code."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("validators", [phone_validator])
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = _SEPARATORS.sub("", super().to_python(value))
        if value.startswith(_COUNTRY_CODE):
            value = value[len(_COUNTRY_CODE) :]
        return value
