"""Every change to a case (DESIGN §4). Views, the API, tasks and the sweep call these; nothing else
writes a case, its thread or its event chain.

Each public service: applies any deadline already due (so a late action meets the state the
deadline produced), locks the case row, checks with ``rules.require_action`` that the actor may do
it, and makes its change through ``Op``: ``Op.transition`` is the one function that writes
``Case.status``; ``Op.record`` the one that appends to the event chain.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import WorkCalendar, load_calendar
from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.regions import region_contains
from regulators.models import Office

from .deadlines import (
    Deadline,
    calendar_days_deadline,
    date_deadline,
    local_date,
    working_days_deadline,
    working_days_deadline_from_date,
)
from .ledger import event_append, text_sha256
from .models import (
    TRANSITIONS,
    Agreement,
    CallbackVisit,
    Case,
    CaseEvent,
    Channel,
    DeadlinePolicy,
    Message,
    NotAcceptedReason,
    Offer,
    Referral,
    Resolution,
    Status,
    TerminationReason,
)
from .rules import Action, Party, require_action
from .timers import (
    LIVE_IN,
    WORKING_DAY_DEADLINES,
    deadlines_on_entry,
    next_action_at,
    reminder_days,
)

E = CaseEvent.Type
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# --- The operation: one locked case, its new events, its side effects -----------------------


@dataclass
class Op:
    case: Case
    now: datetime
    policy: DeadlinePolicy
    calendar: WorkCalendar
    actor: object | None = None
    party: Party | None = None
    events: list[CaseEvent] = field(default_factory=list)
    notify: list[CaseEvent] = field(default_factory=list)

    def record(
        self, type: str, data: dict | None = None, *, internal: bool = False, notify: bool = False
    ) -> CaseEvent:
        """Append an event to the case's chain (saved with the case by ``Op.save``)."""
        event = event_append(
            self.case, type, now=self.now, actor=self.actor, data=data, internal=internal
        )
        self.events.append(event)
        if notify:
            self.notify.append(event)
        return event

    def set_deadline(self, key: str, deadline: Deadline | None) -> dict | None:
        """Set (or clear) the ``key`` deadline column; return its explanation for the event."""
        case = self.case
        setattr(case, f"{key}_due_at", deadline.due_at if deadline else None)
        if key in WORKING_DAY_DEADLINES:
            setattr(case, f"{key}_due_provisional", bool(deadline and deadline.provisional))
            if deadline:
                basis = {**deadline.basis, "reminders": reminder_days(key, self.policy)}
                case.deadline_basis = {**case.deadline_basis, key: basis}
            else:
                case.deadline_basis = {k: v for k, v in case.deadline_basis.items() if k != key}
        if deadline is None:
            return None
        return {"due_at": deadline.due_at.isoformat(), **deadline.explanation}

    def transition(
        self,
        to: str,
        event_type: str,
        *,
        resolution: str = "",
        data: dict | None = None,
        deadlines: dict[str, Deadline] | None = None,
        notify: bool = True,
    ) -> CaseEvent:
        """Move the case to ``to`` — the only place that writes ``Case.status``.

        Checks the transition table, clears the deadlines the new status does not live with,
        starts the ones it begins (plus ``deadlines`` the caller knows, such as an agreement's
        fulfil-by date), withdraws an offer left open, and records the event.
        """
        case = self.case
        old = case.status
        if (to, resolution) not in TRANSITIONS[old]:
            raise InvalidTransition(
                _("A case cannot go from “%(old)s” to “%(new)s”.")
                % {"old": Status(old).label, "new": Status(to).label}
            )
        data = dict(data or {})
        data.update({"from": old, "to": to})
        if resolution:
            data["resolution"] = resolution

        if case.offer_due_at and to not in LIVE_IN["offer"]:
            withdrawn = Offer.objects.filter(case=case, status=Offer.Status.OPEN).update(
                status=Offer.Status.WITHDRAWN, decided_at=self.now
            )
            if withdrawn:
                data["offer_withdrawn"] = True
        for key, live_in in LIVE_IN.items():
            if to not in live_in:
                self.set_deadline(key, None)
        explained = {}
        starting = deadlines_on_entry(to, self.now, self.policy, self.calendar)
        for key, deadline in {**starting, **(deadlines or {})}.items():
            explained[key] = self.set_deadline(key, deadline)
        if explained:
            data["deadlines"] = explained
        case.fulfilment_overdue = False
        if to == Status.REGULATOR_INTAKE:
            case.intake_overdue = False
            case.reminders_sent = [k for k in case.reminders_sent if not k.startswith("intake")]

        case.status = to
        case.resolution = resolution
        case.closed_at = self.now if to == Status.CLOSED else None
        return self.record(event_type, data, notify=notify)

    def save(self) -> None:
        self.case.next_action_at = next_action_at(self.case, self.policy, self.calendar)
        self.case.save()
        CaseEvent.objects.bulk_create(self.events)
        _notify_on_commit(self.notify)
        self.events, self.notify = [], []


