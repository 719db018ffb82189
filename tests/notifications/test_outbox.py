"""The outbox (product §5): who must hear of an event is written with the event, and the relay
sends each email once, retries failures with growing pauses kept in the database, and never
sends one twice however often it runs."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import translation

from cases import notifications, services, tasks
from cases.models import CaseEvent, Notification
from cases.notifications import outbox_relay, retry_at
from cases.sweep import sweep_deadlines
from merchants.models import WebhookDelivery, WebhookEndpoint
from merchants.webhooks import webhook_endpoint_create
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import at

E = CaseEvent.Type


def told(event) -> dict[str, str]:
    """Who is told of ``event``: {email or phone: email state}."""
    return {
        n.user.login_name: n.email
        for n in Notification.objects.filter(event=event).select_related("user")
    }


def test_filing_writes_who_must_hear_of_it_in_the_same_transaction(file_case, mallory):
    case = file_case()
    filed = case.events.get(type=E.FILED)
    assert told(filed) == {mallory.email: Notification.Email.PENDING}
    assert mail.outbox == []  # the nudge runs after commit; this test's transaction never ends


def test_a_change_that_rolls_back_leaves_nothing_to_send(file_case, alice, mallory):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        file_case()
        raise Abandoned
    assert not Notification.objects.exists()
    assert outbox_relay().emails_sent == 0


def test_the_nudge_after_commit_sends_the_email(
    file_case, mallory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case()
    assert [m.to for m in mail.outbox] == [[mallory.email]]
    note = Notification.objects.get(event__case=case)
    assert (note.email, note.email_attempts, note.read_at) == (Notification.Email.SENT, 1, None)
    assert note.sent_at is not None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_process_nudges_at_most_once_a_second_naming_the_commits_in_between(
    file_case, alice, mallory, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ODR_OUTBOX_NUDGE_SECONDS = 1.0
    clock = Clock()
    monkeypatch.setattr(tasks, "nudges", tasks.Nudges(clock))

    def committed(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    case = committed(file_case)
    assert [m.to for m in mail.outbox] == [[mallory.email]]  # the first commit nudges at once

    clock.now += 0.5
    committed(lambda: services.case_post_message(case=case, actor=alice, body="还没回复"))
    clock.now += 0.4
    committed(lambda: services.case_post_message(case=case, actor=mallory, body="马上处理"))
    assert len(mail.outbox) == 1  # within the second: no nudge, both emails wait
    assert Notification.objects.filter(email=Notification.Email.PENDING).count() == 2

    clock.now += 0.2
    committed(lambda: services.case_post_message(case=case, actor=alice, body="请尽快"))
    # The next nudge names the events of the commits it waited for, and its own.
    assert sorted(m.to[0] for m in mail.outbox[1:]) == [alice.email, mallory.email, mallory.email]
    assert not Notification.objects.filter(email=Notification.Email.PENDING).exists()


def test_the_events_a_nudge_waited_for_are_sent_by_the_relay(
    file_case, alice, mallory, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ODR_OUTBOX_NUDGE_SECONDS = 1.0
    monkeypatch.setattr(tasks, "nudges", tasks.Nudges(Clock()))
    with django_capture_on_commit_callbacks(execute=True):
        case = file_case()
    with django_capture_on_commit_callbacks(execute=True):
        services.case_post_message(case=case, actor=mallory, body="马上处理")
    assert len(mail.outbox) == 1  # no further commit came: the message's email waits

    assert outbox_relay().emails_sent == 1  # beat's run

    assert [m.to for m in mail.outbox[1:]] == [[alice.email]]


def test_the_person_who_acted_is_not_told_and_the_other_party_is(file_case, alice, mallory):
    case = file_case()
    services.case_post_message(case=case, actor=alice, body="还没回复", now=at(2026, 3, 2, 11))
    services.case_post_message(case=case, actor=mallory, body="马上处理", now=at(2026, 3, 2, 12))
    from_alice, from_mallory = case.events.filter(type=E.MESSAGE_POSTED).order_by("seq")
    assert told(from_alice) == {mallory.email: Notification.Email.PENDING}
    assert told(from_mallory) == {alice.email: Notification.Email.PENDING}


def test_a_consumer_without_an_email_is_told_in_the_portal_only(alice, acme, mallory, file_case):
    phone_only = f.ConsumerFactory(email=None, phone="13911112222")
    case = file_case(consumer=phone_only)
    offer(case, mallory, at(2026, 3, 3, 9))
    made = case.events.get(type=E.OFFER_MADE)
    assert told(made) == {"13911112222": Notification.Email.NONE}
    outbox_relay()
    assert [m.to for m in mail.outbox] == [[mallory.email]]  # the complaint, to the merchant


def test_regulator_only_notes_tell_nobody(file_case, olivia):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_post_message(
        case=case, actor=olivia, body="内部", internal=True, now=at(2026, 3, 3, 9)
    )
    note = case.events.get(type=E.NOTE_POSTED)
    assert not Notification.objects.filter(event=note).exists()


def test_the_sweep_writes_the_outbox_of_its_batch(file_case, alice, mallory, olivia, receiver):
    """The sweep writes its batch at once (with COPY on PostgreSQL); its events are told like
    any other."""
    case = file_case()
    endpoint, receiver.secret = webhook_endpoint_create(
        merchant=case.merchant,
        actor=mallory,
        url=receiver.url,
        events=[WebhookEndpoint.Event.CASE_ESCALATED],
    )
    sweep_deadlines(at(2026, 3, 12, 0, 0, 1))  # 3 working days before settlement: a reminder
    reminder = case.events.get(type=E.REMINDER_SENT)
    assert told(reminder) == {mallory.email: Notification.Email.PENDING}

    sweep_deadlines(at(2026, 3, 17, 0, 0, 1))  # the settlement deadline passed
    missed = case.events.get(type=E.DEADLINE_MISSED)
    assert told(missed) == {
        alice.email: Notification.Email.PENDING,
        mallory.email: Notification.Email.PENDING,
        olivia.email: Notification.Email.PENDING,
    }
    [delivery] = endpoint.deliveries.all()
    assert (delivery.event, delivery.name) == (missed, "case.escalated")

    report = outbox_relay(now=at(2026, 3, 17, 0, 1))
    # The complaint, the late acknowledgement, the reminder, and the missed deadline to three
    # (sent in parallel: in no particular order).
    assert (report.emails_sent, report.webhooks_delivered) == (6, 1)
    assert set(told(missed).values()) == {Notification.Email.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [mallory.email] * 4 + [alice.email, olivia.email]
    )
    assert dict(receiver.accepted) == {f"{case.number}.{missed.seq}": 1}


def test_a_relay_run_twice_sends_nothing_twice(file_case, alice, mallory):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9))
    assert outbox_relay().emails_sent == 2
    assert outbox_relay().emails_sent == 0
    assert notifications.notify_events(list(case.events.values_list("pk", flat=True))) == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mallory.email, alice.email])


@pytest.mark.django_db(transaction=True)
def test_relays_running_at_once_send_each_email_once(require_postgres, offices, acme, monkeypatch):
    """Two relays claim rows with SKIP LOCKED: together they send each email exactly once."""

    def broker_down(*args, **kwargs):
        raise OSError("the broker is down")

    monkeypatch.setattr(tasks.notify_events, "apply_async", broker_down)  # no nudge gets through
    staff = [f.MerchantMembershipFactory(merchant=acme).user for _ in range(5)]
    consumer = f.ConsumerFactory()
    for day in range(2, 6):
        services.case_file(
            consumer=consumer,
            merchant=acme,
            subject="耳机无法开机",
            facts="收到的耳机无法开机。",
            claim="退货退款",
            now=at(2026, 3, day, 10),
        )
    owed = Notification.objects.filter(email=Notification.Email.PENDING).count()
    assert owed == 4 * len(staff)
    mail.outbox = []
    barrier = threading.Barrier(2)

    def relay() -> None:
        barrier.wait()
        try:
            outbox_relay()
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mail.outbox) == owed
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert len(set(sent)) == owed
    assert not Notification.objects.exclude(email=Notification.Email.SENT).exists()


def unreachable_mail_server(settings) -> None:
    """Mail goes over SMTP to a port where nothing listens: every attempt is refused at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def test_a_failed_email_is_retried_later_with_growing_pauses(file_case, mallory, settings):
    case = file_case()
    unreachable_mail_server(settings)
    first = at(2026, 3, 2, 10, 0, 5)
    assert outbox_relay(now=first).emails_failed == 1
    note = Notification.objects.get(event__case=case)
    assert note.next_attempt_at == first + timedelta(seconds=30)
    assert note.email_attempts == 1 and "ConnectionRefusedError" in note.last_error
    # Not due yet: nothing is tried.
    assert outbox_relay(now=first + timedelta(seconds=29)).emails_failed == 0
    second = first + timedelta(seconds=30)
    assert outbox_relay(now=second).emails_failed == 1
    note.refresh_from_db()
    assert note.next_attempt_at == second + timedelta(seconds=60)
    # The mail server is back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert outbox_relay(now=second + timedelta(seconds=60)).emails_sent == 1
    note.refresh_from_db()
    assert (note.email, note.email_attempts, note.next_attempt_at) == ("sent", 3, None)
    assert len(mail.outbox) == 1


