"""Each role's lists through the API: the same selectors as the portal pages, cursor pages with
neither gaps nor repeats, the inbox's filters, and a number of queries that does not grow."""

from datetime import timedelta

import pytest

from cases import services
from cases.sweep import sweep_deadlines
from tests import factories as f
from tests.conftest import at, on_day

MINE = "/api/v1/consumer/cases/"
INBOX = "/api/v1/merchant/inbox/"
COUNTS = "/api/v1/merchant/inbox/counts/"
INTAKE = "/api/v1/office/queues/intake/"
MEDIATION = "/api/v1/office/queues/mediation/"
REFERRALS = "/api/v1/office/referrals/"


def walk(client, url: str) -> list[str]:
    """Every case number over every page, following ``next``."""
    seen = []
    while url:
        body = client.get(url).json()
        seen += [row["number"] if "number" in row else row["case"] for row in body["results"]]
        url = body["next"]
    return seen


def escalate(case, merchant_user, consumer):
    now = at(2026, 3, 3, 9)
    services.case_acknowledge(case=case, actor=merchant_user, now=now)
    services.case_decline(case=case, actor=merchant_user, reason="不同意", now=now)
    services.case_escalate(case=case, actor=consumer, now=now)


def test_a_consumer_lists_their_own_cases_newest_first_in_pages(as_user, file_case, alice, bob):
    mine = [file_case(now=at(2026, 3, 2, 8) + timedelta(minutes=m)) for m in range(30)]
    file_case(consumer=bob)
    client = as_user(alice)
    first = client.get(MINE).json()
    assert len(first["results"]) == 25 and first["next_cursor"]
    assert walk(client, MINE) == [c.number for c in reversed(mine)]


def test_a_consumer_filters_open_or_closed(as_user, file_case, alice):
    open_case, closed = file_case(), file_case()
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 9))
    client = as_user(alice)
    assert walk(client, MINE + "?closed=true") == [closed.number]
    assert walk(client, MINE + "?closed=false") == [open_case.number]
    response = client.get(MINE + "?closed=maybe")
    assert response.status_code == 200  # not a yes or a no: no filter, as on the page


def test_the_inbox_by_the_merchants_next_deadline_with_filters_as_counted_for_wed_4_march(
    wed_4_march, bearer, acme_token, file_case, alice, mallory
):
    late = file_case(now=at(2026, 3, 3, 9), order_reference="JD-1")
    early = file_case(now=at(2026, 3, 2, 9))
    closed = file_case(now=at(2026, 3, 2, 8))
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 10))
    file_case(merchant=f.MerchantFactory())
    client = bearer(acme_token[1])
    assert walk(client, INBOX) == [early.number, late.number]
    assert walk(client, INBOX + "?status=closed") == [closed.number]
    assert walk(client, INBOX + "?q=JD-1") == [late.number]
    assert walk(client, INBOX + f"?q={early.number.lower()}") == [early.number]
    assert walk(client, INBOX + "?unacknowledged=true") == [early.number, late.number]
    assert walk(client, INBOX + "?due=overdue") == []
    # Not acknowledged: the deadline is the acknowledgement's, today (Mon 03-02 + 2 working
    # days) and tomorrow: both due soon.
    assert walk(client, INBOX + "?due=soon") == [early.number, late.number]
    row = client.get(INBOX).json()["results"][0]
    assert row["consumer"] == "王**" and row["can_acknowledge"] is True
    assert row["deadline"]["key"] == "acknowledge" and row["deadline"]["left"] == 1
    assert row["deadline"]["due_at"] == "2026-03-04T23:59:59+08:00"
    # Acknowledged: settle by Mon 03-16, 10 working days after the filing day; 9 are left.
    services.case_acknowledge(case=early, actor=mallory, now=at(2026, 3, 4, 9))
    assert walk(client, INBOX) == [late.number, early.number]
    row = client.get(INBOX).json()["results"][1]
    assert row["can_acknowledge"] is False
    assert row["deadline"]["key"] == "settle" and row["deadline"]["left"] == 9
    assert walk(client, INBOX + "?due=soon") == [late.number]
    bad = client.get(INBOX + "?status=lost")
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    assert bad.json()["code"] == "invalid_choice"


