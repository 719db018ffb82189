"""Abnormal complainants (product §6, issue 10 item 7): consumers with many complaints in twelve
months or against many merchants, and complaints merchants flagged as suspected profit-seeking,
listed for the regulator with the evidence; only a regulator decides, and the decision is kept."""

import pytest
from django.urls import reverse

from core.errors import ActionNotAllowed, ValidationFailed
from core.models import AuditEntry
from odr import settings as odr_settings
from regulators.models import ComplainantFlag, ComplainantReview
from regulators.selectors import complainant_reviews
from regulators.services import complainant_flag, complainant_review
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in

LIST = reverse("regulators:complainants")


@pytest.fixture(autouse=True)
def _frozen(time_machine, settings):
    """The suite's instant, standing still (twelve months back from it); small thresholds for
    small fixtures."""
    time_machine.move_to(TEST_NOW, tick=False)
    settings.ODR_ABNORMAL_COMPLAINTS = 3
    settings.ODR_ABNORMAL_MERCHANTS = 2


def detail(consumer) -> str:
    return reverse("regulators:complainant", args=[consumer.pk])


def flag_url(case) -> str:
    return reverse("regulators:complaint_flag", args=[case.number])


@pytest.fixture
def crowd(file_case, acme, mallory):
    """Who files what, all in Xiaodian unless said otherwise."""
    other = f.MerchantFactory()
    people = {
        name: f.ConsumerFactory(name=name) for name in ("多投", "多家", "被标记", "普通", "迎泽")
    }
    for day in (2, 3, 4):  # three complaints against Acme
        file_case(consumer=people["多投"], now=at(2026, 2, day, 10), claim=f"十倍赔偿 {day}")
    file_case(consumer=people["多投"], now=at(2025, 1, 5, 10))  # more than twelve months ago
    file_case(consumer=people["多家"], now=at(2026, 2, 5, 10))  # two merchants
    file_case(consumer=people["多家"], merchant=other, now=at(2026, 2, 6, 10))
    flagged = file_case(consumer=people["被标记"], now=at(2026, 2, 7, 10), claim="假一赔十")
    complainant_flag(case=flagged, actor=mallory, reason="同一批货反复投诉", now=at(2026, 2, 8, 9))
    file_case(consumer=people["普通"], now=at(2026, 2, 9, 10))
    yingze = f.MerchantFactory(region_code="140106")
    for day in (10, 11, 12):
        file_case(consumer=people["迎泽"], merchant=yingze, now=at(2026, 2, day, 10))
    return people


def listed(client) -> dict[str, tuple]:
    rows = client.get(LIST).context["page"].rows
    return {c.name: (c.complaints, c.merchants, c.flagged) for c in rows}


# --- The list -------------------------------------------------------------------------------------


def test_the_list_singles_out_many_complaints_many_merchants_and_flags(client, crowd, olivia):
    sign_in(client, olivia)
    assert listed(client) == {"多投": (3, 1, 0), "多家": (2, 2, 0), "被标记": (1, 1, 1)}


def test_the_most_complaints_come_first(client, crowd, olivia):
    sign_in(client, olivia)
    rows = client.get(LIST).context["page"].rows
    assert rows[0].name == "多投"


@pytest.mark.parametrize(
    ("persona", "names"),
    [("yves", {"迎泽"}), ("sam", {"多投", "多家", "被标记", "迎泽"})],
)
def test_each_office_sees_the_complainants_of_its_subtree(client, crowd, persona, names, request):
    sign_in(client, request.getfixturevalue(persona))
    assert set(listed(client)) == names


def test_the_thresholds_are_settings(client, crowd, olivia, settings):
    settings.ODR_ABNORMAL_COMPLAINTS = 20
    settings.ODR_ABNORMAL_MERCHANTS = 10
    sign_in(client, olivia)
    assert set(listed(client)) == {"被标记"}