def test_the_pause_between_attempts_doubles_up_to_a_limit(settings):
    settings.ODR_OUTBOX_RETRY_SECONDS = 30
    settings.ODR_OUTBOX_RETRY_MAX_SECONDS = 3600
    now = at(2026, 3, 4, 10)
    pauses = [(retry_at(n, now) - now).total_seconds() for n in range(1, 10)]
    assert pauses == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_email_that_keeps_failing_is_given_up(file_case, mallory, settings):
    settings.ODR_EMAIL_MAX_ATTEMPTS = 2
    unreachable_mail_server(settings)
    case = file_case()
    outbox_relay(now=at(2026, 3, 2, 11))
    outbox_relay(now=at(2026, 3, 2, 12))
    note = Notification.objects.get(event__case=case)
    assert (note.email, note.email_attempts, note.next_attempt_at) == ("failed", 2, None)
    assert outbox_relay(now=at(2026, 3, 9, 12)).emails_failed == 0


def test_emails_are_written_in_the_recipients_language(file_case, mallory):
    """Accounts keep no language preference: the portal's own, Chinese, whatever language the
    relay happens to run in."""
    case = file_case()
    with translation.override("en"):
        outbox_relay()
    [message] = mail.outbox
    assert message.subject == f"[12315 ODR] {case.number}: 提交投诉"
    assert "请登录平台查看投诉详情。" in message.body