def test_the_inbox_counts(bearer, acme_token, file_case, alice):
    file_case()
    closed = file_case()
    services.case_withdraw(case=closed, actor=alice, reason="", now=at(2026, 3, 3, 10))
    counts = bearer(acme_token[1]).get(COUNTS).json()
    assert counts["open"] == 1 and counts["unacknowledged"] == 1
    assert {"status": "closed", "count": 1, "overdue": 0} in counts["by_status"]


def test_an_unacknowledged_case_past_its_acknowledgement_deadline_counts_as_overdue(
    bearer, acme_token, file_case
):
    missed = file_case(consumer=f.ConsumerFactory(), now=on_day(-7, 9))
    fresh = file_case(now=on_day(-1, 9))  # acknowledge within 2 working days: due soon
    sweep_deadlines()  # the acknowledgement is marked late; the case stays with the merchant
    client = bearer(acme_token[1])
    counts = client.get(COUNTS).json()
    assert {"status": "submitted", "count": 2, "overdue": 1} in counts["by_status"]
    assert (counts["open"], counts["overdue"], counts["soon"]) == (2, 1, 1)
    assert walk(client, INBOX + "?due=overdue") == [missed.number]
    assert walk(client, INBOX + "?due=soon") == [fresh.number]
    rows = {row["number"]: row for row in client.get(INBOX).json()["results"]}
    assert rows[missed.number]["status"] == "submitted"
    assert rows[missed.number]["deadline"]["key"] == "acknowledge"
    assert rows[missed.number]["deadline"]["overdue"] is True
    assert rows[missed.number]["can_acknowledge"] is True
    assert rows[fresh.number]["deadline"]["key"] == "acknowledge"
    assert rows[fresh.number]["deadline"]["overdue"] is False


def test_office_queues_cover_the_office_subtree(
    as_user, file_case, mallory, alice, olivia, sam, yves, offices
):
    intake = file_case()
    escalate(intake, mallory, alice)
    mediated = file_case()
    escalate(mediated, mallory, alice)
    services.case_accept(case=mediated, actor=olivia, now=at(2026, 3, 3, 10))
    services.referral_open(case=mediated, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 11))
    for person in (olivia, sam):  # the owning office, and the city office above it
        client = as_user(person)
        assert walk(client, INTAKE) == [intake.number]
        assert walk(client, MEDIATION) == [mediated.number]
        assert walk(client, REFERRALS) == [mediated.number]
    yingze = as_user(yves)
    assert walk(yingze, INTAKE) == walk(yingze, MEDIATION) == walk(yingze, REFERRALS) == []
    row = as_user(olivia).get(INTAKE).json()["results"][0]
    assert row["office"]["id"] == offices["140105"].pk and row["overdue"] is False


@pytest.mark.parametrize(
    ("url", "owners"),
    [
        (MINE, {"alice", "bob"}),
        (INBOX, {"mallory", "trent"}),
        (COUNTS, {"mallory", "trent"}),
        (INTAKE, {"olivia", "sam", "yves"}),
        (MEDIATION, {"olivia", "sam", "yves"}),
        (REFERRALS, {"olivia", "sam", "yves"}),
    ],
)
def test_a_list_of_another_role_is_not_found(as_user, request, url, owners):
    for persona in ("alice", "bob", "mallory", "trent", "olivia", "sam", "yves"):
        response = as_user(request.getfixturevalue(persona)).get(url)
        assert response.status_code == (200 if persona in owners else 404), persona


def _many(file_case, rows: int, **kw):
    for _ in range(rows):
        file_case(consumer=f.ConsumerFactory(), **kw)


