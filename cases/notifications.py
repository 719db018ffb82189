"""Who hears of which case event, and the outbox that tells them (product §5).

``outbox_write`` runs in the transaction that records events (``Op.save`` and the sweep's batch
save): for each event it writes a ``Notification`` for every person who is to hear of it — shown
in the portal, and emailed when the person has an email address — and a ``WebhookDelivery`` for
every enabled endpoint of the merchant that subscribed to it (``merchants.webhooks``). A
committed event therefore always has its notifications, whatever happens to the broker.

``outbox_relay`` sends what is pending. It claims one row at a time with
``SELECT … FOR UPDATE SKIP LOCKED``, sends it and marks it sent in the same short transaction:
two relays never send the same row, and a relay that dies half-way leaves the row pending for
the next. A failed attempt is tried again later: the row keeps its attempts and when the next
one is due (``retry_at``), and the relay only takes rows that are due. Beat runs it every few
seconds (``cases.tasks.relay_outbox``), and every commit nudges it for its own events
(``cases.tasks.notify_events``); a nudge lost with the broker only waits for the next beat run.

The AUDIENCE table alone decides who hears of what. Internal (regulator-only) events are never
told to anyone outside the regulator and never emailed.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from merchants.models import MerchantMembership, WebhookDelivery, WebhookEndpoint
from merchants.webhooks import webhook_body, webhook_name_for, webhook_post
from regulators.models import Office, RegulatorMembership

from .models import CaseEvent, Notification, Status

logger = logging.getLogger(__name__)

E = CaseEvent.Type

CONSUMER, MERCHANT, OFFICE, SUPERVISORS = "consumer", "merchant", "office", "supervisors"

AUDIENCE: dict[str, set[str]] = {
    E.FILED: {MERCHANT, OFFICE},
    E.ACKNOWLEDGEMENT_OVERDUE: {MERCHANT},
    E.MESSAGE_POSTED: {CONSUMER, MERCHANT},
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

# The emails of each kind of notification: (subject, body) templates.
EMAIL_TEMPLATES = {
    Notification.Kind.CASE_EVENT: ("cases/email/event_subject.txt", "cases/email/event_body.txt"),
    Notification.Kind.WEBHOOK_DISABLED: (
        "merchants/webhooks/email_disabled_subject.txt",
        "merchants/webhooks/email_disabled_body.txt",
    ),
}


def _audience(event: CaseEvent) -> set[str]:
    if event.internal:
        return set()
    if event.type == E.REMINDER_SENT:
        return {MERCHANT} if event.data.get("deadline") == "settle" else {OFFICE}
    if event.type == E.FILED:
        return {MERCHANT} if event.data.get("to") == "submitted" else {OFFICE}
    if event.type == E.MESSAGE_POSTED and event.case.status in (
        Status.REGULATOR_INTAKE,
        Status.MEDIATION,
    ):
        return {CONSUMER, MERCHANT, OFFICE}
    return AUDIENCE.get(event.type, set())


def has_audience(event: CaseEvent) -> bool:
    """Return whether anybody is to hear of ``event``."""
    return bool(_audience(event))


# --- Writing the outbox (in the transaction that records the events) ---------------------------


def _people(events: list[CaseEvent]) -> dict[int, dict[int, str | None]]:
    """Return, for each event's pk, the people to tell: {user id: email or None}.

    The person who caused the event is not told of it; inactive accounts are told nothing. A
    few queries for the whole list, whatever its length (the sweep passes a batch).
    """
    audiences = {event.pk: _audience(event) for event in events}
    wanted = [event for event in events if audiences[event.pk]]
    if not wanted:
        return {}

    def ids(part: str, attribute: str) -> set[int]:
        return {getattr(e.case, attribute) for e in wanted if part in audiences[e.pk]}

    # Only the parts some event is for are asked for (a complaint is for the merchant alone).
    consumer_ids = ids(CONSUMER, "consumer_id")
    consumers = (
        dict(User.objects.filter(pk__in=consumer_ids, is_active=True).values_list("pk", "email"))
        if consumer_ids
        else {}
    )
    staff: dict[tuple[str, int], dict[int, str | None]] = defaultdict(dict)
    for part, memberships, column in (
        (MERCHANT, MerchantMembership.objects, "merchant_id"),
        (OFFICE, RegulatorMembership.objects, "office_id"),
    ):
        wanted_ids = ids(part, column)
        if not wanted_ids:
            continue
        rows = memberships.filter(**{f"{column}__in": wanted_ids, "user__is_active": True})
        for key, user_id, email in rows.values_list(column, "user_id", "user__email"):
            staff[part, key][user_id] = email
    supervised = ids(SUPERVISORS, "office_id")
    for office in Office.objects.filter(pk__in=supervised) if supervised else []:
        for membership in RegulatorMembership.objects.supervisors_over(office):
            if membership.user.is_active:
                staff[SUPERVISORS, office.pk][membership.user_id] = membership.user.email

    people: dict[int, dict[int, str | None]] = {}
    for event in wanted:
        case, told = event.case, {}
        audience = audiences[event.pk]
        if CONSUMER in audience and case.consumer_id in consumers:
            told[case.consumer_id] = consumers[case.consumer_id]
        for part, key in ((MERCHANT, case.merchant_id), (OFFICE, case.office_id)):
            if part in audience:
                told.update(staff[part, key])
        if SUPERVISORS in audience:
            told.update(staff[SUPERVISORS, case.office_id])
        told.pop(event.actor_id, None)
        if told:
            people[event.pk] = told
    return people


def outbox_write(events: list[CaseEvent]) -> None:
    """Write who must hear of the saved ``events``: a notification per person, a delivery per
    subscribed webhook endpoint. Call it in the transaction that saves the events."""
    told = [event for event in events if not event.internal]
    if not told:
        return
    people = _people(told)
    notes = [
        Notification(
            event=event,
            user_id=user_id,
            created_at=event.created_at,
            email=Notification.Email.PENDING if email else Notification.Email.NONE,
        )
        for event in told
        for user_id, email in people.get(event.pk, {}).items()
    ]
    Notification.objects.bulk_create(notes, batch_size=1000)
    _deliveries_write(told)


def _deliveries_write(events: list[CaseEvent]) -> None:
    named = [(event, webhook_name_for(event)) for event in events]
    named = [(event, name) for event, name in named if name]
    if not named:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    merchants = {event.case.merchant_id for event, _name in named}
    for endpoint in WebhookEndpoint.objects.filter(merchant_id__in=merchants, enabled=True):
        endpoints[endpoint.merchant_id].append(endpoint)
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            name=name,
            body=webhook_body(event, name),
            created_at=event.created_at,
        )
        for event, name in named
        for endpoint in endpoints[event.case.merchant_id]
        if name in endpoint.events
    ]
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)


# --- Relaying it ---------------------------------------------------------------------------------


def retry_at(attempts: int, now: datetime) -> datetime:
    """Return when to try again after ``attempts`` failed attempts: ODR_OUTBOX_RETRY_SECONDS,
    doubled after each failure, never more than ODR_OUTBOX_RETRY_MAX_SECONDS."""
    base, most = settings.ODR_OUTBOX_RETRY_SECONDS, settings.ODR_OUTBOX_RETRY_MAX_SECONDS
    return now + timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), most))


def _due(rows: QuerySet, now: datetime, event_ids: list[int] | None) -> QuerySet:
    """The rows whose attempt is due, oldest first, claimed without waiting for another relay."""
    rows = rows.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    if event_ids is not None:
        rows = rows.filter(event_id__in=event_ids)
    return rows.order_by(F("next_attempt_at").asc(nulls_first=True), "pk").select_for_update(
        skip_locked=True, of=("self",)
    )


@dataclass
class RelayReport:
    emails_sent: int = 0
    emails_failed: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0

    def __str__(self) -> str:
        return (
            f"emails sent {self.emails_sent}, failed {self.emails_failed}; "
            f"webhooks delivered {self.webhooks_delivered}, failed {self.webhooks_failed}"
        )


def recipient_language(user: User) -> str:
    """Return the language to write to ``user`` in: the portal's own, Chinese (accounts keep no
    language preference yet; this is the one place that would read it)."""
    return settings.LANGUAGE_CODE


def _email_send(note: Notification) -> None:
    subject_template, body_template = EMAIL_TEMPLATES[note.kind]
    context = {"notification": note, "data": note.data, "user": note.user}
    if note.event_id:
        context.update(event=note.event, case=note.event.case)
    with translation.override(recipient_language(note.user)):
        subject = " ".join(render_to_string(subject_template, context).split())
        body = render_to_string(body_template, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [note.user.email])


def _email_next(now: datetime, event_ids: list[int] | None) -> bool | None:
    """Send the next due email; return whether it went, or None when none is due."""
    with transaction.atomic():
        pending = Notification.objects.filter(email=Notification.Email.PENDING)
        note = _due(pending, now, event_ids).select_related("user", "event__case__merchant").first()
        if note is None:
            return None
        note.email_attempts += 1
        fields = ["email", "email_attempts", "next_attempt_at", "sent_at", "last_error"]
        if not note.user.email or not note.user.is_active:
            note.email = Notification.Email.NONE  # the address went since: tell in the portal only
            note.save(update_fields=fields)
            return False
        try:
            _email_send(note)
        except Exception as error:  # one bad email (address, server, template) stops no other
            logger.warning("notification %s: email failed: %s", note.pk, error)
            note.last_error = f"{type(error).__name__}: {error}"[:500]
            if note.email_attempts >= settings.ODR_EMAIL_MAX_ATTEMPTS:
                note.email, note.next_attempt_at = Notification.Email.FAILED, None
            else:
                note.next_attempt_at = retry_at(note.email_attempts, now)
            note.save(update_fields=fields)
            return False
        note.email, note.sent_at, note.next_attempt_at = Notification.Email.SENT, now, None
        note.last_error = ""
        note.save(update_fields=fields)
        return True


def _delivery_next(now: datetime, event_ids: list[int] | None) -> bool | None:
    """Send the next due webhook delivery; return whether it was accepted, or None when none
    is due. Deliveries of a disabled endpoint wait until it is enabled again."""
    with transaction.atomic():
        pending = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, endpoint__enabled=True
        )
        delivery = _due(pending, now, event_ids).select_related("endpoint").first()
        if delivery is None:
            return None
        outcome = webhook_post(delivery)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.status
        delivery.error = outcome.error
        endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if outcome.ok:
            delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
            delivery.next_attempt_at = None
            endpoint.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        else:
            if delivery.attempts >= settings.ODR_WEBHOOK_MAX_ATTEMPTS:
                delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            else:
                delivery.next_attempt_at = retry_at(delivery.attempts, now)
            endpoint.update(consecutive_failures=F("consecutive_failures") + 1)
            disabled = endpoint.filter(
                enabled=True,
                consecutive_failures__gte=settings.ODR_WEBHOOK_DISABLE_AFTER_FAILURES,
            ).update(enabled=False, disabled_at=now)
            if disabled:
                _tell_owners_disabled(delivery.endpoint, now)
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_attempt_at",
                "response_status",
                "error",
                "delivered_at",
            ]
        )
        return outcome.ok


def _tell_owners_disabled(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Tell the merchant's owners, in the portal and by email, that ``endpoint`` was disabled."""
    logger.warning("webhook %s disabled after failed deliveries", endpoint.pk)
    owners = MerchantMembership.objects.filter(
        merchant_id=endpoint.merchant_id,
        role=MerchantMembership.Role.OWNER,
        user__is_active=True,
    ).values_list("user_id", "user__email")
    Notification.objects.bulk_create(
        Notification(
            kind=Notification.Kind.WEBHOOK_DISABLED,
            user_id=user_id,
            data={
                "endpoint": endpoint.pk,
                "url": endpoint.url,
                "failures": settings.ODR_WEBHOOK_DISABLE_AFTER_FAILURES,
            },
            created_at=now,
            email=Notification.Email.PENDING if email else Notification.Email.NONE,
        )
        for user_id, email in owners
    )


