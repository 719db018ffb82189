"""Notifications go to the right people, once (product §5: each reminder sent once)."""

from django.core import mail

from cases.models import CaseEvent, Notification
from cases.notifications import notify_events
from cases.sweep import sweep_deadlines
from tests.conftest import at


def test_each_email_goes_out_once_even_when_the_task_runs_twice(file_case, mallory):
    case = file_case()
    sweep_deadlines(at(2026, 3, 12, 0, 0, 1))  # 3 working days before settlement: reminder
    reminder = case.events.get(type=CaseEvent.Type.REMINDER_SENT)
    assert notify_events([reminder.pk]) == 1
    assert notify_events([reminder.pk]) == 0
    assert [m.to for m in mail.outbox] == [[mallory.email]]
    assert Notification.objects.get(event=reminder).sent_at is not None


def test_internal_notes_are_never_emailed(file_case, olivia, alice):
    from cases import services
    from tests import factories as f

    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_post_message(
        case=case, actor=olivia, body="内部", internal=True, now=at(2026, 3, 3, 9)
    )
    note = case.events.get(type=CaseEvent.Type.NOTE_POSTED)
    assert notify_events([note.pk]) == 0
    assert mail.outbox == []
