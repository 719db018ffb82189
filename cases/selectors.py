"""Reads of cases, each scoped to what the person may see (product §2)."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.http import Http404

from core.audit import audit_record
from core.calendar import WorkCalendar, current_calendar
from core.masking import mask_email, mask_name, mask_phone
from core.models import AuditEntry

from .deadlines import days_left, local_date
from .models import (
    DEADLINES,
    MERCHANT_DEADLINES,
    OFFER_STATUSES,
    WORKING_DAYS,
    Agreement,
    Case,
    CaseEvent,
    DeadlineKind,
    Evidence,
    Message,
    Offer,
    Referral,
    Status,
)
from .rules import UNKNOWN, Action, Party, case_available_actions, case_party
from .timers import live_deadlines

# The deadline that orders a status's queue (the one that decides what happens next).
STATUS_DEADLINE = {
    Status.SUBMITTED: "acknowledge",
    Status.NEGOTIATING: "settle",
    Status.NOT_SETTLED: "choice",
    Status.SETTLED: "fulfil",
    Status.REGULATOR_INTAKE: "intake",
    Status.MEDIATION: "mediation",
}


def case_list_for_consumer(user, *, closed: bool | None = None) -> QuerySet[Case]:
    """The consumer's own cases, newest first; ``closed`` keeps only closed (or only open) ones."""
    cases = Case.objects.filter(consumer=user).select_related("merchant")
    if closed is not None:
        cases = (
            cases.filter(status=Status.CLOSED) if closed else cases.exclude(status=Status.CLOSED)
        )
    return cases.order_by("-filed_at")


# A complaint about a purchase older than this may be refused (not-accepted ground ``too_old``).
PURCHASE_AGE_LIMIT_YEARS = 3


def filing_warnings(consumer, merchant, purchase_date: date | None, now: datetime) -> list[dict]:
    """What a consumer should know before filing, without being stopped: a purchase older than
    the limit, and their own open cases against the same merchant (one query)."""
    warnings = []
    if purchase_date is not None:
        today = local_date(now)
        try:
            limit = today.replace(year=today.year - PURCHASE_AGE_LIMIT_YEARS)
        except ValueError:  # 29 February
            limit = today.replace(year=today.year - PURCHASE_AGE_LIMIT_YEARS, day=28)
        if purchase_date < limit:
            warnings.append({"code": "too_old", "years": PURCHASE_AGE_LIMIT_YEARS})
    if merchant is not None and merchant.pk is not None:
        open_cases = case_list_for_consumer(consumer, closed=False).filter(merchant=merchant)
        warnings += [{"code": "open_case", "case": c} for c in open_cases[:3]]
    return warnings


def case_list_for_merchant(merchant, *, open_only: bool = False) -> QuerySet[Case]:
    """Cases against ``merchant``, none before a regulator approved it
    (``Merchant.staff_handle_cases``); ``open_only`` leaves out closed ones."""
    if not merchant.staff_handle_cases:
        return Case.objects.none()
    cases = Case.objects.filter(merchant=merchant).select_related("merchant", "consumer")
    if open_only:
        cases = cases.exclude(status=Status.CLOSED)
    return cases.order_by("-filed_at")


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


# Entries of the thread rather than steps of the case: public tracking leaves them out, as it
# leaves out everything internal (product §6).
THREAD_ONLY_EVENTS = (
    CaseEvent.Type.MESSAGE_POSTED,
    CaseEvent.Type.NOTE_POSTED,
    CaseEvent.Type.EVIDENCE_ADDED,
    CaseEvent.Type.REMINDER_SENT,
)


