"""Words for the codes that events and cases store (their labels live with their choices)."""

from django import template

from ..models import NotAcceptedReason, Offer, Referral, TerminationReason
from ..rules import Party

register = template.Library()


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


@register.filter
def remedy_label(value) -> str:
    return _label(Offer.Remedy, value)


@register.filter
def party_label(value) -> str:
    return _label(Party, value)


@register.filter
def referral_outcome_label(value) -> str:
    return _label(Referral.Status, value)


@register.filter
def reason_label(code, event_type: str) -> str:
    """The wording of a not-accept or termination reason code."""
    choices = TerminationReason if event_type == "mediation_terminated" else NotAcceptedReason
    return _label(choices, code)
