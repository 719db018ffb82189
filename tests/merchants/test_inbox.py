"""The merchant's inbox (product §3): the merchant's cases by the deadline it must meet, filters,
search, counts per status, keyset pages, bulk acknowledgement; a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, Status
from cases.sweep import sweep_deadlines
from merchants.selectors import DUE_SOON_WORKING_DAYS
from tests import factories as f
from tests.conftest import TEST_NOW, TODAY, at, on_day, sign_in

HOME = reverse("merchants:home")
BULK = reverse("merchants:acknowledge_many")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


def numbers(response) -> list[str]:
    return [row["case"].number for row in response.context["rows"]]


def deadline_text(response, number: str) -> str:
    """The deadline cell of case ``number`` as read on the page (tags dropped)."""
    html = response.content.decode()
    row = re.search(rf'<tr data-case="{number}">(.*?)</tr>', html, re.S).group(1)
    cell = re.search(r'data-testid="deadline">(.*?)</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def shows(response, number: str, name: str, *wording: str) -> None:
    """The deadline cell of case ``number`` names the deadline ``name`` and words its date and
    days left with ``wording`` (as on every page)."""
    text = deadline_text(response, number)
    assert text.startswith(f"{name} ") and all(w in text for w in wording), text


def tab_text(response, status: str) -> str:
    """The status tab of ``status`` ("" for the open cases) as read on the page."""
    html = response.content.decode()
    href = f'href="?status={status}"' if status else 'href="?"'
    tab = re.search(rf"{re.escape(href)}[^>]*>(.*?)</a>", html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", tab).split())


def deadlines(response) -> dict:
    return {row["case"].number: row["deadline"] for row in response.context["rows"]}


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
    # Session, user with its role rows, the merchant (3), the page (one query, also when it
    # runs past the cases with a deadline into those without), the counts (2); the calendar is
    # this process's copy.
    with django_assert_num_queries(7):  # 7th: the navigation's unread notifications
        response = client.get(HOME)
    assert len(response.context["rows"]) == min(cases, 25)


def test_open_cases_come_by_the_deadline_the_merchant_must_meet_next_as_counted_for_wed_4_march(
    wed_4_march, client, file_case, staff, alice
):
    taken = file_case(now=at(2026, 2, 27, 9))  # Fri
    services.case_acknowledge(case=taken, actor=staff, now=at(2026, 3, 2, 9))
    late = file_case(now=at(2026, 3, 3, 9))
    early = file_case(now=at(2026, 3, 2, 9))
    closed = file_case(now=at(2026, 3, 2, 8))
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 10))
    file_case(merchant=f.MerchantFactory())
    response = client.get(HOME)
    # Not acknowledged: acknowledge by the 2nd working day after the filing day, which comes
    # before the settlement deadline of the case acknowledged, though it was filed earlier.
    assert numbers(response) == [early.number, late.number, taken.number]
    shows(response, early.number, "签收期限", "3月4日 23:59，还剩 1 个工作日（含今天）")
    shows(response, late.number, "签收期限", "3月5日 23:59，还剩 2 个工作日（含今天）")
    # Acknowledged: settle by the 10th working day after Fri 02-27, Sat 02-28 (a make-up working
    # day) the first of them; Wed 03-04 to Thu 03-12 are 7 working days.
    shows(response, taken.number, "和解期限", "3月12日 23:59，还剩 7 个工作日（含今天）")


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


def test_due_soon_and_overdue_by_the_next_deadline_as_counted_for_wed_4_march(
    wed_4_march, client, file_case, staff, time_machine
):
    # Seen on Thu 03-05 10:00; "due soon" is Thu and Fri (2 working days, today included).
    time_machine.move_to(at(2026, 3, 5, 10), tick=False)
    settling = file_case(now=at(2026, 2, 20, 9))  # in the Spring Festival holiday
    services.case_acknowledge(case=settling, actor=staff, now=at(2026, 2, 24, 9))
    # Settle by the 10th working day after Fri 02-20: 02-24 to 02-28 (a make-up working day),
    # then 03-02 to 03-06: Fri 03-06, due soon.
    to_acknowledge = file_case(now=at(2026, 3, 3, 9))  # acknowledge by Thu 03-05: due soon
    filed_today = file_case(now=at(2026, 3, 5, 9))  # acknowledge by Mon 03-09: 3 days left
    missed = file_case(now=at(2026, 2, 26, 9))  # acknowledge by Sat 02-28 (make-up), missed
    sweep_deadlines()  # marks the acknowledgement late; settle by Wed 03-11: still open
    assert Case.objects.get(pk=missed.pk).status == Status.SUBMITTED
    assert numbers(client.get(HOME, {"due": "soon"})) == [to_acknowledge.number, settling.number]
    assert numbers(client.get(HOME, {"due": "overdue"})) == [missed.number]
    response = client.get(HOME)
    assert numbers(response) == [
        missed.number,
        to_acknowledge.number,
        settling.number,
        filed_today.number,
    ]
    shows(response, missed.number, "签收期限", "2月28日 23:59 到期", "已超期")
    shows(response, filed_today.number, "签收期限", "3月9日 23:59，还剩 3 个工作日（含今天）")
    counts = response.context["counts"]
    assert (counts["soon"], counts["overdue"], counts["unacknowledged"]) == (2, 1, 3)


def test_an_unacknowledged_case_shows_the_acknowledgement_deadline_then_the_settlement_one(
    client, file_case, staff
):
    case = file_case(now=on_day(-1, 9))  # filed yesterday: acknowledge within 2 working days
    response = client.get(HOME)
    shown = deadlines(response)[case.number]
    assert shown["key"] == "acknowledge" and shown["due_at"] == case.acknowledge_due_at
    assert not shown["overdue"] and shown["left"] == 2  # tomorrow, or the 2nd working day
    assert response.context["rows"][0]["can_acknowledge"]
    shows(response, case.number, "签收期限")
    assert numbers(client.get(HOME, {"due": "soon"})) == [case.number]
    counts = response.context["counts"]
    assert (counts["soon"], counts["overdue"]) == (1, 0)

    services.case_acknowledge(case=case, actor=staff)
    response = client.get(HOME)
    shown = deadlines(response)[case.number]
    case.refresh_from_db()
    assert shown["key"] == "settle" and shown["due_at"] == case.settle_due_at
    assert shown["left"] > DUE_SOON_WORKING_DAYS
    shows(response, case.number, "和解期限")
    assert numbers(client.get(HOME, {"due": "soon"})) == []
    assert response.context["counts"]["soon"] == 0


def test_due_soon_is_what_the_working_days_left_say(client, file_case, staff):
    filed = [file_case(now=on_day(-days, 9)) for days in range(5)]  # today, yesterday, …
    response = client.get(HOME)
    soon = set(numbers(client.get(HOME, {"due": "soon"})))
    overdue = set(numbers(client.get(HOME, {"due": "overdue"})))
    for case in filed:
        shown = deadlines(response)[case.number]
        assert shown["key"] == "acknowledge"
        assert (case.number in soon) == (
            not shown["overdue"] and shown["left"] <= DUE_SOON_WORKING_DAYS
        )
        assert (case.number in overdue) == shown["overdue"]
    counts = response.context["counts"]
    assert (counts["soon"], counts["overdue"]) == (len(soon), len(overdue))


def test_an_unacknowledged_case_past_its_acknowledgement_deadline_is_overdue_and_still_open(
    client, file_case, staff
):
    # A week ago: the acknowledgement deadline has passed, the settlement deadline has not.
    case = file_case(now=on_day(-7, 9))
    sweep_deadlines()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.acknowledge_late
    assert case.settle_due_at > TEST_NOW
    response = client.get(HOME)
    assert numbers(response) == [case.number]  # among the open cases
    row = response.context["rows"][0]
    assert row["deadline"]["key"] == "acknowledge" and row["deadline"]["overdue"]
    assert row["deadline"]["due_at"] == case.acknowledge_due_at
    assert row["can_acknowledge"]
    shows(response, case.number, "签收期限", "已超期")
    assert numbers(client.get(HOME, {"due": "overdue"})) == [case.number]
    assert numbers(client.get(HOME, {"due": "soon"})) == []
    counts = response.context["counts"]
    assert (counts["overdue"], counts["soon"], counts["unacknowledged"]) == (1, 0, 1)


def test_each_status_tab_shows_how_many_are_overdue(client, file_case, staff, alice):
    for _ in range(2):  # the acknowledgement missed
        file_case(consumer=f.ConsumerFactory(), now=on_day(-7, 9))
    file_case(now=on_day(0, 9))  # to acknowledge, in time
    talking = file_case(now=on_day(-1, 9))
    services.case_acknowledge(case=talking, actor=staff, now=on_day(-1, 10))
    # An agreement to be fulfilled by the day before yesterday, not marked fulfilled.
    agreed = file_case(now=on_day(-6, 9))
    services.offer_make(
        case=agreed,
        actor=staff,
        remedy="refund",
        amount="99.00",
        fulfil_by=TODAY - timedelta(days=2),
        text="退款 99 元",
        now=on_day(-6, 10),
    )
    services.offer_accept(case=agreed, actor=alice, now=on_day(-5, 9))
    sweep_deadlines()
    assert Case.objects.get(pk=agreed.pk).status == Status.SETTLED

    response = client.get(HOME)
    counts = response.context["counts"]
    by_status = {s: (n, late) for s, _, n, late in counts["by_status"]}
    assert by_status["submitted"] == (3, 2)
    assert by_status["negotiating"] == (1, 0)
    assert by_status["settled"] == (1, 1)
    assert counts["overdue"] == 3 and counts["open"] == 5
    assert tab_text(response, "") == "处理中 5 3 件已逾期"
    assert tab_text(response, "submitted").endswith("3 2 件已逾期")
    assert tab_text(response, "settled").endswith("1 1 件已逾期")
    assert "已逾期" not in tab_text(response, "negotiating")
    # The tab and the filter agree.
    submitted_late = numbers(client.get(HOME, {"status": "submitted", "due": "overdue"}))
    assert len(submitted_late) == 2


def test_counts_per_status_and_what_needs_attention(client, file_case, staff, alice):
    file_case()
    file_case()
    taken = file_case()
    services.case_acknowledge(case=taken, actor=staff, now=at(2026, 3, 3, 9))
    counts = client.get(HOME).context["counts"]
    by_status = {s: n for s, _, n, _late in counts["by_status"]}
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