@pytest.mark.parametrize("rows", [2, 30])
def test_my_cases_take_a_fixed_number_of_queries(
    as_user, file_case, alice, rows, django_assert_num_queries
):
    for _ in range(rows):
        file_case()
    client = as_user(alice)
    # Session, user with its role rows (2); the page (1).
    with django_assert_num_queries(3):
        assert client.get(MINE).status_code == 200


@pytest.mark.parametrize("rows", [26, 60])
def test_the_inbox_takes_a_fixed_number_of_queries(
    bearer, acme_token, file_case, rows, django_assert_num_queries
):
    _many(file_case, rows)
    client = bearer(acme_token[1])
    client.get(COUNTS)  # the token's last use is written once a minute, not here
    # The token with its user and role rows, the merchant (2); the page (one query, also when it
    # runs past the cases with a deadline into those without), its offices (2); the calendar is
    # this process's copy.
    with django_assert_num_queries(4):
        assert client.get(INBOX).status_code == 200


@pytest.mark.parametrize("rows", [2, 30])
def test_the_intake_queue_takes_a_fixed_number_of_queries(
    as_user, file_case, mallory, rows, olivia, django_assert_num_queries
):
    for _ in range(rows):
        consumer = f.ConsumerFactory()
        escalate(file_case(consumer=consumer), mallory, consumer)
    client = as_user(olivia)
    # Session, user with its role rows, the second-factor check (3); the office, its subtree,
    # the page (3).
    with django_assert_num_queries(6):
        assert client.get(INTAKE).status_code == 200


@pytest.mark.parametrize("rows", [2, 30])
def test_the_case_page_takes_a_fixed_number_of_queries_whatever_the_thread(
    bearer, acme_token, file_case, alice, rows, django_assert_num_queries
):
    case = file_case()
    for n in range(rows):
        services.case_post_message(case=case, actor=alice, body=f"消息 {n}", now=at(2026, 3, 3, 9))
    client = bearer(acme_token[1])
    client.get(COUNTS)
    # The token with its user and role rows, the case (2); the open offer (1; the calendar is
    # this process's copy); the thread and its messages (2).
    with django_assert_num_queries(5):
        assert client.get(f"/api/v1/cases/{case.number}/").status_code == 200


def _mediated(file_case, mallory, olivia, rows: int) -> list:
    """``rows`` cases escalated by their consumers and accepted by Xiaodian's officer."""
    cases = []
    for _ in range(rows):
        consumer = f.ConsumerFactory()
        case = file_case(consumer=consumer)
        escalate(case, mallory, consumer)
        cases.append(services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 10)))
    return cases


@pytest.mark.parametrize("rows", [1, 8])
def test_the_mediation_queue_takes_a_fixed_number_of_queries(
    as_user, file_case, mallory, olivia, sam, rows, django_assert_num_queries
):
    cases = _mediated(file_case, mallory, olivia, rows)
    client = as_user(sam)
    # Session, user with its role rows, the second-factor check (3); the office, its subtree,
    # the page with each case's office (3).
    with django_assert_num_queries(6):
        response = client.get(MEDIATION)
    assert response.status_code == 200
    assert sorted(row["number"] for row in response.json()["results"]) == sorted(
        c.number for c in cases
    )


@pytest.mark.parametrize("rows", [1, 8])
def test_the_referrals_take_a_fixed_number_of_queries(
    as_user, file_case, mallory, olivia, sam, rows, django_assert_num_queries
):
    cases = _mediated(file_case, mallory, olivia, rows)
    for case in cases:
        services.referral_open(case=case, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 11))
    client = as_user(sam)
    # Session, user with its role rows, the second-factor check (3); the office, its subtree,
    # the page of referrals with their cases and offices (3).
    with django_assert_num_queries(6):
        response = client.get(REFERRALS)
    assert response.status_code == 200
    assert sorted(row["case"] for row in response.json()["results"]) == sorted(
        c.number for c in cases
    )