def case_events_for_tracking(case: Case) -> list[CaseEvent]:
    """Return the steps of the case that public tracking shows, oldest first: no message, note,
    file or reminder of the thread, and nothing internal."""
    return list(
        case.events.filter(internal=False).exclude(type__in=THREAD_ONLY_EVENTS).order_by("seq")
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
    agreements = Agreement.objects.in_bulk(referred("agreement"))  # no query when none
    referrals = Referral.objects.in_bulk(referred("referral"))
    entries = []
    for event in events:
        entry = {
            "event": event,
            "message": messages.get(event.data.get("message")),
            "evidence": evidence.get(event.data.get("evidence")),
            "offer": offers.get(event.data.get("offer")),
        }
        entry["note"] = _typed_with(
            event, entry, agreements.get(event.data.get("agreement")), referrals
        )
        entries.append(entry)
    return entries


def _typed_with(event: CaseEvent, entry: dict, agreement, referrals: dict) -> str:
    """What the person typed with the step the event records (the chain keeps only its hash):
    the fulfilment note, the report of non-fulfilment, an evidence file's description, the
    rating's comment, the referral's note and its decision's (those two only regulators read)."""
    E = CaseEvent.Type
    referral = referrals.get(event.data.get("referral"))
    if event.type == E.FULFILMENT_MARKED and agreement is not None:
        return agreement.fulfilment_note
    if event.type == E.BREACH_REPORTED and agreement is not None:
        return agreement.breach_description
    if event.type == E.EVIDENCE_ADDED and entry["evidence"] is not None:
        return entry["evidence"].description
    if event.type == E.RATED:
        return event.case.rating_comment
    if event.type == E.REFERRAL_OPENED and referral is not None:
        return referral.note
    if event.type == E.REFERRAL_DECIDED and referral is not None:
        return referral.decision_note
    return ""


def case_filed_with(consumer, filing_key: str) -> Case | None:
    """The case ``consumer`` filed with ``filing_key`` (one attempt to file), if any."""
    return Case.objects.filter(consumer=consumer, filing_key=filing_key).first()


def case_moved_on(case: Case) -> bool:
    """Whether anything has happened on ``case`` since it was filed (evidence sent with the
    complaint, or added to it, is not a step of the case)."""
    E = CaseEvent.Type
    return (
        CaseEvent.objects.filter(case=case).exclude(type__in=(E.FILED, E.EVIDENCE_ADDED)).exists()
    )


def deadline_shown(
    case: Case, kind: DeadlineKind, due: datetime, now: datetime, calendar: WorkCalendar
) -> dict:
    """Return one deadline of ``case`` due at ``due`` as every page, list and the API show it,
    days left as ``deadlines.days_left`` counts them."""
    left, today_counts = days_left(now, due, kind.unit, calendar)
    return {
        "key": kind.key,
        "due_at": due,
        "working_days": kind.unit == WORKING_DAYS,
        "provisional": kind.is_provisional(case),
        "overdue": now > due,
        "left": left,
        "today_counts": today_counts,
    }


def case_deadlines(case: Case, now: datetime, calendar: WorkCalendar) -> list[dict]:
    """Return the case's live deadlines as every page shows them (``deadline_shown``)."""
    return [deadline_shown(case, kind, due, now, calendar) for kind, due in live_deadlines(case)]


def merchant_next_deadline(case: Case) -> tuple[DeadlineKind, datetime] | None:
    """The deadline the merchant must meet next on ``case`` and when it is due, as
    ``MERCHANT_NEXT_DUE`` picks it in SQL; None when the merchant holds none."""
    if case.acknowledge_due_at is not None:
        return DEADLINES["acknowledge"], case.acknowledge_due_at
    key = MERCHANT_DEADLINES.get(case.status)
    if key and case.merchant_due_at is not None:
        return DEADLINES[key], case.merchant_due_at
    return None


def contact_masked(case: Case, party: Party) -> bool:
    """Whether ``party`` sees the consumer's contact details masked: the merchant does unless the
    consumer consented (product §6)."""
    return not (party == Party.CONSUMER or party in REGULATOR_PARTIES or case.consent_contact)


def consumer_name_for(case: Case, party: Party) -> str:
    """Return the consumer's name as ``party`` may see it (``contact_masked``)."""
    name = case.consumer.name
    return mask_name(name) if contact_masked(case, party) else name


def contact_for(case: Case, party: Party) -> dict:
    """Return the consumer's contact details as ``party`` may see them (product §6)."""
    consumer = case.consumer
    if not contact_masked(case, party):
        return {
            "name": consumer.name,
            "phone": case.contact_phone,
            "email": consumer.email or "",
            "masked": False,
        }
    return {
        "name": consumer_name_for(case, party),
        "phone": mask_phone(case.contact_phone),
        "email": mask_email(consumer.email),
        "masked": True,
    }


def contact_shown(case: Case, party: Party, request=None) -> dict:
    """The contact details as ``party`` sees them on a page or through the API; each unmasked
    view by regulator staff is recorded in the audit log (product §6)."""
    contact = contact_for(case, party)
    if not contact["masked"] and party in REGULATOR_PARTIES:
        audit_record(
            request.user if request is not None else None,
            AuditEntry.Action.CONTACT_UNMASKED,
            case.number,
            AuditEntry.Outcome.SUCCESS,
            request,
            target_type="case",
        )
    return contact


# --- One case as a party sees it -----------------------------------------------------------------

# The parts of ``CaseView`` that a reader may leave out (``case_read``'s ``parts``).
CASE_PARTS = frozenset({"referral", "contact", "thread"})


@dataclass(frozen=True)
class CaseView:
    """One case as ``party`` sees it: what the case page renders and the API serializes.

    ``actions`` is what the engine lets the person do next, in the engine's order; ``referral``
    (regulator staff only), ``contact`` and ``thread`` are None when the reader left them out.
    """

    case: Case
    party: Party
    offer: Offer | None
    agreement: Agreement | None
    referral: Referral | None
    actions: tuple[Action, ...]
    deadlines: tuple[dict, ...]
    contact: dict | None
    thread: tuple[dict, ...] | None


def case_read(
    case: Case,
    party: Party,
    user,
    now: datetime,
    *,
    calendar: WorkCalendar | None = None,
    request=None,
    parts: Collection[str] = CASE_PARTS,
) -> CaseView:
    """Return ``case`` as ``party`` (``user``) sees it at ``now``: the open offer, the agreement,
    the open referral, what the person can do next, the live deadlines, the consumer's contact
    (an unmasked view by regulator staff is audited, ``contact_shown``) and the whole thread.

    ``parts`` names what of ``CASE_PARTS`` to read; the rest is a fixed number of queries.
    """
    status = case.status
    offer = case.open_offer() if status in OFFER_STATUSES else None
    agreement = case.current_agreement() if status in (Status.SETTLED, Status.CLOSED) else None
    referral = case.open_referral() if "referral" in parts and party in REGULATOR_PARTIES else None
    allowed = case_available_actions(
        case,
        user,
        party=party,
        offer=offer,
        referral=referral if "referral" in parts else UNKNOWN,
        now=now,
    )
    return CaseView(
        case=case,
        party=party,
        offer=offer,
        agreement=agreement,
        referral=referral,
        actions=tuple(action for action in Action if action in allowed),
        deadlines=tuple(case_deadlines(case, now, calendar or current_calendar())),
        contact=contact_shown(case, party, request) if "contact" in parts else None,
        thread=tuple(case_thread_for(case, party)) if "thread" in parts else None,
    )
