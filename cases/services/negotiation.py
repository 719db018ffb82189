"""Negotiation between consumer and merchant (product §4): acknowledging, the thread, offers,
declining, withdrawing, escalating, closing."""

import uuid
from datetime import date, datetime

from django.utils.translation import gettext as _

from core.errors import ActionNotAllowed

from ..deadlines import date_deadline
from ..ledger import text_sha256
from ..models import Agreement, Case, Message, Offer, Resolution, Status
from ..op import Op
from ..rules import Action, Party
from ..timers import deadline_start
from ._common import E, acting, fulfil_by_check, required_text, terms_check
from .agreement import agreement_create, agreement_facts


def _acknowledge_in(op: Op, how: str) -> None:
    """Move a ``submitted`` case to ``negotiating``; the settlement clock keeps running."""
    if op.case.status != Status.SUBMITTED:
        return
    op.case.acknowledged_at = op.now
    late = op.case.acknowledge_due_at is not None and op.now > op.case.acknowledge_due_at
    op.transition(
        Status.NEGOTIATING,
        E.ACKNOWLEDGED,
        data={"how": how, "late": late or op.case.acknowledge_late},
    )


def case_acknowledge(*, case: Case, actor, now: datetime | None = None) -> Case:
    with acting(case, actor, Action.ACKNOWLEDGE, now) as op:
        _acknowledge_in(op, "acknowledge")
    return op.case


