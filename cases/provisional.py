"""Recompute provisional deadlines once the official calendar of their year is known
(product §5)."""

from django.db import transaction
from django.utils import timezone

from core.calendar import load_calendar

from .deadlines import deadline_from_basis
from .models import ANY_PROVISIONAL, DEADLINES, Case, CaseEvent, DeadlinePolicy, Referral
from .op import Op

E = CaseEvent.Type


def deadlines_recompute_provisional(now=None) -> int:
    """Recompute every open provisional deadline whose years are now covered; return how many."""
    now = now or timezone.now()
    calendar, policy = load_calendar(), DeadlinePolicy.current()
    changed = 0
    provisional = Case.objects.filter(ANY_PROVISIONAL).order_by("pk").values_list("pk", flat=True)
    for case_id in provisional.iterator():
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            op = Op(case, now, policy, calendar)
            for kind in DEADLINES.values():
                basis = case.deadline_basis.get(kind.key)
                if not kind.is_provisional(case) or basis is None:
                    continue
                deadline = deadline_from_basis(basis, calendar)
                if deadline.provisional:
                    continue  # that year's calendar is still not known
                old = kind.due_at(case)
                if deadline.due_at == old:
                    # Same instant, now official: drop the mark without a new event.
                    setattr(case, kind.provisional_field, False)
                    case.save(update_fields=[kind.provisional_field])
                    continue
                explained = op.set_deadline(kind.key, deadline)
                if "reminders" in basis:  # the case keeps the reminders it was given
                    case.deadline_basis[kind.key]["reminders"] = basis["reminders"]
                op.record(
                    E.DEADLINE_RECOMPUTED,
                    {
                        "deadline": kind.key,
                        "old_due_at": old.isoformat(),
                        "deadlines": {kind.key: explained},
                    },
                )
                changed += 1
            if op.events:
                op.save()
    return changed + _recompute_referrals(now, calendar, policy)


def _recompute_referrals(now, calendar, policy) -> int:
    """Do the same for open enforcement referrals' decision deadlines."""
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
            referral.set_deadline(deadline)
            referral.save(update_fields=["decide_due_at", "decide_due_provisional", "decide_basis"])
            if deadline.due_at == old:
                continue
            op = Op(case, now, policy, calendar)
            op.record(
                E.DEADLINE_RECOMPUTED,
                {
                    "deadline": "referral",
                    "referral": referral.pk,
                    "old_due_at": old.isoformat(),
                    "deadlines": {"referral": deadline.explained()},
                },
                internal=True,
            )
            op.save()
            changed += 1
    return changed
