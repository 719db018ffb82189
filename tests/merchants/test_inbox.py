"""The merchant's inbox (product §3): the merchant's cases by the deadline it must meet, filters,
search, counts per status, keyset pages, bulk acknowledgement; a fixed number of queries."""

from datetime import timedelta

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, Status
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in

HOME = reverse("merchants:home")
BULK = reverse("merchants:acknowledge_many")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


def numbers(response) -> list[str]:
    return [row["case"].number for row in response.context["rows"]]


def walk(client, url: str) -> list[str]:
    """Every case number over every page of the inbox at ``url``."""
    seen = []
    while url:
        response = client.get(url)
        seen += numbers(response)
        cursor = response.context["page"].next_cursor
        joiner = "&" if "?" in url.split("after=")[0] else "?"
        url = f"{url.split('after=')[0].rstrip('&?')}{joiner}after={cursor}" if cursor else None
    return seen


@pytest.fixture
def staff(client, mallory):
    sign_in(client, mallory)
    return mallory


@pytest.mark.parametrize("cases", [30, 90])
def test_the_inbox_runs_a_fixed_number_of_queries(
    client, file_case, staff, alice, cases, django_assert_num_queries
):
    for _ in range(cases):
        file_case(consumer=f.ConsumerFactory())
    file_case(merchant=f.MerchantFactory())  # another merchant's
    closed = file_case()
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 9))
    # Session, user with its role rows, the merchant (3), the page, the counts (2); the calendar
    # is this process's copy. A page that runs past the cases with a deadline into those
    # without takes one more.
    with django_assert_num_queries(7):  # 7th: the navigation's unread notifications
        response = client.get(HOME)
    assert len(response.context["rows"]) == min(cases, 25)


def test_open_cases_come_by_the_merchants_deadline_soonest_first_as_counted_for_wed_4_march(
    wed_4_march, client, file_case, staff, alice
):
    late = file_case(now=at(2026, 3, 3, 9))
    early = file_case(now=at(2026, 3, 2, 9))
    closed = file_case(now=at(2026, 3, 2, 8))
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 10))
    file_case(merchant=f.MerchantFactory())
    response = client.get(HOME)
    assert numbers(response) == [early.number, late.number]
    # Settle by: 10 working days after the filing day; counted and worded as everywhere.
    assert "3月16日 23:59，还剩 9 个工作日（含今天）" in response.content.decode()


def test_every_page_follows_the_last_without_gaps_or_repeats(client, file_case, staff, olivia):
    filed = [file_case(now=at(2026, 3, 2, 8) + timedelta(minutes=m)) for m in range(30)]
    # Cases where the merchant holds no deadline come after the others.
    escalated = filed[:3]
    for case in escalated:
        services.case_acknowledge(case=case, actor=staff, now=at(2026, 3, 3, 9))
        services.case_decline(case=case, actor=staff, reason="不同意", now=at(2026, 3, 3, 10))
    rest = [c.number for c in filed[3:]]
    assert walk(client, HOME) == rest + [c.number for c in escalated]


def test_consumers_are_masked_unless_they_consented(client, file_case, staff, alice):
    file_case()
    file_case(consent_contact=True)
    names = [row["consumer"] for row in client.get(HOME).context["rows"]]
    assert sorted(names) == sorted(["王**", "王爱丽"])


def test_filters_and_search(client, file_case, staff, alice):
    fresh = file_case(order_reference="JD-777")
    taken = file_case()
    services.case_acknowledge(case=taken, actor=staff, now=at(2026, 3, 3, 9))
    assert numbers(client.get(HOME, {"unacknowledged": "1"})) == [fresh.number]
    assert numbers(client.get(HOME, {"status": "negotiating"})) == [taken.number]
    assert numbers(client.get(HOME, {"q": "JD-777"})) == [fresh.number]
    assert numbers(client.get(HOME, {"q": taken.number.lower()})) == [taken.number]
    assert numbers(client.get(HOME, {"status": "not-a-status"})) != []  # ignored, all open


def test_due_soon_and_overdue_as_counted_for_wed_4_march(
    wed_4_march, client, file_case, staff, time_machine
):
    soon = file_case(now=at(2026, 2, 20, 9))  # settle by Fri 03-06, 3 working days from 03-04
    later = file_case(now=at(2026, 3, 3, 9))
    late_ack = file_case(now=at(2026, 2, 26, 9))  # acknowledgement was due 03-02
    Case.objects.filter(pk=late_ack.pk).update(acknowledge_late=True)
    time_machine.move_to(at(2026, 3, 5, 10), tick=False)  # Thu: Fri 03-06 is due soon
    assert numbers(client.get(HOME, {"due": "soon"})) == [soon.number]
    assert numbers(client.get(HOME, {"due": "overdue"})) == [late_ack.number]
    assert later.number in numbers(client.get(HOME))


def test_counts_per_status_and_what_needs_attention(client, file_case, staff, alice):
    file_case()
    file_case()
    taken = file_case()
    services.case_acknowledge(case=taken, actor=staff, now=at(2026, 3, 3, 9))
    counts = client.get(HOME).context["counts"]
    by_status = {s: n for s, _, n in counts["by_status"]}
    assert by_status["submitted"] == 2 and by_status["negotiating"] == 1
    assert counts["open"] == 3 and counts["unacknowledged"] == 2


def test_bulk_acknowledge_reports_each_case_it_could_not_acknowledge(
    client, file_case, staff, alice, bob
):
    one, two, gone = file_case(), file_case(), file_case()
    services.case_withdraw(case=gone, actor=alice, reason="", now=at(2026, 3, 3, 9))
    foreign = file_case(consumer=bob, merchant=f.MerchantFactory())
    response = client.post(
        BULK, {"case": [one.number, two.number, gone.number, foreign.number]}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert Case.objects.get(pk=one.pk).status == Status.NEGOTIATING
    assert Case.objects.get(pk=two.pk).status == Status.NEGOTIATING
    assert any(gone.number in t and "已办结" in t for t in texts), texts
    assert any(foreign.number in t for t in texts)
    assert Case.objects.get(pk=foreign.pk).status == Status.SUBMITTED
    for case in (one, two):
        assert case.events.filter(type=CaseEvent.Type.ACKNOWLEDGED, actor=staff).count() == 1


def test_bulk_acknowledge_goes_back_only_to_a_page_of_this_site(client, file_case, staff):
    case = file_case()
    response = client.post(BULK, {"case": [case.number], "next": "https://evil.example/"})
    assert response.url == HOME


def test_another_merchants_staff_see_only_their_own_cases(client, file_case, trent):
    file_case()
    sign_in(client, trent)
    assert numbers(client.get(HOME)) == []


@pytest.mark.parametrize("persona", ["alice", "sam"])
def test_people_who_are_not_merchant_staff_have_no_inbox(client, persona, request, file_case):
    case = file_case()
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(HOME).status_code == 404
    assert client.post(BULK, {"case": [case.number]}).status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(HOME).url.startswith(reverse("account_login"))