def _notify_on_commit(events: list[CaseEvent]) -> None:
    if events:
        from .tasks import notify_events

        ids = [e.pk for e in events]
        # robust: the change is committed; a broker outage must not turn it into an error.
        transaction.on_commit(lambda: notify_events.delay(ids), robust=True)


def _context(now: datetime | None) -> tuple[datetime, DeadlinePolicy, WorkCalendar]:
    return now or timezone.now(), DeadlinePolicy.current(), load_calendar()


@contextmanager
def _acting(case: Case, actor, action: Action | None, now: datetime | None) -> Iterator[Op]:
    """Lock ``case``, bring its deadlines up to date, check ``action``, and save what changed."""
    now, policy, calendar = _context(now)
    case_apply_due(case.pk, now=now, policy=policy, calendar=calendar)
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("office").get(pk=case.pk)
        party = require_action(locked, actor, action, now=now) if action else None
        op = Op(locked, now, policy, calendar, actor=actor, party=party)
        yield op
        op.save()
    # Hand the caller's instance the new state.
    case.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    case._state.fields_cache = dict(locked._state.fields_cache)


def _required_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code="required", field=field_name)
    return value


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ValidationFailed(_("Enter an amount in yuan, e.g. 199.00."), field="amount") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("Enter an amount of zero or more, with at most two decimals."), field="amount"
        )
    return amount


# --- Filing --------------------------------------------------------------------------------


def _new_number(now: datetime) -> str:
    suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{local_date(now):%Y%m%d}-{suffix}"


