"""The deadline sweep (product §5): each due case moves once; reminders and flags happen once."""

import threading

import pytest
from celery.signals import before_task_publish
from django.core import mail
from django.core.management import call_command
from django.db import connection

from cases import services
from cases.ledger import ledger_verify
from cases.models import Case, CaseEvent, Offer, Resolution, Status
from cases.rules import Action, case_available_actions
from cases.sweep import sweep_deadlines
from core.errors import ActionNotAllowed
from odr.celery import app as celery_app
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import at

E = CaseEvent.Type


def types(case) -> list[str]:
    return list(case.events.order_by("seq").values_list("type", flat=True))


def test_missed_settlement_deadline_escalates_once(file_case):
    case = file_case()  # filed Mon 2026-03-02; settle by Mon 03-16 23:59:59
    assert sweep_deadlines(at(2026, 3, 16, 23, 59, 58)).actions["escalated"] == 0
    report = sweep_deadlines(at(2026, 3, 17, 0, 0, 1))
    assert report.actions["escalated"] == 1
    case.refresh_from_db()
    assert case.status == Status.REGULATOR_INTAKE
    assert case.intake_due_at == at(2026, 3, 26, 23, 59, 59)
    again = sweep_deadlines(at(2026, 3, 17, 0, 5))
    assert again.cases == 0
    assert types(case).count(E.DEADLINE_MISSED) == 1
    missed = case.events.get(type=E.DEADLINE_MISSED)
    assert missed.data["from"] == Status.SUBMITTED and missed.data["to"] == Status.REGULATOR_INTAKE
    assert missed.data["deadlines"]["intake"]["days"] == 7


def test_late_acknowledgement_is_flagged_once_and_the_clock_keeps_running(file_case, mallory):
    case = file_case()
    sweep_deadlines(at(2026, 3, 5, 0, 0, 1))
    sweep_deadlines(at(2026, 3, 5, 0, 1))
    case.refresh_from_db()
    assert case.acknowledge_late is True
    assert types(case).count(E.ACKNOWLEDGEMENT_OVERDUE) == 1
    assert case.status == Status.SUBMITTED
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 5, 9))
    assert case.events.get(type=E.ACKNOWLEDGED).data["late"] is True
    assert case.settle_due_at == at(2026, 3, 16, 23, 59, 59)


def test_merchant_is_reminded_3_and_1_working_days_before_settlement(file_case, mallory):
    case = file_case()
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
    # Settle by Mon 03-16: 3 working days left from Thu 03-12, 1 from Mon 03-16.
    sweep_deadlines(at(2026, 3, 11, 23, 59, 58))
    assert types(case).count(E.REMINDER_SENT) == 0
    sweep_deadlines(at(2026, 3, 12, 0, 0, 1))
    sweep_deadlines(at(2026, 3, 12, 8))
    reminders = case.events.filter(type=E.REMINDER_SENT)
    assert [r.data["working_days_before"] for r in reminders] == [3]
    sweep_deadlines(at(2026, 3, 16, 0, 0, 1))
    sweep_deadlines(at(2026, 3, 16, 9))
    assert [r.data["working_days_before"] for r in reminders.all()] == [3, 1]


def test_offer_lapses_after_seven_days(file_case, mallory, alice):
    case = file_case()
    made = offer(case, mallory, at(2026, 3, 3, 9), amount="10", text="退10元")
    sweep_deadlines(at(2026, 3, 11, 0, 0, 1))
    made.refresh_from_db()
    assert made.status == Offer.Status.LAPSED
    case.refresh_from_db()
    assert case.status == Status.NEGOTIATING and case.offer_due_at is None
    assert types(case).count(E.OFFER_LAPSED) == 1


def test_accepting_after_the_offer_lapsed_is_refused_even_before_the_sweep(
    file_case, mallory, alice
):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9), amount="10", text="退10元")
    with pytest.raises(ActionNotAllowed):
        services.offer_accept(case=case, actor=alice, now=at(2026, 3, 11, 8))
    case.refresh_from_db()
    assert case.status == Status.NEGOTIATING
    assert types(case).count(E.OFFER_LAPSED) == 1


