"""What regulator staff see: every list is scoped here to the office's jurisdiction subtree (the
office and every office below it, product §2), one selector per list, each index-driven at every
level of the tree.

The subtree's office ids are read first (one query on the small office table) and the case
queries filter ``office_id = ANY(…)``: a county's queue is then a scan of its (office, status)
index, and a province's or the nation's walks the queue's partial index in deadline order.
"""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from cases.models import Case, Referral, Status
from core.paging import KeysetPage, keyset_page

from .models import Office

QUEUE_PAGE_SIZE = 25
# Each queue: the cases' status and the deadline that orders it (most urgent first).
QUEUES = {
    "intake": (Status.REGULATOR_INTAKE, "intake_due_at"),
    "mediation": (Status.MEDIATION, "mediation_due_at"),
}


def office_subtree_ids(office: Office) -> list[int]:
    """The ids of ``office`` and of every office below it."""
    return list(Office.objects.subtree_of(office).values_list("pk", flat=True))


def office_cases(office: Office, *, subtree_ids: list[int] | None = None) -> QuerySet[Case]:
    """Every case owned by ``office`` or an office below it."""
    ids = subtree_ids if subtree_ids is not None else office_subtree_ids(office)
    return Case.objects.filter(office_id__in=ids)


def office_queue(
    office: Office, queue: str, *, cursor: str | None, subtree_ids: list[int] | None = None
) -> KeysetPage:
    """One page of the intake (待受理) or mediation queue of the subtree: the nearest deadline
    first, so overdue cases lead, then by arrival."""
    status, deadline = QUEUES[queue]
    cases = (
        office_cases(office, subtree_ids=subtree_ids)
        .filter(status=status)
        .select_related("merchant", "office", "consumer")
    )
    return keyset_page(
        cases, field=deadline, descending=False, cursor=cursor, size=QUEUE_PAGE_SIZE, nulls=False
    )


def office_queue_counts(office: Office, *, now: datetime, subtree_ids: list[int]) -> list[dict]:
    """For each office of the subtree that has any: cases awaiting acceptance, how many of them
    are overdue, and cases in mediation (one grouped query)."""
    rows = (
        office_cases(office, subtree_ids=subtree_ids)
        .filter(status__in=[Status.REGULATOR_INTAKE, Status.MEDIATION])
        .order_by()
        .values("office_id", "status")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(intake_due_at__lt=now)))
    )
    by_office: dict[int, dict] = {}
    for row in rows:
        entry = by_office.setdefault(row["office_id"], {"intake": 0, "overdue": 0, "mediation": 0})
        if row["status"] == Status.REGULATOR_INTAKE:
            entry["intake"], entry["overdue"] = row["n"], row["overdue"]
        else:
            entry["mediation"] = row["n"]
    offices = Office.objects.filter(pk__in=by_office).order_by("path")
    return [{"office": o, **by_office[o.pk]} for o in offices]


def office_referrals(
    office: Office, *, cursor: str | None, subtree_ids: list[int] | None = None
) -> KeysetPage:
    """Open enforcement referrals (诉转案) of the subtree, the nearest decision deadline first."""
    ids = subtree_ids if subtree_ids is not None else office_subtree_ids(office)
    referrals = Referral.objects.filter(
        status=Referral.Status.REFERRED, office_id__in=ids
    ).select_related("case", "case__merchant", "office")
    return keyset_page(
        referrals, field="decide_due_at", descending=False, cursor=cursor, size=QUEUE_PAGE_SIZE
    )