def case_file(
    *,
    consumer,
    merchant,
    subject: str,
    facts: str,
    claim: str,
    amount_claimed: Decimal | None = None,
    purchase_date: date | None = None,
    order_reference: str = "",
    channel: str = Channel.WEB,
    consent_disclosure: bool = False,
    consent_contact: bool = False,
    filed_by=None,
    now: datetime | None = None,
) -> Case:
    """File a complaint. An active ODR merchant receives it (``submitted``); any other goes to the
    regulator office whose region most specifically contains the merchant's (``regulator_intake``).
    """
    now, policy, calendar = _context(now)
    subject = _required_text(
        subject, "subject", _("Say in a few words what the complaint is about.")
    )
    facts = _required_text(facts, "facts", _("Describe what happened."))
    claim = _required_text(claim, "claim", _("Say what you ask the merchant to do."))
    if amount_claimed is not None:
        amount_claimed = _amount(amount_claimed)
    if purchase_date and purchase_date > local_date(now):
        raise ValidationFailed(
            _("The purchase date cannot be in the future."), field="purchase_date"
        )
    office = Office.objects.for_region(merchant.region_code)
    if office is None:
        raise ValidationFailed(
            _("No regulator office covers the merchant's region %(code)s.")
            % {"code": merchant.region_code},
            code="no_office",
            field="merchant",
        )
    with transaction.atomic():
        case = Case(
            number=_new_number(now),
            consumer=consumer,
            merchant=merchant,
            office=office,
            status=Status.SUBMITTED,
            channel=channel,
            subject=subject,
            facts=facts,
            claim=claim,
            amount_claimed=amount_claimed,
            purchase_date=purchase_date,
            order_reference=(order_reference or "").strip(),
            consent_disclosure=consent_disclosure,
            consent_contact=consent_contact,
            filed_by=filed_by,
            filed_at=now,
        )
        while Case.objects.filter(number=case.number).exists():
            case.number = _new_number(now)
        op = Op(case, now, policy, calendar, actor=filed_by or consumer)
        initial = (
            Status.SUBMITTED if merchant.receives_complaints_directly else Status.REGULATOR_INTAKE
        )
        case.status = initial
        explained = {
            key: op.set_deadline(key, deadline)
            for key, deadline in deadlines_on_entry(initial, now, policy, calendar).items()
        }
        op.record(
            E.FILED,
            {
                "to": initial,
                "consumer": consumer.pk,
                "merchant": merchant.pk,
                "office": office.pk,
                "channel": channel,
                "merchant_odr_status": merchant.odr_status,
                "subject_sha256": text_sha256(subject),
                "facts_sha256": text_sha256(facts),
                "claim_sha256": text_sha256(claim),
                "amount_claimed": str(amount_claimed) if amount_claimed is not None else None,
                "purchase_date": purchase_date.isoformat() if purchase_date else None,
                "order_reference": case.order_reference,
                "consent_disclosure": consent_disclosure,
                "consent_contact": consent_contact,
                "deadlines": explained,
            },
            notify=True,
        )
        op.save()
    return case


# --- Negotiation ---------------------------------------------------------------------------


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
        notify=False,
    )


def case_acknowledge(*, case: Case, actor, now: datetime | None = None) -> Case:
    with _acting(case, actor, Action.ACKNOWLEDGE, now) as op:
        _acknowledge_in(op, "acknowledge")
    return case


def case_post_message(
    *, case: Case, actor, body: str, internal: bool = False, now: datetime | None = None
) -> Message:
    """Post to the thread. ``internal`` makes it a regulator-only note.

    A merchant's first message on a ``submitted`` case acknowledges it.
    """
    body = _required_text(body, "body", _("Write a message."))
    action = Action.POST_NOTE if internal else Action.POST_MESSAGE
    with _acting(case, actor, action, now) as op:
        message = Message.objects.create(
            case=op.case,
            author=actor,
            author_party=op.party,
            visibility=Message.Visibility.REGULATOR if internal else Message.Visibility.PARTIES,
            body=body,
            created_at=op.now,
        )
        if op.party == Party.MERCHANT:
            _acknowledge_in(op, "message")
        op.record(
            E.NOTE_POSTED if internal else E.MESSAGE_POSTED,
            {"message": message.pk, "party": op.party, "body_sha256": text_sha256(body)},
            internal=internal,
        )
    return message


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
    text = _required_text(text, "text", _("Write the terms of the offer."))
    amount = _amount(amount)
    if remedy not in Offer.Remedy.values:
        raise ValidationFailed(_("Choose a remedy."), field="remedy")
    with _acting(case, actor, Action.MAKE_OFFER, now) as op:
        if fulfil_by is None or fulfil_by < local_date(op.now):
            raise ValidationFailed(
                _("The fulfilment date must be today or later."), field="fulfil_by"
            )
        if op.party == Party.MERCHANT:
            _acknowledge_in(op, "offer")
        respond = calendar_days_deadline(op.now, op.policy.offer_response_days)
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
            respond_by=respond.due_at,
            created_at=op.now,
        )
        explained = op.set_deadline("offer", respond)
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
            notify=True,
        )
    return offer