# --- At least once, in order, from a backlog -----------------------------------------------------


def test_every_attempt_of_an_email_carries_one_message_id(file_case, mallory, settings):
    case = file_case()
    unreachable_mail_server(settings)
    outbox_relay(now=at(2026, 3, 2, 10, 1))  # refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    outbox_relay(now=at(2026, 3, 2, 11))
    note = Notification.objects.get(event__case=case)
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<notification-{note.pk}@odr.example.cn>"
    assert notifications.email_message_id(note) == message.extra_headers["Message-ID"]


def test_a_persons_notice_goes_before_a_sweeps_wave(file_case, alice, mallory, acme):
    waiting = [file_case(consumer=f.ConsumerFactory(), now=at(2026, 3, 2, 10)) for _ in range(3)]
    outbox_relay(now=at(2026, 3, 2, 11))  # the filings' own notices are out
    sweep_deadlines(at(2026, 3, 17, 0, 0, 1))  # a wave: every settlement deadline missed
    wave = Notification.objects.filter(email=Notification.Email.PENDING, bulk=True).count()
    assert wave >= 3 * 2
    mine = file_case(now=at(2026, 3, 17, 9))  # a new complaint while the wave waits
    mail.outbox = []
    outbox_relay(now=at(2026, 3, 17, 9, 0, 1), limit=1)
    assert [m.to for m in mail.outbox] == [[mallory.email]]
    assert mine.number in mail.outbox[0].subject
    assert all(c.number not in mail.outbox[0].subject for c in waiting)


def test_a_claimed_row_waits_out_its_lease_before_another_relay_takes_it(
    file_case, mallory, settings
):
    """A relay that died after claiming: its rows are due again once the lease ends, not
    before (no second relay sends them meanwhile)."""
    settings.ODR_OUTBOX_LEASE_SECONDS = 120
    file_case()
    now = at(2026, 3, 2, 10, 1)
    pending = Notification.objects.filter(email=Notification.Email.PENDING)
    claimed = notifications._claim(pending, now, None, 10)
    assert len(claimed) == 1
    assert notifications._claim(pending, now + timedelta(seconds=119), None, 10) == []
    assert outbox_relay(now=now + timedelta(seconds=119)).emails_sent == 0
    assert outbox_relay(now=now + timedelta(seconds=120)).emails_sent == 1


@pytest.mark.django_db(transaction=True)
def test_a_relay_that_dies_can_repeat_only_the_last_few_deliveries(
    require_postgres, receiver, file_case, mallory, settings, monkeypatch
):
    """The outcomes are committed as the sends complete, a few at a time: whenever the receiver
    gets a delivery, all but the last MARK_EVERY it accepted before are already recorded (seen
    from another connection), so a relay dying then repeats at most those and the one in flight
    (one sender here), however slow the recording is."""

    def broker_down(*args, **kwargs):
        raise OSError("the broker is down")

    monkeypatch.setattr(tasks.notify_events, "apply_async", broker_down)  # the test relays
    # Recording is slow (a loaded database): the sending thread must not run ahead of it.
    record = notifications._deliveries_mark_accepted

    def slow_record(*args):
        time.sleep(0.05)
        record(*args)

    monkeypatch.setattr(notifications, "_deliveries_mark_accepted", slow_record)
    settings.ODR_OUTBOX_SENDERS = 1
    _endpoint, receiver.secret = webhook_endpoint_create(
        merchant=mallory.merchant_membership.merchant,
        actor=mallory,
        url=receiver.url,
        events=[WebhookEndpoint.Event.CASE_SUBMITTED],
    )
    recorded_when_received: list[int] = []

    def before_answer(number: int) -> None:
        try:
            recorded_when_received.append(
                WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).count()
            )
        finally:
            connection.close()

    receiver.on_request = before_answer
    total = 3 * notifications.MARK_EVERY
    for _ in range(total):
        file_case(now=at(2026, 3, 2, 10))
    assert outbox_relay(now=at(2026, 3, 4, 11)).webhooks_delivered == total
    unrecorded = [n - recorded for n, recorded in enumerate(recorded_when_received)]
    assert max(unrecorded) <= notifications.MARK_EVERY
    assert recorded_when_received[-1] >= total - notifications.MARK_EVERY


def test_emails_are_plain_text_without_html_escaping(file_case, mallory):
    case = file_case(subject='A&B <耳机> "坏了"', claim="退款 & 赔偿")
    outbox_relay(now=at(2026, 3, 2, 10, 1))
    [message] = mail.outbox
    assert 'A&B <耳机> "坏了"' in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert case.number in message.subject
