"""Callback visits (回访, SAMR Order 121; issue 10 item 5): a nightly sample of the cases closed
the day before goes into the owning office's callback list, once; the officer records the call
on the case page, on a four-level satisfaction scale with whether the outcome is real."""

import pytest
from django.conf import settings as project_settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from cases import services as case_services
from cases.models import CallbackVisit
from core.errors import ActionNotAllowed, ValidationFailed
from core.models import AuditEntry
from regulators.models import CallbackSample
from regulators.services import callback_sample, callback_selected, callback_share
from regulators.tasks import sample_callbacks
from tests import factories as f
from tests.conftest import on_day, sign_in

LIST = reverse("regulators:callbacks")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The nightly sample runs at 01:30 on the suite's day, for the cases closed the day before."""
    time_machine.move_to(on_day(0, 1, 30), tick=False)


def closed(file_case, region="140105", when=None):
    """A complaint against a business of ``region`` that its consumer withdrew at ``when``."""
    consumer = f.ConsumerFactory()
    case = file_case(
        consumer=consumer,
        merchant=f.MerchantFactory(region_code=region),
        now=on_day(-2, 10),
    )
    return case_services.case_withdraw(
        case=case, actor=consumer, reason="", now=when or on_day(-1, 15)
    )


def sampled() -> set[int]:
    return set(CallbackSample.objects.values_list("case_id", flat=True))


# --- The sample -----------------------------------------------------------------------------------


@pytest.mark.parametrize("share", [0.1, 0.35, 0.5])
def test_the_hash_keeps_the_share_asked_for(share):
    kept = sum(callback_selected(case_id, share) for case_id in range(1, 20_001))
    assert kept / 20_000 == pytest.approx(share, abs=0.01)


def test_a_share_of_zero_keeps_none_and_a_share_of_one_keeps_all():
    assert not any(callback_selected(case_id, 0.0) for case_id in range(1, 1001))
    assert all(callback_selected(case_id, 1.0) for case_id in range(1, 1001))


def test_the_choice_is_the_same_every_time():
    assert [callback_selected(n, 0.3) for n in range(200)] == [
        callback_selected(n, 0.3) for n in range(200)
    ]


@pytest.mark.parametrize(("setting", "share"), [(0.1, 0.1), (1, 1.0), (5, 1.0), (-1, 0.0)])
def test_the_share_setting_is_kept_between_none_and_all(settings, setting, share):
    settings.ODR_CALLBACK_SHARE = setting
    assert callback_share() == share


def test_the_default_share_is_one_in_ten():
    assert project_settings.ODR_CALLBACK_SHARE == 0.10


def test_the_sample_is_taken_once_when_the_task_runs_twice(settings, file_case):
    settings.ODR_CALLBACK_SHARE = 0.5
    cases = [closed(file_case) for _ in range(12)]
    expected = {case.pk for case in cases if callback_selected(case.pk, 0.5)}
    sample_callbacks.delay()
    assert sampled() == expected
    sample_callbacks.delay()
    assert sampled() == expected
    assert CallbackSample.objects.count() == len(expected)


def test_every_case_closed_the_day_before_is_sampled_when_the_share_is_all(settings, file_case):
    settings.ODR_CALLBACK_SHARE = 1.0
    yesterday = [closed(file_case, when=on_day(-1, h)) for h in (0, 12, 23)]
    closed(file_case, when=on_day(0, 0, 30))  # today: tomorrow night's sample
    sample_callbacks.delay()
    assert sampled() == {case.pk for case in yesterday}


def test_open_cases_are_never_sampled(settings, file_case):
    settings.ODR_CALLBACK_SHARE = 1.0
    file_case(now=on_day(-1, 10))
    assert callback_sample(now=on_day(0, 1, 30)) == 0
    assert sampled() == set()


def test_a_night_the_scheduler_missed_is_made_up_the_next_night(settings, file_case):
    settings.ODR_CALLBACK_SHARE = 1.0
    day_before_yesterday = closed(file_case, when=on_day(-2, 18))
    sample_callbacks.delay()  # tonight: the cases of the last two days
    assert sampled() == {day_before_yesterday.pk}


def test_each_case_goes_to_the_list_of_the_office_that_owns_it(settings, file_case, offices):
    settings.ODR_CALLBACK_SHARE = 1.0
    xiaodian, yingze = closed(file_case, "140105"), closed(file_case, "140106")
    callback_sample(now=on_day(0, 1, 30))
    owners = dict(CallbackSample.objects.values_list("case_id", "office_id"))
    assert owners == {xiaodian.pk: offices["140105"].pk, yingze.pk: offices["140106"].pk}


def test_the_nightly_sample_is_scheduled():
    entry = project_settings.CELERY_BEAT_SCHEDULE["sample-callbacks"]
    assert entry["task"] == "regulators.tasks.sample_callbacks"


# --- Recording the call ---------------------------------------------------------------------------