def _open_offer(op: Op) -> Offer:
    offer = op.case.offers.select_for_update().filter(status=Offer.Status.OPEN).first()
    if offer is None:
        raise PermissionDenied(_("There is no open offer."), code="no_open_offer")
    return offer


def offer_accept(*, case: Case, actor, now: datetime | None = None) -> Offer:
    """Accept the open offer. When everyone it needs has accepted, it becomes the agreement."""
    with _acting(case, actor, Action.ACCEPT_OFFER, now) as op:
        offer = _open_offer(op)
        if op.party == Party.CONSUMER:
            offer.consumer_accepted_at = op.now
        else:
            offer.merchant_accepted_at = op.now
        complete = offer.consumer_accepted_at is not None and (
            offer.proposer == Offer.Proposer.MERCHANT or offer.merchant_accepted_at is not None
        )
        if complete:
            offer.status = Offer.Status.ACCEPTED
            offer.decided_at = op.now
        offer.save()
        data = {"offer": offer.pk, "party": op.party}
        if not complete:  # a mediator's proposal still waits for the other party
            op.record(E.OFFER_ACCEPTED, data, notify=True)
            return offer
        op.set_deadline("offer", None)
        agreement = _agreement_create(
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
            data={**data, **_agreement_facts(agreement)},
            deadlines={"fulfil": date_deadline(agreement.fulfil_by)},
        )
    return offer


def _agreement_facts(agreement: Agreement) -> dict:
    """What the event chain records of an agreement (its terms by digest)."""
    return {
        "agreement": agreement.pk,
        "kind": agreement.kind,
        "remedy": agreement.remedy,
        "amount": str(agreement.amount),
        "fulfil_by": agreement.fulfil_by.isoformat(),
        "terms_sha256": text_sha256(agreement.text),
    }


def _agreement_create(op: Op, *, offer, remedy, amount, fulfil_by, text) -> Agreement:
    kind = (
        Agreement.Kind.MEDIATED if op.case.status == Status.MEDIATION else Agreement.Kind.NEGOTIATED
    )
    return Agreement.objects.create(
        case=op.case,
        offer=offer,
        kind=kind,
        remedy=remedy,
        amount=amount,
        fulfil_by=fulfil_by,
        text=text,
        created_at=op.now,
    )


def offer_reject(*, case: Case, actor, reason: str, now: datetime | None = None) -> Offer:
    """Reject the open offer. Rejecting a merchant's final offer ends negotiation (not settled)."""
    reason = _required_text(reason, "reason", _("Say why you reject the offer."))
    with _acting(case, actor, Action.REJECT_OFFER, now) as op:
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
            op.record(E.OFFER_REJECTED, data, notify=True)
    return offer


def case_decline(*, case: Case, actor, reason: str, now: datetime | None = None) -> Case:
    """The merchant declines to settle (和解不成); the consumer then chooses what next."""
    reason = _required_text(reason, "reason", _("Say why you decline to settle."))
    with _acting(case, actor, Action.DECLINE, now) as op:
        op.transition(Status.NOT_SETTLED, E.SETTLEMENT_DECLINED, data={"reason": reason})
    return case


def case_withdraw(*, case: Case, actor, reason: str = "", now: datetime | None = None) -> Case:
    with _acting(case, actor, Action.WITHDRAW, now) as op:
        op.transition(
            Status.CLOSED,
            E.WITHDRAWN,
            resolution=Resolution.WITHDRAWN,
            data={"reason": (reason or "").strip()},
        )
    return case


def case_escalate(*, case: Case, actor, now: datetime | None = None) -> Case:
    """The consumer takes a case that was not settled to the regulator."""
    with _acting(case, actor, Action.ESCALATE, now) as op:
        op.transition(Status.REGULATOR_INTAKE, E.ESCALATED)
    return case


