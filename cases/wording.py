"""What each case event says to people: one sentence per event type, in the words of the case
page's thread, public tracking and the notification list (``templates/cases/_event_text.html``
renders ``event_text``). Events store facts (codes, amounts, dates); the sentences live here so
that wording and translations change in one place."""

from collections.abc import Callable

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.templatetags.odr import cny

from .models import CaseEvent, NotAcceptedReason, Offer, Referral, TerminationReason
from .rules import Party

T = CaseEvent.Type


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


def remedy_label(value) -> str:
    return _label(Offer.Remedy, value)


def party_label(value) -> str:
    return _label(Party, value)


def referral_outcome_label(value) -> str:
    return _label(Referral.Status, value)


def reason_label(code, event_type: str) -> str:
    """The wording of a not-accept or termination reason code."""
    choices = TerminationReason if event_type == T.MEDIATION_TERMINATED else NotAcceptedReason
    return _label(choices, code)


def _say(sentence: str, **values) -> SafeString:
    """``sentence`` (translated) with ``values`` put in, everything escaped."""
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(
        conditional_escape(sentence) % escaped if values else conditional_escape(sentence)
    )


def _then(first: SafeString, more: str | None) -> SafeString:
    """``first``, and a second sentence after a space when there is one."""
    return format_html("{} {}", first, more) if more else first


def _terms(d: dict) -> dict:
    return {
        "remedy": remedy_label(d.get("remedy")),
        "amount": cny(d.get("amount")),
        "day": d.get("fulfil_by"),
    }


def _filed(d):
    if d.get("to") == "submitted":
        return _say(_("Complaint filed and sent to the merchant."))
    return _say(
        _(
            "Complaint filed and sent to the regulator office (the merchant is not an active "
            "ODR merchant)."
        )
    )


def _acknowledged(d):
    if d.get("late"):
        return _say(_("The merchant acknowledged the complaint, after the deadline."))
    return _say(_("The merchant acknowledged the complaint."))


def _offer_made(d):
    if d.get("proposer") == "mediator":
        return _say(
            _(
                "The mediator proposed an agreement: %(remedy)s, %(amount)s, to be fulfilled by %(day)s."  # noqa: E501
            ),
            **_terms(d),
        )
    offered = _say(
        _("The merchant offered: %(remedy)s, %(amount)s, to be fulfilled by %(day)s."), **_terms(d)
    )
    if d.get("final"):
        return format_html("{} <strong>{}</strong>", offered, _("Final offer."))
    return offered


def _offer_answered(accepted: bool):
    def say(d):
        who = party_label(d.get("party"))
        if accepted:
            return _then(
                _say(_("The %(who)s accepted the offer."), who=who),
                d.get("agreement") and _("The case is settled; the agreement is to be fulfilled."),
            )
        return _then(
            _say(_("The %(who)s rejected the offer."), who=who),
            d.get("final")
            and _("It was the merchant's final offer: negotiation has ended without settlement."),
        )

    return say


def _callback(d):
    satisfaction = d.get("satisfaction")
    if not satisfaction:  # visits recorded before satisfaction had four grades
        if d.get("satisfied") is True:
            return _say(_("Callback visit: the consumer is satisfied."))
        if d.get("satisfied") is False:
            return _say(_("Callback visit: the consumer is not satisfied."))
        return _say(_("Callback visit: the consumer was not reached."))
    graded = {
        "very_satisfied": _("Callback visit: the consumer is very satisfied."),
        "satisfied": _("Callback visit: the consumer is satisfied."),
        "dissatisfied": _("Callback visit: the consumer is dissatisfied."),
    }.get(satisfaction) or _("Callback visit: the consumer is very dissatisfied.")
    real = d.get("outcome_real")
    return _then(
        _say(graded),
        _("The outcome recorded is real.")
        if real is True
        else _("The consumer says the outcome recorded is not real.")
        if real is False
        else None,
    )


def _plain(sentence: Callable[[], str]):
    return lambda d: _say(sentence())


