"""Provisional deadlines for years whose official calendar is not out yet (product §5)."""

from datetime import date

from django.urls import reverse

from cases import services
from cases.models import CaseEvent
from cases.provisional import deadlines_recompute_provisional
from core.models import CalendarOverride, CalendarYear
from tests import factories as f
from tests.conftest import at, sign_in


def test_deadline_reaching_into_an_unpublished_year_is_provisional(file_case):
    # Filed Mon 2026-12-28: 10 working days counted Monday-Friday into 2027.
    case = file_case(now=at(2026, 12, 28, 10))
    assert case.settle_due_provisional is True
    assert case.settle_due_at == at(2027, 1, 11, 23, 59, 59)
    assert case.acknowledge_due_provisional is False  # Tue 12-29 and Wed 12-30 are in 2026
    filed = case.events.get(type=CaseEvent.Type.FILED)
    assert filed.data["deadlines"]["settle"]["provisional_years"] == [2027]


def test_publishing_the_year_recomputes_open_provisional_deadlines(file_case):
    case = file_case(now=at(2026, 12, 28, 10))
    # The admin enters the 2027 New Year holiday (Fri 01-01) and marks 2027 complete.
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert deadlines_recompute_provisional(now=at(2026, 12, 29, 9)) == 0  # year not complete
    CalendarYear.objects.create(year=2027, published=True)
    assert deadlines_recompute_provisional(now=at(2026, 12, 29, 9)) == 1
    case.refresh_from_db()
    assert case.settle_due_provisional is False
    assert case.settle_due_at == at(2027, 1, 12, 23, 59, 59)
    event = case.events.get(type=CaseEvent.Type.DEADLINE_RECOMPUTED)
    assert event.data["deadline"] == "settle"
    assert event.data["deadlines"]["settle"]["holidays"] == ["2027-01-01"]
    assert case.next_action_at is not None
    assert deadlines_recompute_provisional(now=at(2026, 12, 29, 10)) == 0


def test_closed_cases_keep_no_provisional_deadline(file_case, alice):
    case = file_case(now=at(2026, 12, 28, 10))
    case = services.case_withdraw(case=case, actor=alice, now=at(2026, 12, 28, 11))
    assert case.settle_due_provisional is False and case.settle_due_at is None


def test_a_deadline_that_does_not_move_only_loses_its_mark(file_case):
    case = file_case(now=at(2026, 12, 28, 10))
    CalendarYear.objects.create(year=2027, published=True)  # no holiday before 01-11
    assert deadlines_recompute_provisional(now=at(2026, 12, 29, 9)) == 0
    case.refresh_from_db()
    assert case.settle_due_provisional is False
    assert case.settle_due_at == at(2027, 1, 11, 23, 59, 59)
    assert not case.events.filter(type=CaseEvent.Type.DEADLINE_RECOMPUTED).exists()


def test_referral_decision_deadlines_are_recomputed_too(file_case, olivia):
    case = file_case(
        merchant=f.MerchantFactory(odr_status="not_onboarded"), now=at(2026, 12, 21, 9)
    )
    referral = services.referral_open(
        case=case, actor=olivia, law="《广告法》", now=at(2026, 12, 21, 10)
    )
    assert referral.decide_due_provisional is True
    assert referral.decide_due_at == at(2027, 1, 11, 23, 59, 59)  # 01-01 counted Mon-Fri
    assert case.intake_due_at == at(2026, 12, 30, 23, 59, 59)
    assert case.intake_due_provisional is False
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027, published=True)
    # The referral's deadline is the only one that moves: the intake deadline is in 2026.
    assert deadlines_recompute_provisional(now=at(2026, 12, 22, 9)) == 1
    referral.refresh_from_db()
    assert referral.decide_due_provisional is False
    assert referral.decide_due_at == at(2027, 1, 12, 23, 59, 59)
    event = case.events.get(type=CaseEvent.Type.DEADLINE_RECOMPUTED, data__deadline="referral")
    assert event.internal is True


def test_an_admin_publishing_the_year_in_the_admin_recomputes_them(
    client, file_case, django_capture_on_commit_callbacks
):
    """The admin (core) announces the publication; cases recomputes, once it is committed."""
    case = file_case(now=at(2026, 12, 28, 10))
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    sign_in(client, f.UserFactory(is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:core_calendaryear_add"), {"year": 2027, "published": "on"}
        )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.settle_due_provisional, case.settle_due_at) == (False, at(2027, 1, 12, 23, 59, 59))