def case_close(*, case: Case, actor, now: datetime | None = None) -> Case:
    """The consumer closes a case that was not settled."""
    with _acting(case, actor, Action.CLOSE, now) as op:
        op.transition(Status.CLOSED, E.CLOSED_BY_CONSUMER, resolution=Resolution.NOT_SETTLED)
    return case


# --- The regulator -------------------------------------------------------------------------


def case_accept(*, case: Case, actor, now: datetime | None = None) -> Case:
    """Accept the complaint (受理) and open mediation."""
    with _acting(case, actor, Action.ACCEPT, now) as op:
        op.transition(Status.MEDIATION, E.ACCEPTED)
    return case


def _reason(code: str, text: str, choices) -> dict:
    if code not in choices.values:
        raise ValidationFailed(_("Choose a reason."), field="reason_code")
    text = (text or "").strip()
    if code == choices.OTHER and not text:
        raise ValidationFailed(_("Explain the reason."), code="required", field="reason_text")
    return {"reason_code": code, "reason_text": text}


def case_reject_intake(
    *, case: Case, actor, reason_code: str, reason_text: str = "", now: datetime | None = None
) -> Case:
    """Decide not to accept the complaint (不予受理), on one of the grounds of Order 121 art. 16."""
    reason = _reason(reason_code, reason_text, NotAcceptedReason)
    with _acting(case, actor, Action.REJECT_INTAKE, now) as op:
        op.transition(
            Status.CLOSED, E.NOT_ACCEPTED, resolution=Resolution.NOT_ACCEPTED, data=reason
        )
    return case


def case_transfer(
    *, case: Case, actor, to_office: Office, reason: str, now: datetime | None = None
) -> Case:
    """Hand the complaint to another office; its acceptance clock starts again there."""
    reason = _required_text(reason, "reason", _("Say why the case is transferred."))
    with _acting(case, actor, Action.TRANSFER, now) as op:
        if to_office.pk == op.case.office_id:
            raise ValidationFailed(_("Choose another office."), field="to_office")
        from_office = op.case.office_id
        op.case.office = to_office
        op.transition(
            Status.REGULATOR_INTAKE,
            E.TRANSFERRED,
            data={
                "from_office": from_office,
                "to_office": to_office.pk,
                "reason": reason,
                "covers_merchant": region_contains(
                    to_office.region_code, op.case.merchant.region_code
                ),
            },
        )
    return case


def mediation_conclude(
    *,
    case: Case,
    actor,
    remedy: str,
    amount,
    fulfil_by: date,
    text: str,
    now: datetime | None = None,
) -> Agreement:
    """Record the agreement both parties reached in mediation (attested by the mediator)."""
    text = _required_text(text, "text", _("Write the terms of the agreement."))
    amount = _amount(amount)
    if remedy not in Offer.Remedy.values:
        raise ValidationFailed(_("Choose a remedy."), field="remedy")
    with _acting(case, actor, Action.CONCLUDE_MEDIATION, now) as op:
        if fulfil_by is None or fulfil_by < local_date(op.now):
            raise ValidationFailed(
                _("The fulfilment date must be today or later."), field="fulfil_by"
            )
        agreement = _agreement_create(
            op, offer=None, remedy=remedy, amount=amount, fulfil_by=fulfil_by, text=text
        )
        op.transition(
            Status.SETTLED,
            E.MEDIATION_CONCLUDED,
            data={**_agreement_facts(agreement), "signed_by_both_parties": True},
            deadlines={"fulfil": date_deadline(fulfil_by)},
        )
    return agreement


def mediation_terminate(
    *, case: Case, actor, reason_code: str, reason_text: str = "", now: datetime | None = None
) -> Case:
    """Terminate mediation on one of the grounds of Order 20 art. 21."""
    reason = _reason(reason_code, reason_text, TerminationReason)
    with _acting(case, actor, Action.TERMINATE_MEDIATION, now) as op:
        op.transition(
            Status.CLOSED,
            E.MEDIATION_TERMINATED,
            resolution=Resolution.MEDIATION_FAILED,
            data=reason,
        )
    return case


