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

import contextlib
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from core.models import OUTBOX_DUE_AT_ONCE
from merchants.models import Merchant, MerchantMembership, WebhookDelivery, WebhookEndpoint
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
        if part == MERCHANT:  # staff hear of the cases they are a party to, no others (§6)
            rows = rows.filter(merchant__odr_status__in=Merchant.STAFF_HANDLE_CASES)
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


def outbox_write(events: list[CaseEvent], *, bulk: bool = False) -> None:
    """Write who must hear of the saved ``events``: a notification per person, a delivery per
    subscribed webhook endpoint. Call it in the transaction that saves the events. ``bulk``
    rows (the deadline sweep's) are sent after the others."""
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
            next_attempt_at=OUTBOX_DUE_AT_ONCE if email else None,
            bulk=bulk,
        )
        for event in told
        for user_id, email in people.get(event.pk, {}).items()
    ]
    Notification.objects.bulk_create(notes, batch_size=1000)
    _deliveries_write(told, bulk)


def _deliveries_write(events: list[CaseEvent], bulk: bool) -> None:
    named = [(event, webhook_name_for(event)) for event in events]
    named = [(event, name) for event, name in named if name]
    if not named:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    merchants = {event.case.merchant_id for event, _name in named}
    # A merchant's integrations hear of its cases only while its staff are a party to them.
    for endpoint in WebhookEndpoint.objects.filter(
        merchant_id__in=merchants,
        merchant__odr_status__in=Merchant.STAFF_HANDLE_CASES,
        enabled=True,
    ):
        endpoints[endpoint.merchant_id].append(endpoint)
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            name=name,
            body=webhook_body(event, name),
            created_at=event.created_at,
            next_attempt_at=OUTBOX_DUE_AT_ONCE,
            bulk=bulk,
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
    """The rows whose attempt is due, in the order they are sent — a person's own notices before
    a sweep's bulk wave, then the longest waiting — on an index in that very order (no sort of
    the backlog), claimed without waiting for another relay."""
    rows = rows.filter(next_attempt_at__lte=now)
    if event_ids is not None:
        rows = rows.filter(event_id__in=event_ids)
    return rows.order_by("bulk", "next_attempt_at", "pk").select_for_update(
        skip_locked=True, of=("self",)
    )


@contextlib.contextmanager
def _marking() -> Iterator[None]:
    """The short transaction that records one send. Its commit does not wait for PostgreSQL to
    flush it to disk (``synchronous_commit`` off, for this transaction only): a few times faster,
    and should the database server itself crash in the next fraction of a second, the mark is
    lost and the row sent again, which at-least-once delivery allows. A crash of the relay loses
    nothing once this returns."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _claim(rows: QuerySet, now: datetime, event_ids: list[int] | None, size: int) -> list[int]:
    """Claim up to ``size`` due rows for this relay: their next attempt moves a lease ahead
    (ODR_OUTBOX_LEASE_SECONDS), committed at once, so that no other relay takes them meanwhile
    and a relay that dies leaves them due again when the lease ends."""
    with transaction.atomic():
        ids = list(_due(rows, now, event_ids).values_list("pk", flat=True)[:size])
        if ids:
            lease = now + timedelta(seconds=settings.ODR_OUTBOX_LEASE_SECONDS)
            rows.model.objects.filter(pk__in=ids).update(next_attempt_at=lease)
    return ids


def _claims(
    rows: QuerySet, now: datetime, event_ids: list[int] | None, limit: int
) -> Iterator[list[int]]:
    """Claim due rows ODR_OUTBOX_CLAIM_SIZE at a time, up to ``limit`` in all, until none is
    due."""
    while limit > 0:
        ids = _claim(rows, now, event_ids, min(settings.ODR_OUTBOX_CLAIM_SIZE, limit))
        if not ids:
            return
        limit -= len(ids)
        yield ids


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


def email_message_id(note: Notification) -> str:
    """The Message-ID of ``note``'s email: the same at every attempt, so that a receiver can
    drop a second copy (the relay delivers at least once)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "odr.invalid"
    return f"<notification-{note.pk}@{domain}>"


def _email_message(note: Notification) -> EmailMessage:
    subject_template, body_template = EMAIL_TEMPLATES[note.kind]
    context = {"notification": note, "data": note.data, "user": note.user}
    if note.event_id:
        context.update(event=note.event, case=note.event.case)
    with translation.override(recipient_language(note.user)):
        subject = " ".join(render_to_string(subject_template, context).split())
        body = render_to_string(body_template, context)
    return EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [note.user.email],
        headers={"Message-ID": email_message_id(note)},
    )


