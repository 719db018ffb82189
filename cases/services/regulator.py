"""The regulator's side (product §4): accepting or not, transferring, concluding or terminating
mediation."""

from datetime import date, datetime

from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from core.regions import region_contains
from regulators.models import Office

from ..deadlines import date_deadline
from ..models import (
    Agreement,
    Case,
    NotAcceptedReason,
    Resolution,
    Status,
    TerminationReason,
)
from ..rules import Action
from ._common import E, acting, fulfil_by_check, reason_check, required_text, terms_check
from .agreement import agreement_create, agreement_facts


def case_accept(*, case: Case, actor, now: datetime | None = None) -> Case:
    """Accept the complaint (受理) and open mediation."""
    with acting(case, actor, Action.ACCEPT, now) as op:
        op.transition(Status.MEDIATION, E.ACCEPTED)
    return op.case


def case_reject_intake(
    *, case: Case, actor, reason_code: str, reason_text: str = "", now: datetime | None = None
) -> Case:
    """Decide not to accept the complaint (不予受理), on one of the grounds of Order 121 art. 16."""
    reason = reason_check(reason_code, reason_text, NotAcceptedReason)
    with acting(case, actor, Action.REJECT_INTAKE, now) as op:
        op.transition(
            Status.CLOSED, E.NOT_ACCEPTED, resolution=Resolution.NOT_ACCEPTED, data=reason
        )
    return op.case


def case_transfer(
    *, case: Case, actor, to_office: Office, reason: str, now: datetime | None = None
) -> Case:
    """Hand the complaint to another office; its acceptance clock starts again there."""
    reason = required_text(reason, "reason", _("Say why the case is transferred."))
    with acting(case, actor, Action.TRANSFER, now) as op:
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
    return op.case


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
    amount, text = terms_check(remedy, amount, text, _("Write the terms of the agreement."))
    with acting(case, actor, Action.CONCLUDE_MEDIATION, now) as op:
        fulfil_by_check(fulfil_by, op.now)
        agreement = agreement_create(
            op, offer=None, remedy=remedy, amount=amount, fulfil_by=fulfil_by, text=text
        )
        op.transition(
            Status.SETTLED,
            E.MEDIATION_CONCLUDED,
            data={**agreement_facts(agreement), "signed_by_both_parties": True},
            deadlines={"fulfil": date_deadline(fulfil_by)},
        )
    return agreement


def mediation_terminate(
    *, case: Case, actor, reason_code: str, reason_text: str = "", now: datetime | None = None
) -> Case:
    """Terminate mediation on one of the grounds of Order 20 art. 21."""
    reason = reason_check(reason_code, reason_text, TerminationReason)
    with acting(case, actor, Action.TERMINATE_MEDIATION, now) as op:
        op.transition(
            Status.CLOSED,
            E.MEDIATION_TERMINATED,
            resolution=Resolution.MEDIATION_FAILED,
            data=reason,
        )
    return op.case
