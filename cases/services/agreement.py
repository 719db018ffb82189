"""After an agreement (product §4): fulfilment, confirmation, non-fulfilment, the rating."""

from datetime import datetime

from django.utils.translation import gettext as _

from core.errors import InvalidTransition, ValidationFailed

from ..deadlines import working_days_between
from ..evidence import check_evidence_file
from ..ledger import text_sha256
from ..models import Agreement, Case, Resolution, Status
from ..op import Op
from ..rules import Action
from ..timers import deadline_start
from ._common import E, acting, required_text
from .evidence import evidence_precheck, evidence_store, files_removed_on_failure


def agreement_facts(agreement: Agreement) -> dict:
    """What the event chain records of an agreement (its terms by digest)."""
    return {
        "agreement": agreement.pk,
        "kind": agreement.kind,
        "remedy": agreement.remedy,
        "amount": str(agreement.amount),
        "fulfil_by": agreement.fulfil_by.isoformat(),
        "terms_sha256": text_sha256(agreement.text),
    }


def agreement_create(op: Op, *, offer, remedy, amount, fulfil_by, text) -> Agreement:
    """Make the agreement a case settles on: negotiated, or mediated when reached in mediation."""
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
        working_days_to_settle=working_days_between(op.case.filed_at, op.now, op.calendar),
    )


def _agreement(op: Op) -> Agreement:
    agreement = op.case.current_agreement(lock=True)
    if agreement is None:  # pragma: no cover - a settled case always has one
        raise InvalidTransition(_("This case has no agreement."))
    return agreement


def agreement_mark_fulfilled(
    *, case: Case, actor, note: str = "", now: datetime | None = None
) -> Agreement:
    """The merchant says the agreement is fulfilled; the consumer has a window to confirm."""
    with acting(case, actor, Action.MARK_FULFILLED, now) as op:
        agreement = _agreement(op)
        agreement.fulfilled_marked_at = op.now
        agreement.fulfilment_note = (note or "").strip()
        agreement.save(update_fields=["fulfilled_marked_at", "fulfilment_note"])
        op.set_deadline("fulfil", None)
        explained = op.set_deadline(
            "confirm", deadline_start("confirm", op.now, op.policy, op.calendar)
        )
        op.record(
            E.FULFILMENT_MARKED,
            {
                "agreement": agreement.pk,
                "note_sha256": text_sha256(agreement.fulfilment_note),
                "deadlines": {"confirm": explained},
            },
        )
    return agreement


def agreement_confirm(*, case: Case, actor, now: datetime | None = None) -> Agreement:
    with acting(case, actor, Action.CONFIRM_FULFILMENT, now) as op:
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
    *,
    case: Case,
    actor,
    description: str,
    evidence: list | None = None,
    now: datetime | None = None,
) -> Agreement:
    """The consumer reports that the agreement was not fulfilled, with any ``evidence`` files
    (uploaded files, each checked before anything is written and recorded before the report).

    A negotiated settlement goes to the regulator; a mediated agreement ends the case as failed
    mediation, and the consumer is pointed to arbitration or the courts.
    """
    description = required_text(description, "description", _("Describe what was not fulfilled."))
    if evidence:  # ask the engine before any file is read
        evidence_precheck(case, actor, Action.REPORT_BREACH, now)
    checked = [check_evidence_file(file) for file in evidence or []]
    with files_removed_on_failure() as stored, acting(case, actor, Action.REPORT_BREACH, now) as op:
        evidence_store(op, checked, stored)
        agreement = _agreement(op)
        agreement.breach_reported_at = op.now
        agreement.breach_description = description
        agreement.save(update_fields=["breach_reported_at", "breach_description"])
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
    with acting(case, actor, Action.RATE, now) as op:
        op.case.rating = rating
        op.case.rating_comment = (comment or "").strip()
        op.set_deadline("rating", None)
        op.record(
            E.RATED, {"rating": rating, "comment_sha256": text_sha256(op.case.rating_comment)}
        )
    return op.case