# --- After an agreement --------------------------------------------------------------------


def _agreement(op: Op) -> Agreement:
    agreement = op.case.agreements.select_for_update().order_by("-created_at", "-pk").first()
    if agreement is None:  # pragma: no cover - a settled case always has one
        raise InvalidTransition(_("This case has no agreement."))
    return agreement


def agreement_mark_fulfilled(
    *, case: Case, actor, note: str = "", now: datetime | None = None
) -> Agreement:
    """The merchant says the agreement is fulfilled; the consumer has a window to confirm."""
    with _acting(case, actor, Action.MARK_FULFILLED, now) as op:
        agreement = _agreement(op)
        agreement.fulfilled_marked_at = op.now
        agreement.save(update_fields=["fulfilled_marked_at"])
        op.set_deadline("fulfil", None)
        explained = op.set_deadline(
            "confirm", calendar_days_deadline(op.now, op.policy.confirm_days)
        )
        op.record(
            E.FULFILMENT_MARKED,
            {
                "agreement": agreement.pk,
                "note_sha256": text_sha256(note.strip()),
                "deadlines": {"confirm": explained},
            },
            notify=True,
        )
    return agreement


def agreement_confirm(*, case: Case, actor, now: datetime | None = None) -> Agreement:
    with _acting(case, actor, Action.CONFIRM_FULFILMENT, now) as op:
        agreement = _agreement(op)
        agreement.confirmed_at = op.now
        agreement.save(update_fields=["confirmed_at"])
        op.transition(
            Status.CLOSED,
            E.FULFILMENT_CONFIRMED,
            resolution=Resolution.SETTLED,
            data={"agreement": agreement.pk},
        )
    return agreement


def agreement_report_breach(
    *, case: Case, actor, description: str, now: datetime | None = None
) -> Agreement:
    """The consumer reports that the agreement was not fulfilled.

    A negotiated settlement goes to the regulator; a mediated agreement ends the case as failed
    mediation, and the consumer is pointed to arbitration or the courts.
    """
    description = _required_text(description, "description", _("Describe what was not fulfilled."))
    with _acting(case, actor, Action.REPORT_BREACH, now) as op:
        agreement = _agreement(op)
        agreement.breach_reported_at = op.now
        agreement.save(update_fields=["breach_reported_at"])
        data = {"agreement": agreement.pk, "description_sha256": text_sha256(description)}
        if agreement.kind == Agreement.Kind.NEGOTIATED:
            op.transition(Status.REGULATOR_INTAKE, E.BREACH_REPORTED, data=data)
        else:
            data["advice"] = "arbitration_or_court"
            op.transition(
                Status.CLOSED,
                E.BREACH_REPORTED,
                resolution=Resolution.MEDIATION_FAILED,
                data=data,
            )
    return agreement


def case_rate(
    *, case: Case, actor, rating: int, comment: str = "", now: datetime | None = None
) -> Case:
    if rating not in range(1, 6):
        raise ValidationFailed(_("Choose from 1 to 5 stars."), field="rating")
    with _acting(case, actor, Action.RATE, now) as op:
        op.case.rating = rating
        op.case.rating_comment = (comment or "").strip()
        op.set_deadline("rating", None)
        op.record(
            E.RATED, {"rating": rating, "comment_sha256": text_sha256(op.case.rating_comment)}
        )
    return case


# --- Enforcement referrals and callbacks ---------------------------------------------------