def test_the_officer_records_the_call_on_the_case_page(client, file_case, olivia):
    case = closed(file_case)
    sign_in(client, olivia)
    response = client.post(
        reverse("cases:act", args=[case.number, "record_callback"]),
        {
            "record_callback-satisfaction": "dissatisfied",
            "record_callback-outcome_real": "false",
            "record_callback-note": "退款未到账",
        },
    )
    assert response.status_code == 302
    visit = CallbackVisit.objects.get(case=case)
    assert (visit.satisfaction, visit.outcome_real, visit.satisfied) == (
        "dissatisfied",
        False,
        False,
    )
    event = case.events.order_by("-seq").first()
    with translation.override("en"):
        words = render_to_string("cases/_event_text.html", {"event": event}).strip()
    assert words == (
        "Callback visit: the consumer is dissatisfied. "
        "The consumer says the outcome recorded is not real."
    )
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 200


@pytest.mark.parametrize(
    ("level", "satisfied"),
    [("very_satisfied", True), ("satisfied", True), ("dissatisfied", False), ("", None)],
)
def test_the_scale_decides_whether_the_consumer_is_satisfied(file_case, olivia, level, satisfied):
    case = closed(file_case)
    visit = case_services.callback_record(
        case=case, actor=olivia, satisfaction=level, outcome_real=True, now=on_day(0, 10)
    )
    assert (visit.satisfaction, visit.satisfied, visit.outcome_real) == (level, satisfied, True)
    event = case.events.order_by("-seq").first()
    assert event.data["satisfaction"] == level and event.internal


def test_a_level_off_the_scale_is_refused(file_case, olivia):
    with pytest.raises(ValidationFailed):
        case_services.callback_record(
            case=closed(file_case), actor=olivia, satisfaction="ecstatic", now=on_day(0, 10)
        )


def test_a_supervising_office_sees_the_case_but_only_the_owning_office_records(file_case, sam):
    with pytest.raises(ActionNotAllowed):
        case_services.callback_record(
            case=closed(file_case), actor=sam, satisfaction="satisfied", now=on_day(0, 10)
        )


# --- The list -------------------------------------------------------------------------------------


@pytest.fixture
def lists(settings, file_case, offices):
    """One sampled case in Xiaodian, one in Yingze."""
    settings.ODR_CALLBACK_SHARE = 1.0
    cases = {"140105": closed(file_case, "140105"), "140106": closed(file_case, "140106")}
    callback_sample(now=on_day(0, 1, 30))
    return cases


def listed(client, **params) -> set[str]:
    return {sample.case.number for sample in client.get(LIST, params).context["page"].rows}


@pytest.mark.parametrize(
    ("persona", "regions"),
    [("olivia", {"140105"}), ("yves", {"140106"}), ("sam", {"140105", "140106"})],
)
def test_officers_see_their_office_list_and_supervisors_the_subtree(
    client, lists, persona, regions, request
):
    sign_in(client, request.getfixturevalue(persona))
    assert listed(client) == {lists[region].number for region in regions}


def test_an_officer_of_the_province_office_sees_only_its_own_list(client, lists, offices):
    province = f.RegulatorMembershipFactory(office=offices["140000"]).user
    sign_in(client, province)
    assert listed(client) == set()


def test_a_case_called_back_moves_from_to_call_to_called_back(client, lists, olivia):
    case = lists["140105"]
    sign_in(client, olivia)
    assert listed(client) == {case.number}
    case_services.callback_record(
        case=case, actor=olivia, satisfaction="very_satisfied", outcome_real=True
    )
    assert listed(client) == set()
    response = client.get(LIST, {"state": "done"})
    [row] = response.context["page"].rows
    assert (row.satisfaction, row.outcome_real) == ("very_satisfied", True)
    assert listed(client, state="all") == {case.number}


def test_the_list_shows_the_consumers_phone_and_is_audited(client, lists, olivia):
    case = lists["140105"]
    sign_in(client, olivia)
    body = client.get(LIST).content.decode()
    assert case.contact_phone in body or case.consumer.phone in body
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.CONTACT_UNMASKED).latest("pk")
    assert (entry.actor, entry.detail["cases"]) == (olivia, [case.number])


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_consumers_and_merchants_get_not_found(client, persona, request, offices):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_list_is_paged_latest_closed_first(settings, client, file_case, olivia):
    settings.ODR_CALLBACK_SHARE = 1.0
    cases = [closed(file_case, when=on_day(-1, 8, minute)) for minute in range(27)]
    callback_sample(now=on_day(0, 1, 30))
    sign_in(client, olivia)
    first = client.get(LIST).context["page"]
    newest_first = [case.number for case in reversed(cases)]
    assert [s.case.number for s in first.rows] == newest_first[:25]
    second = client.get(LIST, {"state": "pending", "after": first.next_cursor}).context["page"]
    assert [s.case.number for s in second.rows] == newest_first[25:]


@pytest.mark.parametrize("cases", [1, 12])
def test_the_list_runs_a_fixed_number_of_queries(
    settings, client, file_case, sam, yves, cases, django_assert_num_queries
):
    settings.ODR_CALLBACK_SHARE = 1.0
    made = [closed(file_case, "140105" if i % 2 else "140106") for i in range(cases)]
    callback_sample(now=on_day(0, 1, 30))
    case_services.callback_record(case=made[0], actor=yves, satisfaction="satisfied")
    sign_in(client, sam)
    # Session, user with its role rows, the office and the second factor (4); the subtree's
    # offices, the page with each case's latest call, the audit entry (3).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(8):
        response = client.get(LIST, {"state": "all"})
    assert len(response.context["page"].rows) == cases
