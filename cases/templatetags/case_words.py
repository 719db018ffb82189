"""Words for the codes that events and cases store (their labels live with their choices), and
the sentence of each event (``cases.wording``)."""

from django import template

from .. import wording

register = template.Library()

register.filter("remedy_label", wording.remedy_label)
register.filter("party_label", wording.party_label)
register.filter("referral_outcome_label", wording.referral_outcome_label)
register.filter("reason_label", wording.reason_label)


@register.simple_tag
def event_text(event):
    """What ``event`` was, in one sentence: ``{% event_text event %}``."""
    return wording.event_text(event)
