"""My cases (product §2): newest first, open or closed, each with its next deadline, in pages
found by keyset; a fixed number of queries however many cases."""

import pytest
from django.urls import reverse

from cases import services
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in

HOME = reverse("consumers:home")


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


@pytest.mark.parametrize("rows", [1, 40])
def test_home_query_count_does_not_grow_with_the_cases(
    client, file_case, alice, bob, rows, django_assert_num_queries
):
    for i in range(rows):
        # Each against another merchant, half of them not onboarded (filed with the regulator).
        file_case(merchant=f.MerchantFactory(odr_status="active" if i % 2 else "not_onboarded"))
    file_case(consumer=bob)
    sign_in(client, alice)
    # Session, user with its role rows (2), the cases (the working-day calendar is this
    # process's copy).
    with django_assert_num_queries(4):  # 4th: the navigation's unread notifications
        response = client.get(HOME)
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(rows, 20)


def test_my_cases_show_the_next_deadline_with_working_days_left_as_counted_for_wed_4_march(
    client, file_case, alice, wed_4_march
):
    case = file_case()
    sign_in(client, alice)
    body = client.get(HOME).content.decode()
    assert case.number in body
    # Filed Mon 2026-03-02; the clock stands at Wed 2026-03-04 10:00; acknowledgement is due
    # 2 working days after the filing day: Wed 03-04 23:59, today included.
    assert "签收期限" in body or "Acknowledge by" in body
    assert "3月4日 23:59，还剩 1 个工作日（含今天）" in body


def test_pages_follow_newest_first_without_gaps_or_repeats(client, file_case, alice):
    numbers = [file_case(now=at(2026, 3, 2, 9, minute)).number for minute in range(45)]
    sign_in(client, alice)
    seen, url = [], HOME
    while url:
        response = client.get(url)
        seen += [row["case"].number for row in response.context["rows"]]
        cursor = response.context["page"].next_cursor
        url = f"{HOME}?after={cursor}" if cursor else None
    assert seen == list(reversed(numbers))


def test_open_and_closed_filters(client, file_case, alice):
    open_case = file_case()
    closed = file_case()
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 9))
    sign_in(client, alice)
    shown = {
        name: [r["case"].number for r in client.get(f"{HOME}?show={name}").context["rows"]]
        for name in ("open", "closed")
    }
    assert shown == {"open": [open_case.number], "closed": [closed.number]}


def test_a_cursor_that_does_not_decode_shows_the_first_page(client, file_case, alice):
    case = file_case()
    sign_in(client, alice)
    response = client.get(f"{HOME}?after=not-a-cursor!!")
    assert response.status_code == 200
    assert [r["case"].number for r in response.context["rows"]] == [case.number]


def test_other_consumers_cases_are_not_listed(client, file_case, alice, bob):
    file_case(consumer=bob)
    sign_in(client, alice)
    assert client.get(HOME).context["rows"] == []


@pytest.mark.parametrize("persona", ["mallory", "sam"])
def test_only_consumers_have_a_case_list_here(client, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(HOME).status_code == 404
