"""Recompute provisional deadlines once the official calendar of their year is known (DESIGN §5)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.calendar import load_calendar

from .deadlines import deadline_from_basis
from .models import Case, CaseEvent, DeadlinePolicy, Referral
from .timers import WORKING_DAY_DEADLINES

PROVISIONAL = (
    Q(acknowledge_due_provisional=True)
    | Q(settle_due_provisional=True)
    | Q(intake_due_provisional=True)
    | Q(mediation_due_provisional=True)
)


def deadlines_recompute_provisional(now=None) -> int:
    """Recompute every open provisional deadline whose years are now covered; return how many."""
    from .services import Op

    now = now or timezone.now()
    calendar, policy = load_calendar(), DeadlinePolicy.current()
    changed = 0
    provisional = Case.objects.filter(PROVISIONAL).order_by("pk").values_list("pk", flat=True)
    for case_id in provisional.iterator():
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            op = Op(case, now, policy, calendar)
            for key in WORKING_DAY_DEADLINES:
                basis = case.deadline_basis.get(key)
                if not getattr(case, f"{key}_due_provisional") or basis is None:
                    continue
                deadline = deadline_from_basis(basis, calendar)
                if deadline.provisional:
                    continue  # that year's calendar is still not known
                old = getattr(case, f"{key}_due_at")
                if deadline.due_at == old:
                    # Same instant, now official: drop the mark without a new event.
                    setattr(case, f"{key}_due_provisional", False)
                    case.save(update_fields=[f"{key}_due_provisional"])
                    continue
                explained = op.set_deadline(key, deadline)
                if "reminders" in basis:  # the case keeps the reminders it was given
                    case.deadline_basis[key]["reminders"] = basis["reminders"]
                op.record(
                    CaseEvent.Type.DEADLINE_RECOMPUTED,
                    {"deadline": key, "old_due_at": old.isoformat(), "deadlines": {key: explained}},
                    notify=False,
                )
                changed += 1
            if op.events:
                op.save()
    return changed + _recompute_referrals(now, calendar, policy)


def _recompute_referrals(now, calendar, policy) -> int:
    """Do the same for open enforcement referrals' decision deadlines."""
    from .services import Op

    changed = 0
    open_provisional = Referral.objects.filter(
        status=Referral.Status.REFERRED, decide_due_provisional=True
    ).order_by("pk")
    for referral_id, case_id in open_provisional.values_list("pk", "case_id").iterator():
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            referral = Referral.objects.select_for_update().get(pk=referral_id)
            if not referral.decide_basis:
                continue
            deadline = deadline_from_basis(referral.decide_basis, calendar)
            if deadline.provisional:
                continue
            old = referral.decide_due_at
            referral.decide_due_at, referral.decide_due_provisional = deadline.due_at, False
            referral.save(update_fields=["decide_due_at", "decide_due_provisional"])
            if deadline.due_at == old:
                continue
            op = Op(case, now, policy, calendar)
            op.record(
                CaseEvent.Type.DEADLINE_RECOMPUTED,
                {
                    "deadline": "referral",
                    "referral": referral.pk,
                    "old_due_at": old.isoformat(),
                    "deadlines": {
                        "referral": {"due_at": deadline.due_at.isoformat(), **deadline.explanation}
                    },
                },
                internal=True,
            )
            op.save()
            changed += 1
    return changed