def case_post_message(
    *,
    case: Case,
    actor,
    body: str,
    internal: bool = False,
    client_key: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Message:
    """Post to the thread. ``internal`` makes it a regulator-only note.

    A merchant's first message on a ``submitted`` case acknowledges it. ``client_key`` names one
    attempt to post (the composer carries it): the same key sent again by the same person
    returns the message already posted instead of posting it twice.
    """
    body = required_text(body, "body", _("Write a message."))
    if client_key is not None and (posted := _posted_with(case, actor, client_key)):
        return posted
    action = Action.POST_NOTE if internal else Action.POST_MESSAGE
    with acting(case, actor, action, now) as op:
        # Again under the case's lock: two sends of one key at once post once.
        if client_key is not None and (posted := _posted_with(op.case, actor, client_key)):
            return posted
        message = Message.objects.create(
            case=op.case,
            author=actor,
            author_party=op.party,
            visibility=Message.Visibility.REGULATOR if internal else Message.Visibility.PARTIES,
            body=body,
            created_at=op.now,
            client_key=client_key,
        )
        if op.party == Party.MERCHANT:
            _acknowledge_in(op, "message")
        op.record(
            E.NOTE_POSTED if internal else E.MESSAGE_POSTED,
            {"message": message.pk, "party": op.party, "body_sha256": text_sha256(body)},
            internal=internal,
        )
    return message


def _posted_with(case: Case, actor, client_key: uuid.UUID) -> Message | None:
    return Message.objects.filter(case=case, author=actor, client_key=client_key).first()


def offer_make(
    *,
    case: Case,
    actor,
    remedy: str,
    amount,
    fulfil_by: date,
    text: str,
    is_final: bool = False,
    now: datetime | None = None,
) -> Offer:
    """Propose a settlement. The merchant proposes in negotiation; the mediator in mediation."""
    amount, text = terms_check(remedy, amount, text, _("Write the terms of the offer."))
    with acting(case, actor, Action.MAKE_OFFER, now) as op:
        fulfil_by_check(fulfil_by, op.now)
        if op.party == Party.MERCHANT:
            _acknowledge_in(op, "offer")
        offer = Offer.objects.create(
            case=op.case,
            proposer=Offer.Proposer.MERCHANT
            if op.party == Party.MERCHANT
            else Offer.Proposer.MEDIATOR,
            made_by=actor,
            remedy=remedy,
            amount=amount,
            fulfil_by=fulfil_by,
            text=text,
            is_final=is_final and op.party == Party.MERCHANT,
            created_at=op.now,
        )
        explained = op.set_deadline(
            "offer", deadline_start("offer", op.now, op.policy, op.calendar)
        )
        op.record(
            E.OFFER_MADE,
            {
                "offer": offer.pk,
                "proposer": offer.proposer,
                "remedy": remedy,
                "amount": str(amount),
                "fulfil_by": fulfil_by.isoformat(),
                "final": offer.is_final,
                "terms_sha256": text_sha256(text),
                "deadlines": {"offer": explained},
            },
        )
    return offer


def _open_offer(op: Op) -> Offer:
    offer = op.case.open_offer(lock=True)
    if offer is None:
        raise ActionNotAllowed(_("There is no open offer."), code="no_open_offer")
    return offer


def offer_accept(*, case: Case, actor, now: datetime | None = None) -> Offer:
    """Accept the open offer. When everyone it needs has accepted, it becomes the agreement."""
    with acting(case, actor, Action.ACCEPT_OFFER, now) as op:
        offer = _open_offer(op)
        if op.party == Party.CONSUMER:
            offer.consumer_accepted_at = op.now
        else:
            offer.merchant_accepted_at = op.now
        complete = not offer.waiting_for()
        if complete:
            offer.status = Offer.Status.ACCEPTED
            offer.decided_at = op.now
        offer.save()
        data = {"offer": offer.pk, "party": op.party}
        if not complete:  # a mediator's proposal still waits for the other party
            op.record(E.OFFER_ACCEPTED, data)
            return offer
        op.set_deadline("offer", None)
        agreement = agreement_create(
            op,
            offer=offer,
            remedy=offer.remedy,
            amount=offer.amount,
            fulfil_by=offer.fulfil_by,
            text=offer.text,
        )
        mediated = agreement.kind == Agreement.Kind.MEDIATED
        op.transition(
            Status.SETTLED,
            E.MEDIATION_CONCLUDED if mediated else E.OFFER_ACCEPTED,
            data={**data, **agreement_facts(agreement)},
            deadlines={"fulfil": date_deadline(agreement.fulfil_by)},
        )
    return offer


def offer_reject(*, case: Case, actor, reason: str, now: datetime | None = None) -> Offer:
    """Reject the open offer. Rejecting a merchant's final offer ends negotiation (not settled)."""
    reason = required_text(reason, "reason", _("Say why you reject the offer."))
    with acting(case, actor, Action.REJECT_OFFER, now) as op:
        offer = _open_offer(op)
        offer.status = Offer.Status.REJECTED
        offer.rejection_reason = reason
        offer.decided_at = op.now
        offer.save()
        op.set_deadline("offer", None)
        data = {
            "offer": offer.pk,
            "party": op.party,
            "final": offer.is_final,
            "reason_sha256": text_sha256(reason),
        }
        if offer.is_final and op.case.status == Status.NEGOTIATING:
            op.transition(Status.NOT_SETTLED, E.OFFER_REJECTED, data=data)
        else:
            op.record(E.OFFER_REJECTED, data)
    return offer


def case_decline(*, case: Case, actor, reason: str, now: datetime | None = None) -> Case:
    """The merchant declines to settle (和解不成); the consumer then chooses what next."""
    reason = required_text(reason, "reason", _("Say why you decline to settle."))
    with acting(case, actor, Action.DECLINE, now) as op:
        op.transition(Status.NOT_SETTLED, E.SETTLEMENT_DECLINED, data={"reason": reason})
    return op.case


def case_withdraw(*, case: Case, actor, reason: str = "", now: datetime | None = None) -> Case:
    with acting(case, actor, Action.WITHDRAW, now) as op:
        op.transition(
            Status.CLOSED,
            E.WITHDRAWN,
            resolution=Resolution.WITHDRAWN,
            data={"reason": (reason or "").strip()},
        )
    return op.case


def case_escalate(*, case: Case, actor, now: datetime | None = None) -> Case:
    """The consumer takes a case that was not settled to the regulator."""
    with acting(case, actor, Action.ESCALATE, now) as op:
        op.transition(Status.REGULATOR_INTAKE, E.ESCALATED)
    return op.case


def case_close(*, case: Case, actor, now: datetime | None = None) -> Case:
    """The consumer closes a case that was not settled."""
    with acting(case, actor, Action.CLOSE, now) as op:
        op.transition(Status.CLOSED, E.CLOSED_BY_CONSUMER, resolution=Resolution.NOT_SETTLED)
    return op.case
