"""Who hears about which case event, and the email they get.

Called by the ``notify_events`` task after the transaction that recorded the events committed.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from regulators.models import RegulatorMembership

from .models import CaseEvent, Notification

E = CaseEvent.Type

CONSUMER, MERCHANT, OFFICE, SUPERVISORS = "consumer", "merchant", "office", "supervisors"

AUDIENCE: dict[str, set[str]] = {
    E.FILED: {MERCHANT, OFFICE},
    E.ACKNOWLEDGEMENT_OVERDUE: {MERCHANT},
    E.OFFER_MADE: {CONSUMER, MERCHANT},
    E.OFFER_ACCEPTED: {CONSUMER, MERCHANT},
    E.OFFER_REJECTED: {MERCHANT},
    E.OFFER_LAPSED: {CONSUMER, MERCHANT},
    E.SETTLEMENT_DECLINED: {CONSUMER},
    E.WITHDRAWN: {MERCHANT},
    E.ESCALATED: {OFFICE, MERCHANT},
    E.DEADLINE_MISSED: {CONSUMER, MERCHANT, OFFICE},
    E.ACCEPTED: {CONSUMER, MERCHANT},
    E.NOT_ACCEPTED: {CONSUMER},
    E.TRANSFERRED: {CONSUMER, OFFICE},
    E.INTAKE_OVERDUE: {SUPERVISORS},
    E.MEDIATION_CONCLUDED: {CONSUMER, MERCHANT},
    E.MEDIATION_TERMINATED: {CONSUMER, MERCHANT},
    E.MEDIATION_EXPIRED: {CONSUMER, MERCHANT},
    E.FULFILMENT_MARKED: {CONSUMER},
    E.FULFILMENT_PRESUMED: {CONSUMER, MERCHANT},
    E.FULFILMENT_OVERDUE: {CONSUMER, MERCHANT},
    E.FULFILMENT_CONFIRMED: {MERCHANT},
    E.BREACH_REPORTED: {MERCHANT, OFFICE},
    E.CHOICE_WINDOW_EXPIRED: {CONSUMER},
    E.CLOSED_BY_CONSUMER: {MERCHANT},
}


def _audience(event: CaseEvent) -> set[str]:
    if event.internal:
        return set()
    if event.type == E.REMINDER_SENT:
        return {MERCHANT} if event.data.get("deadline") == "settle" else {OFFICE}
    if event.type == E.FILED:
        return {MERCHANT} if event.data.get("to") == "submitted" else {OFFICE}
    return AUDIENCE.get(event.type, set())


def has_audience(event: CaseEvent) -> bool:
    """Return whether anybody is to hear of ``event`` (the others are not sent to the task)."""
    return bool(_audience(event))


def _recipients(event: CaseEvent) -> list[User]:
    case = event.case
    audience = _audience(event)
    users: list[User] = []
    if CONSUMER in audience:
        users.append(case.consumer)
    if MERCHANT in audience:
        users += [m.user for m in case.merchant.memberships.select_related("user")]
    if OFFICE in audience:
        users += [m.user for m in case.office.memberships.select_related("user")]
    if SUPERVISORS in audience:
        users += [m.user for m in RegulatorMembership.objects.supervisors_over(case.office)]
    if event.actor_id:
        users = [u for u in users if u.pk != event.actor_id]
    return [u for u in {u.pk: u for u in users}.values() if u.is_active and u.email]


def notify_events(event_ids: list[int]) -> int:
    """Email everyone who should hear of these events; return how many emails were sent.

    Each (event, person) email goes out once: the Notification row is locked while its email is
    sent and marked sent in the same transaction, so a retried task or a duplicated message
    skips what already went out.
    """
    events = CaseEvent.objects.filter(pk__in=event_ids, internal=False).select_related(
        "case__consumer", "case__merchant", "case__office"
    )
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            recipients = _recipients(event)
            if not recipients:
                continue
            context = {"event": event, "case": event.case}
            subject = render_to_string("cases/email/event_subject.txt", context).strip()
            body = render_to_string("cases/email/event_body.txt", context)
            for user in recipients:
                Notification.objects.get_or_create(event=event, user=user)
                with transaction.atomic():
                    note = Notification.objects.select_for_update().get(event=event, user=user)
                    if note.sent_at is not None:
                        continue
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
                    note.sent_at = timezone.now()
                    note.save(update_fields=["sent_at"])
                    sent += 1
    return sent
