"""Reads of cases, each scoped to what the person may see (product §2)."""

from django.db.models import QuerySet
from django.http import Http404

from core.audit import audit_record
from core.models import AuditEntry
from regulators.models import Office

from .models import Case, Evidence, Message, Offer, Status
from .rules import Party, case_party

# The deadline that orders a status's queue (the one that decides what happens next).
STATUS_DEADLINE = {
    Status.SUBMITTED: "acknowledge",
    Status.NEGOTIATING: "settle",
    Status.NOT_SETTLED: "choice",
    Status.SETTLED: "fulfil",
    Status.REGULATOR_INTAKE: "intake",
    Status.MEDIATION: "mediation",
}


def case_list_for_consumer(user) -> QuerySet[Case]:
    """The consumer's own cases, newest first."""
    return Case.objects.filter(consumer=user).select_related("merchant").order_by("-filed_at")


def case_list_for_merchant(merchant, *, open_only: bool = False) -> QuerySet[Case]:
    """Cases against ``merchant``; ``open_only`` leaves out closed ones."""
    cases = Case.objects.filter(merchant=merchant).select_related("merchant", "consumer")
    if open_only:
        cases = cases.exclude(status=Status.CLOSED)
    return cases.order_by("-filed_at")


def case_list_for_office(office: Office, *, status: str | None = None) -> QuerySet[Case]:
    """Cases owned by ``office`` or any office below it (supervision).

    With ``status``, only cases in that status, the most urgent deadline of that status first.
    """
    cases = Case.objects.filter(office__in=Office.objects.subtree_of(office)).select_related(
        "merchant", "office"
    )
    if status is None:
        return cases.order_by("-filed_at")
    cases = cases.filter(status=status)
    urgent = STATUS_DEADLINE.get(status)
    return cases.order_by(f"{urgent}_due_at", "pk") if urgent else cases.order_by("-filed_at")


def case_get_for_user(user, number: str, request=None) -> tuple[Case, Party]:
    """Return the case and how ``user`` stands on it; 404 for both "missing" and "not yours".

    A signed-in person refused a case is recorded in the audit log.
    """
    case = (
        Case.objects.select_related("merchant", "office", "consumer").filter(number=number).first()
    )
    party = case_party(case, user) if case is not None else None
    if party is None:
        if user.is_authenticated:
            audit_record(
                user,
                AuditEntry.Action.NOT_FOUND,
                number,
                AuditEntry.Outcome.DENIED,
                request,
                target_type="case",
            )
        raise Http404("No such case.")
    return case, party


def case_get_for_tracking(number: str, phone: str) -> Case | None:
    """Return the case only when the number and the contact phone given when filing both match."""
    number, phone = (number or "").strip().upper(), (phone or "").strip()
    if not number or not phone:
        return None
    return (
        Case.objects.select_related("merchant").filter(number=number, contact_phone=phone).first()
    )


REGULATOR_PARTIES = (Party.OFFICE, Party.SUPERVISING_OFFICE)


def case_thread_for(case: Case, party: Party, *, since: int = 0) -> list[dict]:
    """Return the thread entries ``party`` may read, oldest first: each event of the chain after
    ``since`` (its sequence number) with the message, evidence file or offer it refers to."""
    events = case.events.filter(seq__gt=since).select_related("actor").order_by("seq")
    if party not in REGULATOR_PARTIES:
        events = events.filter(internal=False)
    events = list(events)

    def referred(key: str) -> list[int]:
        return [e.data[key] for e in events if isinstance(e.data.get(key), int)]

    messages = Message.objects.in_bulk(referred("message"))
    evidence = Evidence.objects.in_bulk(referred("evidence"))
    offers = Offer.objects.in_bulk(referred("offer"))
    return [
        {
            "event": event,
            "message": messages.get(event.data.get("message")),
            "evidence": evidence.get(event.data.get("evidence")),
            "offer": offers.get(event.data.get("offer")),
        }
        for event in events
    ]