def outbox_relay(
    *, now: datetime | None = None, event_ids: list[int] | None = None, limit: int | None = None
) -> RelayReport:
    """Send the notification emails and webhook deliveries that are due — only those of
    ``event_ids`` when given — up to ``limit`` of each (ODR_OUTBOX_BATCH_SIZE); return what
    was done. Safe to run many times at once."""
    limit = limit or settings.ODR_OUTBOX_BATCH_SIZE
    report = RelayReport()
    for _ in range(limit):
        sent = _email_next(now or timezone.now(), event_ids)
        if sent is None:
            break
        report.emails_sent += sent
        report.emails_failed += not sent
    for _ in range(limit):
        delivered = _delivery_next(now or timezone.now(), event_ids)
        if delivered is None:
            break
        report.webhooks_delivered += delivered
        report.webhooks_failed += not delivered
    if report.emails_sent or report.emails_failed or report.webhooks_failed:
        logger.info("outbox relay: %s", report)
    return report


def notify_events(event_ids: list[int], *, now: datetime | None = None) -> int:
    """Send now what is pending for these events (the nudge after their commit); return how
    many emails went out."""
    return outbox_relay(now=now, event_ids=list(event_ids)).emails_sent


# --- In the portal -------------------------------------------------------------------------------


def notification_list_for_user(user: User) -> QuerySet:
    """The person's notifications, with what the list shows of their case (newest first is the
    page's order)."""
    return Notification.objects.filter(user=user).select_related("event__case")


def notification_unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get_for_user(user: User, pk: int) -> Notification | None:
    """Return the person's notification ``pk``, or None for one that is missing or not theirs."""
    return Notification.objects.filter(user=user, pk=pk).select_related("event__case").first()


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> None:
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of ``user`` read; return how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