def test_the_default_thresholds():
    assert (odr_settings.ODR_ABNORMAL_COMPLAINTS, odr_settings.ODR_ABNORMAL_MERCHANTS) == (20, 10)


# --- Merchants flag complaints --------------------------------------------------------------------


def test_merchant_staff_flag_a_complaint_with_a_reason(client, file_case, mallory, acme):
    case = file_case()
    sign_in(client, mallory)
    assert client.get(flag_url(case)).status_code == 200
    response = client.post(flag_url(case), {"reason": "职业索赔，已在多地投诉"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    flag = ComplainantFlag.objects.get()
    assert (flag.case, flag.merchant, flag.flagged_by) == (case, acme, mallory)
    again = client.get(flag_url(case))
    assert again.context["flag"] == flag


def test_a_flag_needs_a_reason(client, file_case, mallory):
    case = file_case()
    sign_in(client, mallory)
    response = client.post(flag_url(case), {"reason": " "})
    assert response.status_code == 422
    assert response.context["form"].errors["reason"]
    assert not ComplainantFlag.objects.exists()


def test_a_complaint_is_flagged_once(file_case, mallory):
    case = file_case()
    complainant_flag(case=case, actor=mallory, reason="理由")
    with pytest.raises(ValidationFailed):
        complainant_flag(case=case, actor=mallory, reason="再次")
    assert ComplainantFlag.objects.count() == 1


@pytest.mark.parametrize("persona", ["trent", "olivia", "alice"])
def test_only_the_merchant_complained_about_flags(client, file_case, persona, request):
    case = file_case()
    person = request.getfixturevalue(persona)
    with pytest.raises(ActionNotAllowed):
        complainant_flag(case=case, actor=person, reason="理由")
    sign_in(client, person)
    assert client.get(flag_url(case)).status_code == 404
    assert client.post(flag_url(case), {"reason": "理由"}).status_code == 404
    assert not ComplainantFlag.objects.exists()


# --- The evidence and the decision ----------------------------------------------------------------


def test_the_complainant_page_shows_the_evidence(client, crowd, olivia, acme):
    sign_in(client, olivia)
    response = client.get(detail(crowd["被标记"]))
    assert response.status_code == 200
    assert response.context["summary"] == {"complaints": 1, "merchants": 1, "flagged": 1}
    body = response.content.decode()
    assert "假一赔十" in body and acme.name in body and "同一批货反复投诉" in body
    response = client.get(detail(crowd["多投"]))
    assert [c.claim for c in response.context["page"].rows] == [
        "十倍赔偿 4",
        "十倍赔偿 3",
        "十倍赔偿 2",
    ]


def test_opening_a_complainant_is_audited(client, crowd, olivia):
    sign_in(client, olivia)
    client.get(detail(crowd["多投"]))
    entry = AuditEntry.objects.filter(target_type="complainant").get()
    assert (entry.actor, entry.action) == (olivia, AuditEntry.Action.CONTACT_UNMASKED)


def test_a_regulator_records_the_decision_with_a_reason(client, crowd, olivia):
    consumer = crowd["多投"]
    sign_in(client, olivia)
    response = client.post(
        detail(consumer), {"decision": "abnormal", "reason": "同类索赔，按职业索赔处理"}
    )
    assert response.status_code == 302
    review = ComplainantReview.objects.get()
    assert (review.consumer, review.reviewer, review.office.region_code, review.decision) == (
        consumer,
        olivia,
        "140105",
        "abnormal",
    )
    row = next(r for r in client.get(LIST).context["rows"] if r["consumer"] == consumer)
    assert row["reviews"] == [review]


def test_a_later_decision_supersedes_and_both_are_kept(crowd, olivia, sam):
    consumer = crowd["多家"]
    first = complainant_review(
        consumer=consumer, actor=olivia, decision="abnormal", reason="a", now=at(2026, 3, 4, 9)
    )
    second = complainant_review(
        consumer=consumer, actor=sam, decision="not_abnormal", reason="b", now=at(2026, 3, 4, 10)
    )
    assert complainant_reviews(first.office, [consumer.pk]) == {consumer.pk: [second, first]}


def test_a_decision_needs_a_reason_and_a_known_decision(client, crowd, olivia):
    consumer = crowd["多投"]
    sign_in(client, olivia)
    response = client.post(detail(consumer), {"decision": "abnormal", "reason": ""})
    assert response.status_code == 422 and response.context["form"].errors["reason"]
    with pytest.raises(ValidationFailed):
        complainant_review(consumer=consumer, actor=olivia, decision="ban", reason="理由")
    assert not ComplainantReview.objects.exists()


def test_only_a_regulator_decides(crowd, mallory, alice):
    for person in (mallory, alice):
        with pytest.raises(ActionNotAllowed):
            complainant_review(
                consumer=crowd["多投"], actor=person, decision="abnormal", reason="理由"
            )


# --- Permissions ----------------------------------------------------------------------------------


def test_a_county_office_cannot_see_or_decide_on_its_siblings_complainant(client, crowd, yves):
    consumer = crowd["多投"]
    with pytest.raises(ActionNotAllowed):
        complainant_review(consumer=consumer, actor=yves, decision="abnormal", reason="理由")
    sign_in(client, yves)
    assert client.get(detail(consumer)).status_code == 404
    response = client.post(detail(consumer), {"decision": "abnormal", "reason": "理由"})
    assert response.status_code == 404
    assert not ComplainantReview.objects.exists()


def test_the_supervising_office_sees_and_decides(client, crowd, sam):
    sign_in(client, sam)
    assert client.get(detail(crowd["多投"])).status_code == 200
    response = client.post(detail(crowd["多投"]), {"decision": "not_abnormal", "reason": "正常"})
    assert response.status_code == 302


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_consumers_and_merchants_get_not_found(client, crowd, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 404
    assert client.get(detail(crowd["多投"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, crowd, file_case):
    case = file_case()
    for url in (LIST, detail(crowd["多投"]), flag_url(case)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("consumers", [1, 8])
def test_the_list_runs_a_fixed_number_of_queries(
    client, file_case, sam, olivia, consumers, django_assert_num_queries
):
    for _ in range(consumers):
        consumer = f.ConsumerFactory()
        for day in (2, 3, 4):
            file_case(consumer=consumer, now=at(2026, 2, day, 10))
        complainant_review(consumer=consumer, actor=olivia, decision="abnormal", reason="理由")
    sign_in(client, sam)
    # Session, user with its role rows, the office and the second factor (4); the subtree's
    # offices, the page, the decisions on its complainants, the audit entry naming the people
    # listed (4). +1: the navigation's unread notifications.
    with django_assert_num_queries(9):
        response = client.get(LIST)
    assert len(response.context["rows"]) == consumers
    [entry] = AuditEntry.objects.filter(target_type="complainant_list")
    assert (entry.actor, entry.action) == (sam, AuditEntry.Action.CONTACT_UNMASKED)
    assert len(entry.detail["complainants"]) == consumers


@pytest.mark.parametrize("cases", [1, 10])
def test_the_complainant_page_runs_a_fixed_number_of_queries(
    client, file_case, olivia, mallory, cases, django_assert_num_queries
):
    consumer = f.ConsumerFactory()
    for day in range(1, cases + 1):
        case = file_case(consumer=consumer, now=at(2026, 2, day, 10))
        complainant_flag(case=case, actor=mallory, reason="理由")
    sign_in(client, olivia)
    # Session, user with its role rows, the office and the second factor (4); the complainant,
    # the subtree's offices, the page of cases with the flags, the audit entry, the counts, the
    # decisions (6). +1: the navigation's unread notifications.
    with django_assert_num_queries(11):
        response = client.get(detail(consumer))
    assert len(response.context["page"].rows) == cases