def test_not_settled_window_closes_the_case(file_case, mallory):
    case = file_case()
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
    services.case_decline(case=case, actor=mallory, reason="不同意", now=at(2026, 3, 3, 10))
    # Declined Tue 03-03: 15 calendar days, so the consumer has until Wed 03-18 23:59:59.
    sweep_deadlines(at(2026, 3, 18, 23, 0))
    assert Case.objects.get(pk=case.pk).status == Status.NOT_SETTLED
    sweep_deadlines(at(2026, 3, 19, 0, 0, 1))
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.NOT_SETTLED)
    assert types(case)[-1] == E.CHOICE_WINDOW_EXPIRED


def test_unconfirmed_fulfilment_is_presumed_after_seven_days(file_case, mallory, alice):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9), amount="10", text="退10元")
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 3, 10))
    services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 5, 10))
    sweep_deadlines(at(2026, 3, 13, 0, 0, 1))
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.SETTLED)
    assert case.current_agreement().confirmation_presumed is True


def test_overdue_intake_is_flagged_once_and_the_supervisor_alerted(
    file_case, olivia, sam, django_capture_on_commit_callbacks
):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    # Intake by Wed 03-11; reminder to the office from the end of Mon 03-09.
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines(at(2026, 3, 10, 8))
    assert [m.to for m in mail.outbox] == [[olivia.email]]
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines(at(2026, 3, 12, 0, 0, 1))
        sweep_deadlines(at(2026, 3, 13, 0, 0, 1))
    case.refresh_from_db()
    assert case.intake_overdue is True
    assert case.status == Status.REGULATOR_INTAKE  # a legal decision is never automatic
    assert types(case).count(E.INTAKE_OVERDUE) == 1
    assert [m.to for m in mail.outbox[1:]] == [[sam.email]]


def test_mediation_expires_and_both_parties_are_told(
    file_case, alice, olivia, django_capture_on_commit_callbacks
):
    # Suspended: the complaint goes to the regulator, and the staff are still its party.
    merchant = f.MerchantFactory(odr_status="suspended")
    staff = f.MerchantMembershipFactory(merchant=merchant).user
    case = file_case(merchant=merchant)
    services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines(at(2026, 5, 10, 0, 0, 1))
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.MEDIATION_EXPIRED)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, staff.email])


def test_rating_window_closes(file_case, alice):
    case = file_case()
    services.case_withdraw(case=case, actor=alice, now=at(2026, 3, 3, 9))
    sweep_deadlines(at(2026, 4, 3, 0, 0, 1))
    case.refresh_from_db()
    assert case.rating_due_at is None and case.next_action_at is None
    assert types(case)[-1] == E.RATING_WINDOW_CLOSED


def test_sweep_command_prints_what_it_did(file_case, capsys):
    file_case(now=at(2020, 3, 2, 10))
    call_command("sweep_deadlines")
    out = capsys.readouterr().out
    assert "escalated 1" in out and "acknowledgement_overdue 1" in out