def referral_open(
    *, case: Case, actor, law: str, note: str = "", now: datetime | None = None
) -> Referral:
    """Refer the case for enforcement (诉转案). The mediation track carries on regardless."""
    law = _required_text(law, "law", _("Name the law the merchant is suspected of violating."))
    with _acting(case, actor, Action.OPEN_REFERRAL, now) as op:
        deadline = working_days_deadline(op.now, op.policy.referral_working_days, op.calendar)
        referral = Referral.objects.create(
            case=op.case,
            office=op.case.office,
            opened_by=actor,
            law=law,
            note=(note or "").strip(),
            decide_due_at=deadline.due_at,
            decide_due_provisional=deadline.provisional,
            decide_basis=deadline.basis,
            created_at=op.now,
        )
        op.record(
            E.REFERRAL_OPENED,
            {
                "referral": referral.pk,
                "law": law,
                "deadlines": {
                    "referral": {"due_at": deadline.due_at.isoformat(), **deadline.explanation}
                },
            },
            internal=True,
        )
    return referral


def _open_referral(op: Op) -> Referral:
    return op.case.referrals.select_for_update().get(status=Referral.Status.REFERRED)


def referral_extend(*, case: Case, actor, reason: str, now: datetime | None = None) -> Referral:
    """Extend the decision deadline once (by the policy's extension, 15 working days by default)."""
    reason = _required_text(reason, "reason", _("Say why more time is needed."))
    with _acting(case, actor, Action.EXTEND_REFERRAL, now) as op:
        referral = _open_referral(op)
        deadline = working_days_deadline_from_date(
            local_date(referral.decide_due_at),
            op.policy.referral_extension_working_days,
            op.calendar,
        )
        referral.decide_due_at = deadline.due_at
        referral.decide_due_provisional = deadline.provisional
        referral.decide_basis = deadline.basis
        referral.extended = True
        referral.save()
        op.record(
            E.REFERRAL_EXTENDED,
            {
                "referral": referral.pk,
                "reason": reason,
                "deadlines": {
                    "referral": {"due_at": deadline.due_at.isoformat(), **deadline.explanation}
                },
            },
            internal=True,
        )
    return referral


def referral_decide(
    *, case: Case, actor, outcome: str, note: str = "", now: datetime | None = None
) -> Referral:
    if outcome not in (Referral.Status.CASE_OPENED, Referral.Status.NO_CASE):
        raise ValidationFailed(_("Choose the decision."), field="outcome")
    with _acting(case, actor, Action.DECIDE_REFERRAL, now) as op:
        referral = _open_referral(op)
        referral.status = outcome
        referral.decided_at = op.now
        referral.decided_by = actor
        referral.decision_note = (note or "").strip()
        referral.save()
        op.record(
            E.REFERRAL_DECIDED,
            {
                "referral": referral.pk,
                "outcome": outcome,
                "on_time": op.now <= referral.decide_due_at,
                "note_sha256": text_sha256(referral.decision_note),
            },
            internal=True,
        )
    return referral


def callback_record(
    *, case: Case, actor, satisfied: bool | None, note: str = "", now: datetime | None = None
) -> CallbackVisit:
    """Record a follow-up call to the consumer after the case closed (回访)."""
    with _acting(case, actor, Action.RECORD_CALLBACK, now) as op:
        visit = CallbackVisit.objects.create(
            case=op.case,
            officer=actor,
            satisfied=satisfied,
            note=(note or "").strip(),
            created_at=op.now,
        )
        op.record(
            E.CALLBACK_RECORDED,
            {"callback": visit.pk, "satisfied": satisfied, "note_sha256": text_sha256(visit.note)},
            internal=True,
        )
    return visit


# --- Deadlines -----------------------------------------------------------------------------


def case_apply_due(
    case_id: int,
    *,
    now: datetime,
    policy: DeadlinePolicy,
    calendar: WorkCalendar,
) -> bool:
    """Do whatever deadlines of one case are already due; return whether anything was done."""
    if not Case.objects.filter(pk=case_id, next_action_at__lt=now).exists():
        return False
    from .sweep import apply_due_timers

    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id, next_action_at__lt=now).first()
        if case is None:
            return False
        op = Op(case, now, policy, calendar)
        apply_due_timers(op)
        op.save()
    return True
