from django import forms
from django.utils.translation import gettext_lazy as _


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=20)
    phone = forms.CharField(label=_("Mobile phone given when filing"), max_length=11)

    not_found_message = _("No case matches this number and phone. Check both and try again.")