def test_no_task_is_published_with_an_eta(
    file_case, alice, mallory, django_capture_on_commit_callbacks
):
    """Deadlines live in indexed columns swept every minute, never in broker ETAs: a whole
    lifecycle, deadlines included, publishes its tasks for now."""
    published = []

    def capture(sender=None, headers=None, **kwargs):
        published.append((sender, headers.get("eta")))

    before_task_publish.connect(capture)
    celery_app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case = file_case()
            offer(case, mallory, at(2026, 3, 3, 9))
            services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 9))
            sweep_deadlines(at(2026, 6, 1, 9))  # fulfilment, confirmation and rating pass
    finally:
        celery_app.conf.task_always_eager = True
        before_task_publish.disconnect(capture)
        celery_app.control.purge()
    assert {task for task, _ in published} == {"cases.tasks.notify_events"}
    assert [eta for _, eta in published] == [None] * len(published)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_move_every_case_exactly_once(require_postgres, offices):
    consumer = f.ConsumerFactory()
    merchant = f.MerchantFactory()
    filed = at(2026, 3, 2, 10)
    due = at(2026, 3, 16, 23, 59, 59)
    Case.objects.bulk_create(
        Case(
            number=f"20260302-T{i:07d}",
            consumer=consumer,
            merchant=merchant,
            office=offices["140105"],
            status=Status.NEGOTIATING,
            subject="s",
            facts="f",
            claim="c",
            filed_at=filed,
            settle_due_at=due,
            next_action_at=due,
            reminders_sent=["settle_3", "settle_1"],
            deadline_basis={"settle": {"start": "2026-03-02", "days": 10, "unit": "working_days"}},
        )
        for i in range(3000)
    )
    now = at(2026, 3, 17, 9)
    reports, errors = [], []

    def sweeper():
        try:
            reports.append(sweep_deadlines(now, batch_size=50))
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(r.actions["escalated"] for r in reports) == 3000
    assert Case.objects.filter(status=Status.REGULATOR_INTAKE).count() == 3000
    per_case = CaseEvent.objects.filter(type=E.DEADLINE_MISSED).values("case").distinct().count()
    assert per_case == CaseEvent.objects.filter(type=E.DEADLINE_MISSED).count() == 3000
    assert list(ledger_verify()) == []
    assert sweep_deadlines(now).cases == 0


def test_unfulfilled_agreement_opens_the_confirmation_window_at_its_date(file_case, mallory, alice):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9), amount="10", text="退10元")  # fulfil by Fri 2026-03-20
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 3, 10))
    case.refresh_from_db()
    assert case.fulfil_due_at == at(2026, 3, 20, 23, 59, 59)
    assert Action.REPORT_BREACH not in case_available_actions(case, alice, now=at(2026, 3, 4))
    sweep_deadlines(at(2026, 3, 21, 0, 0, 1))
    sweep_deadlines(at(2026, 3, 21, 8))
    case.refresh_from_db()
    assert case.status == Status.SETTLED and case.fulfilment_overdue is True
    assert types(case).count(E.FULFILMENT_OVERDUE) == 1
    assert case.confirm_due_at == at(2026, 3, 28, 23, 59, 59)
    assert Action.REPORT_BREACH in case_available_actions(case, alice, now=at(2026, 3, 21, 9))
    sweep_deadlines(at(2026, 3, 29, 0, 0, 1))
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.SETTLED)


def test_a_case_that_fails_is_set_aside_and_the_others_still_move(file_case):
    broken, healthy = file_case(), file_case()
    # A row the timers cannot read (as if corrupted by hand).
    Case.objects.filter(pk=broken.pk).update(reminders_sent=5)
    report = sweep_deadlines(at(2026, 3, 17, 9))
    healthy.refresh_from_db()
    assert healthy.status == Status.REGULATOR_INTAKE
    assert report.stuck == {broken.pk}
    assert "1 case(s) set aside" in str(report)
    assert Case.objects.get(pk=broken.pk).status == Status.SUBMITTED


def test_changing_the_policy_does_not_change_reminders_of_open_cases(file_case, mallory):
    from cases.models import DeadlinePolicy

    case = file_case()  # given reminders at 3 and 1 working days before Mon 03-16
    policy = DeadlinePolicy.current()  # as the admin changes it
    policy.settle_reminder_working_days = [5, 2]
    policy.save()
    sweep_deadlines(at(2026, 3, 16, 9))
    sent = case.events.filter(type=E.REMINDER_SENT).order_by("seq")
    assert [e.data["working_days_before"] for e in sent] == [3, 1]
    later = file_case(now=at(2026, 3, 16, 10))  # filed under the new policy
    assert later.deadline_basis["settle"]["reminders"] == [5, 2]
