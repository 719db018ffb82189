"""Enforcement referrals (诉转案) and callback visits (回访) by the owning office."""

from datetime import datetime

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ..deadlines import local_date, working_days_deadline, working_days_deadline_from_date
from ..ledger import text_sha256
from ..models import CallbackVisit, Case, Referral
from ..op import Op
from ..rules import Action
from ._common import E, acting, required_text

# The levels of the callback scale that count as "satisfied".
SATISFIED_LEVELS = (
    CallbackVisit.Satisfaction.VERY_SATISFIED,
    CallbackVisit.Satisfaction.SATISFIED,
)


def referral_open(
    *, case: Case, actor, law: str, note: str = "", now: datetime | None = None
) -> Referral:
    """Refer the case for enforcement (诉转案). The mediation track carries on regardless."""
    law = required_text(law, "law", _("Name the law the merchant is suspected of violating."))
    with acting(case, actor, Action.OPEN_REFERRAL, now) as op:
        deadline = working_days_deadline(op.now, op.policy.referral_working_days, op.calendar)
        referral = Referral(
            case=op.case,
            office=op.case.office,
            opened_by=actor,
            law=law,
            note=(note or "").strip(),
            created_at=op.now,
        )
        referral.set_deadline(deadline)
        referral.save()
        op.record(
            E.REFERRAL_OPENED,
            {
                "referral": referral.pk,
                "law": law,
                "deadlines": {"referral": deadline.explained()},
            },
            internal=True,
        )
    return referral


def _open_referral(op: Op) -> Referral:
    referral = op.case.open_referral(lock=True)
    assert referral is not None, "the rules allow this action only with an open referral"
    return referral


def referral_extend(*, case: Case, actor, reason: str, now: datetime | None = None) -> Referral:
    """Extend the decision deadline once (by the policy's extension, 15 working days by default)."""
    reason = required_text(reason, "reason", _("Say why more time is needed."))
    with acting(case, actor, Action.EXTEND_REFERRAL, now) as op:
        referral = _open_referral(op)
        deadline = working_days_deadline_from_date(
            local_date(referral.decide_due_at),
            op.policy.referral_extension_working_days,
            op.calendar,
        )
        referral.set_deadline(deadline)
        referral.extended = True
        referral.save()
        op.record(
            E.REFERRAL_EXTENDED,
            {
                "referral": referral.pk,
                "reason": reason,
                "deadlines": {"referral": deadline.explained()},
            },
            internal=True,
        )
    return referral


def referral_decide(
    *, case: Case, actor, outcome: str, note: str = "", now: datetime | None = None
) -> Referral:
    if outcome not in (Referral.Status.CASE_OPENED, Referral.Status.NO_CASE):
        raise ValidationFailed(_("Choose the decision."), field="outcome")
    with acting(case, actor, Action.DECIDE_REFERRAL, now) as op:
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
    *,
    case: Case,
    actor,
    satisfied: bool | None = None,
    note: str = "",
    now: datetime | None = None,
    satisfaction: str = "",
    outcome_real: bool | None = None,
) -> CallbackVisit:
    """Record a follow-up call to the consumer after the case closed (回访): the consumer's
    ``satisfaction`` on the four-level scale (blank: not reached), which decides ``satisfied``
    when given, and whether the outcome recorded is real."""
    if satisfaction and satisfaction not in CallbackVisit.Satisfaction.values:
        raise ValidationFailed(_("Choose how satisfied the consumer is."), field="satisfaction")
    if satisfaction:
        satisfied = satisfaction in SATISFIED_LEVELS
    with acting(case, actor, Action.RECORD_CALLBACK, now) as op:
        visit = CallbackVisit.objects.create(
            case=op.case,
            officer=actor,
            satisfied=satisfied,
            satisfaction=satisfaction,
            outcome_real=outcome_real,
            note=(note or "").strip(),
            created_at=op.now,
        )
        op.record(
            E.CALLBACK_RECORDED,
            {
                "callback": visit.pk,
                "satisfied": satisfied,
                "satisfaction": satisfaction,
                "outcome_real": outcome_real,
                "note_sha256": text_sha256(visit.note),
            },
            internal=True,
        )
    return visit