SENTENCES: dict[str, Callable[[dict], SafeString]] = {
    T.FILED: _filed,
    T.ACKNOWLEDGED: _acknowledged,
    T.ACKNOWLEDGEMENT_OVERDUE: _plain(
        lambda: _(
            "The merchant did not acknowledge the complaint in time; the settlement deadline "
            "keeps running."
        )
    ),
    T.REMINDER_SENT: lambda d: _say(
        ngettext(
            "Reminder sent: %(n)s working day left before the deadline.",
            "Reminder sent: %(n)s working days left before the deadline.",
            d.get("working_days_before") or 0,
        ),
        n=d.get("working_days_before"),
    ),
    T.MESSAGE_POSTED: lambda d: _say(
        _("Message from the %(who)s"), who=party_label(d.get("party"))
    ),
    T.NOTE_POSTED: _plain(lambda: _("Note for regulator staff only")),
    T.EVIDENCE_ADDED: lambda d: _say(
        _("Evidence attached by the %(who)s"), who=party_label(d.get("party"))
    ),
    T.OFFER_MADE: _offer_made,
    T.OFFER_ACCEPTED: _offer_answered(accepted=True),
    T.OFFER_REJECTED: _offer_answered(accepted=False),
    T.OFFER_LAPSED: _plain(lambda: _("The offer lapsed without an answer.")),
    T.SETTLEMENT_DECLINED: _plain(lambda: _("The merchant declined to settle.")),
    T.WITHDRAWN: _plain(lambda: _("The consumer withdrew the complaint.")),
    T.ESCALATED: _plain(
        lambda: _("The consumer asked the regulator office to handle the complaint.")
    ),
    T.DEADLINE_MISSED: _plain(
        lambda: _(
            "The complaint was not settled by the deadline and went to the regulator office "
            "automatically."
        )
    ),
    T.CLOSED_BY_CONSUMER: _plain(lambda: _("The consumer closed the case without settlement.")),
    T.CHOICE_WINDOW_EXPIRED: _plain(
        lambda: _("The consumer did not choose in time; the case closed without settlement.")
    ),
    T.ACCEPTED: _plain(
        lambda: _("The regulator office accepted the complaint; mediation has started.")
    ),
    T.NOT_ACCEPTED: lambda d: _say(
        _("The regulator office did not accept the complaint: %(reason)s."),
        reason=reason_label(d.get("reason_code"), T.NOT_ACCEPTED),
    ),
    T.TRANSFERRED: _plain(
        lambda: _(
            "The complaint was transferred to another regulator office; its acceptance deadline "
            "starts again there."
        )
    ),
    T.INTAKE_OVERDUE: _plain(
        lambda: _("The acceptance decision is overdue; supervisors were alerted.")
    ),
    T.MEDIATION_CONCLUDED: lambda d: _say(
        _("Mediation reached an agreement: %(remedy)s, %(amount)s, to be fulfilled by %(day)s."),
        **_terms(d),
    ),
    T.MEDIATION_TERMINATED: lambda d: _say(
        _("Mediation was terminated: %(reason)s."),
        reason=reason_label(d.get("reason_code"), T.MEDIATION_TERMINATED),
    ),
    T.MEDIATION_EXPIRED: _plain(lambda: _("Mediation was not concluded in time and ended.")),
    T.FULFILMENT_MARKED: _plain(
        lambda: _(
            "The merchant says the agreement is fulfilled; the consumer can confirm or report "
            "non-fulfilment."
        )
    ),
    T.FULFILMENT_OVERDUE: _plain(
        lambda: _(
            "The fulfilment date passed without the merchant marking the agreement fulfilled."
        )
    ),
    T.FULFILMENT_CONFIRMED: _plain(
        lambda: _("The consumer confirmed that the agreement was fulfilled.")
    ),
    T.FULFILMENT_PRESUMED: _plain(
        lambda: _("The consumer did not answer in time; fulfilment is taken as confirmed.")
    ),
    T.BREACH_REPORTED: lambda d: _then(
        _say(_("The consumer reported that the agreement was not fulfilled.")),
        d.get("advice")
        and _("A mediated agreement that is not honoured can be taken to arbitration or to court."),
    ),
    T.RATED: lambda d: _say(
        ngettext(
            "The consumer rated the handling %(n)s star.",
            "The consumer rated the handling %(n)s stars.",
            d.get("rating") or 0,
        ),
        n=d.get("rating"),
    ),
    T.RATING_WINDOW_CLOSED: _plain(lambda: _("The rating window closed.")),
    T.REFERRAL_OPENED: lambda d: _say(
        _("Referred for enforcement: suspected violation of %(law)s."), law=d.get("law")
    ),
    T.REFERRAL_EXTENDED: _plain(
        lambda: _("The enforcement referral's decision deadline was extended.")
    ),
    T.REFERRAL_DECIDED: lambda d: _say(
        _("Enforcement referral decided: %(outcome)s."),
        outcome=referral_outcome_label(d.get("outcome")),
    ),
    T.CALLBACK_RECORDED: _callback,
    T.DEADLINE_RECOMPUTED: _plain(
        lambda: _("A provisional deadline was recomputed with the official calendar.")
    ),
}


def event_text(event: CaseEvent) -> SafeString:
    """The sentence that tells people what ``event`` was, in the active language."""
    say = SENTENCES.get(event.type)
    return say(event.data) if say is not None else _say(_("Case updated."))