class _Senders:
    """Threads that send what the relay prepared, each over a connection of its own to the mail
    server (kept open for the relay run). Nothing here touches the database."""

    def __init__(self) -> None:
        self.size = settings.ODR_OUTBOX_SENDERS
        self.pool = ThreadPoolExecutor(max_workers=self.size)
        self.local = threading.local()
        self.connections: list = []
        self.lock = threading.Lock()

    def _mail(self, message: EmailMessage) -> None:
        mail_connection = getattr(self.local, "mail", None)
        if mail_connection is None:
            mail_connection = self.local.mail = get_connection()
            with self.lock:
                self.connections.append(mail_connection)
        try:
            mail_connection.send_messages([message])
        except Exception:
            # The connection may be broken: the next message on this thread opens a new one.
            self.local.mail = None
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                mail_connection.close()
            raise

    def mails(self, messages: list[tuple[Notification, EmailMessage]], flush: Callable[[], None]):
        """Send each (notification, message); see ``_completed``."""
        return self._completed(((note, self._mail, m) for note, m in messages), flush)

    def posts(self, deliveries: list[WebhookDelivery], flush: Callable[[], None]):
        """Post each delivery; see ``_completed``."""
        return self._completed(((d, webhook_post, d) for d in deliveries), flush)

    def _completed(self, jobs: Iterator[tuple], flush: Callable[[], None]) -> Iterator[tuple]:
        """Run each job (the row it is for, a function, its argument) on the threads; yield
        (row, future) as each completes. ``flush`` records the outcomes yielded so far: it is
        called after every ``MARK_EVERY`` of them (the caller calls it once more at the end).

        A job starts only while fewer than ODR_OUTBOX_SENDERS + MARK_EVERY jobs are started and
        not yet recorded, however far the threads run ahead of the recording: a relay that dies
        sends again at most that many."""
        window = self.size + MARK_EVERY
        running: dict[Future, object] = {}
        unrecorded = completed = 0
        while True:
            while unrecorded < window and (job := next(jobs, None)) is not None:
                row, function, argument = job
                running[self.pool.submit(function, argument)] = row
                unrecorded += 1
            if not running:
                return
            done, _running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future
                completed += 1
                if completed >= MARK_EVERY:
                    flush()
                    unrecorded, completed = unrecorded - completed, 0

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for mail_connection in self.connections:
            with contextlib.suppress(Exception):
                mail_connection.close()


def _emails_relay(
    senders: _Senders, now: datetime, event_ids: list[int] | None, limit: int, report
) -> None:
    pending = Notification.objects.filter(email=Notification.Email.PENDING)
    for ids in _claims(pending, now, event_ids, limit):
        notes = Notification.objects.filter(pk__in=ids).select_related(
            "user", "event__case__merchant"
        )
        messages = []
        for note in notes:
            if not note.user.email or not note.user.is_active:
                # The address went since: told in the portal only.
                Notification.objects.filter(pk=note.pk).update(
                    email=Notification.Email.NONE, next_attempt_at=None
                )
                report.emails_failed += 1
                continue
            try:
                message = _email_message(note)
            except Exception as error:  # a template fault stops no other email
                _email_failed(note, error, now)
                report.emails_failed += 1
                continue
            messages.append((note, message))
        # The marks are committed as the sends complete, a few at a time: a relay that dies
        # sends again only what was in flight or sent in the last moment.
        sent: list[int] = []
        for note, future in senders.mails(messages, partial(_emails_mark_sent, sent, now)):
            error = future.exception()
            if error is None:
                sent.append(note.pk)
                report.emails_sent += 1
            else:
                _email_failed(note, error, now)
                report.emails_failed += 1
        _emails_mark_sent(sent, now)


# How many completed sends are recorded together (one short transaction for them).
MARK_EVERY = 8


def _emails_mark_sent(pks: list[int], now: datetime) -> None:
    """Record ``pks`` as sent, and empty the list."""
    if pks:
        with _marking():
            Notification.objects.filter(pk__in=pks).update(
                email=Notification.Email.SENT,
                sent_at=now,
                next_attempt_at=None,
                last_error="",
                email_attempts=F("email_attempts") + 1,
            )
        pks.clear()


def _email_failed(note: Notification, error: BaseException, now: datetime) -> None:
    logger.warning("notification %s: email failed: %s", note.pk, error)
    attempts = note.email_attempts + 1
    given_up = attempts >= settings.ODR_EMAIL_MAX_ATTEMPTS
    Notification.objects.filter(pk=note.pk).update(
        email_attempts=attempts,
        email=Notification.Email.FAILED if given_up else Notification.Email.PENDING,
        next_attempt_at=None if given_up else retry_at(attempts, now),
        last_error=f"{type(error).__name__}: {error}"[:500],
    )


def _webhooks_relay(
    senders: _Senders, now: datetime, event_ids: list[int] | None, limit: int, report
) -> None:
    """Deliveries of a disabled endpoint wait until it is enabled again."""
    pending = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, endpoint__enabled=True
    )
    for ids in _claims(pending, now, event_ids, limit):
        deliveries = WebhookDelivery.objects.filter(pk__in=ids).select_related("endpoint")
        # As for emails: the accepted ones are recorded a few at a time as they complete.
        accepted: list[tuple[WebhookDelivery, int]] = []
        flush = partial(_deliveries_mark_accepted, accepted, now)
        for delivery, future in senders.posts(list(deliveries), flush):
            outcome = future.result()  # webhook_post never raises for the network's faults
            if outcome.ok:
                accepted.append((delivery, outcome.status))
                report.webhooks_delivered += 1
            else:
                with _marking():
                    _delivery_failed(delivery, outcome, now)
                report.webhooks_failed += 1
        _deliveries_mark_accepted(accepted, now)


def _deliveries_mark_accepted(accepted: list[tuple[WebhookDelivery, int]], now: datetime) -> None:
    """Record the deliveries the receivers accepted (with the status each answered), and empty
    the list; their endpoints' runs of failures end."""
    if not accepted:
        return
    by_status: dict[int, list[int]] = defaultdict(list)
    for delivery, status in accepted:
        by_status[status].append(delivery.pk)
    endpoints = {delivery.endpoint_id for delivery, _status in accepted}
    with _marking():
        for status, pks in by_status.items():
            WebhookDelivery.objects.filter(pk__in=pks).update(
                status=WebhookDelivery.Status.DELIVERED,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
                response_status=status,
                error="",
                delivered_at=now,
                next_attempt_at=None,
            )
        WebhookEndpoint.objects.filter(pk__in=endpoints, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    accepted.clear()


def _delivery_failed(delivery: WebhookDelivery, outcome, now: datetime) -> None:
    """Record a failed attempt: try again later or give up; a run of failures disables the
    endpoint and tells its owners."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status
    delivery.error = outcome.error
    if delivery.attempts >= settings.ODR_WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.next_attempt_at = retry_at(delivery.attempts, now)
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "error",
        ]
    )
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    endpoint.update(consecutive_failures=F("consecutive_failures") + 1)
    disabled = endpoint.filter(
        enabled=True,
        consecutive_failures__gte=settings.ODR_WEBHOOK_DISABLE_AFTER_FAILURES,
    ).update(enabled=False, disabled_at=now)
    if disabled:
        _tell_owners_disabled(delivery.endpoint, now)


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
            next_attempt_at=OUTBOX_DUE_AT_ONCE if email else None,
        )
        for user_id, email in owners
    )


def outbox_relay(
    *, now: datetime | None = None, event_ids: list[int] | None = None, limit: int | None = None
) -> RelayReport:
    """Send the notification emails and webhook deliveries that are due — only those of
    ``event_ids`` when given — up to ``limit`` of each (ODR_OUTBOX_BATCH_SIZE); return what
    was done. Safe to run many times at once.

    Rows are claimed a few at a time (ODR_OUTBOX_CLAIM_SIZE) under a short lease and sent by
    ODR_OUTBOX_SENDERS threads; each one's outcome is committed as soon as it is known. Delivery
    is at least once: a relay that dies between sending and committing sends that row again,
    with the same Message-ID or X-ODR-Delivery for the receiver to drop the copy."""
    limit = limit or settings.ODR_OUTBOX_BATCH_SIZE
    now = now or timezone.now()
    report = RelayReport()
    senders = _Senders()
    try:
        _emails_relay(senders, now, event_ids, limit, report)
        _webhooks_relay(senders, now, event_ids, limit, report)
    finally:
        senders.close()
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
