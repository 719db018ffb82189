"""Case pages from the outside: who can open what (product §2) and public tracking."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.roles import regulator_membership
from cases import services
from tests import factories as f
from tests.conftest import at, sign_in


@pytest.fixture
def case(file_case, alice, mallory):
    case = file_case()
    services.case_post_message(case=case, actor=mallory, body="我们正在核实", now=at(2026, 3, 3, 9))
    return case


@pytest.fixture
def intake_case(file_case, olivia):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_post_message(
        case=case, actor=olivia, body="内部备注：需核实资质", internal=True, now=at(2026, 3, 3, 9)
    )
    return case


def detail(case):
    return reverse("cases:detail", args=[case.number])


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_parties_open_the_case(client, case, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(detail(case))
    assert response.status_code == 200
    assert "我们正在核实" in response.content.decode()


@pytest.mark.parametrize("persona", ["bob", "trent", "yves"])
def test_outsiders_get_not_found(client, case, persona, request):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(detail(case)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, case):
    response = client.get(detail(case))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_supervising_office_can_read_and_sees_internal_notes(client, intake_case, sam):
    sign_in(client, sam)
    response = client.get(detail(intake_case))
    assert response.status_code == 200
    assert "内部备注" in response.content.decode()
    assert response.context["side"]["forms"] == {}  # sees, cannot act


def test_regulator_notes_never_reach_the_parties(client, intake_case, alice):
    sign_in(client, alice)
    response = client.get(detail(intake_case))
    assert response.status_code == 200
    assert "内部备注" not in response.content.decode()


def test_deadlines_show_with_their_provisional_mark(client, file_case, alice):
    case = file_case(now=at(2026, 12, 28, 10))
    sign_in(client, alice)
    body = client.get(detail(case)).content.decode()
    assert 'data-deadline="settle"' in body
    assert "deadline-provisional" in body


def test_tracking_needs_the_number_and_the_phone(client, case):
    url = reverse("cases:track")
    found = client.post(url, {"number": case.number, "phone": "13812341234"})
    assert found.context["case"] == case
    assert 'data-testid="tracked-case"' in found.content.decode()
    wrong = client.post(url, {"number": case.number, "phone": "13900001111"})
    assert wrong.context["case"] is None
    assert wrong.context["form"].non_field_errors()
    assert case.subject not in wrong.content.decode()


def test_tracking_page_shows_no_personal_data(client, case):
    response = client.post(reverse("cases:track"), {"number": case.number, "phone": "13812341234"})
    body = response.content.decode()
    assert "王爱丽" not in body and "13812341234" not in body.replace('value="13812341234"', "")


def test_tracking_heads_the_steps_as_the_progress_not_as_what_happened(client, case):
    response = client.post(reverse("cases:track"), {"number": case.number, "phone": "13812341234"})
    body = response.content.decode()
    heading = re.search(r'<h3[^>]*id="h-tracked-steps"[^>]*>([^<]+)</h3>', body).group(1)
    assert heading == "办理进度"
    with translation.override("zh-hans"):
        assert heading != gettext("What happened")  # the heading of the consumer's own account


def test_the_transfer_asks_for_an_office_instead_of_showing_dashes(client, intake_case, olivia):
    sign_in(client, olivia)
    body = client.get(detail(intake_case)).content.decode()
    select = re.search(r'<select[^>]*name="transfer-to_office".*?</select>', body, re.S).group(0)
    first = re.search(r'<option value=""[^>]*>([^<]*)</option>', select).group(1)
    assert first == "请选择监管部门…"
    assert "---------" not in body


def post_thread(case, authors, count):
    """Post ``count`` messages (internal notes for regulator staff), the ``authors`` taking turns
    a minute apart from Tue 2026-03-03 09:00."""
    for i in range(count):
        author = authors[i % len(authors)]
        services.case_post_message(
            case=case,
            actor=author,
            body=f"第{i + 1}条留言",
            internal=regulator_membership(author) is not None,
            now=at(2026, 3, 3, 9) + timedelta(minutes=i),
        )


@pytest.mark.parametrize("messages", [5, 40])
# The merchant's page also reads its reply templates.
# Each page's navigation also counts the person's unread notifications.
@pytest.mark.parametrize(("persona", "queries"), [("alice", 7), ("mallory", 8)])
def test_case_page_query_count_does_not_grow_with_the_thread(
    client,
    file_case,
    alice,
    mallory,
    persona,
    queries,
    messages,
    request,
    django_assert_num_queries,
):
    case = file_case()
    post_thread(case, [mallory, alice], messages)
    sign_in(client, request.getfixturevalue(persona))
    with django_assert_num_queries(queries):
        response = client.get(detail(case))
    assert response.status_code == 200
    assert len(response.context["thread"]) == messages + 2  # filed, acknowledged, the messages


@pytest.mark.parametrize("entries", [5, 40])
@pytest.mark.parametrize(("persona", "queries"), [("olivia", 10), ("sam", 10)])
def test_case_page_query_count_for_regulator_staff_does_not_grow_with_the_thread(
    client,
    file_case,
    alice,
    olivia,
    persona,
    queries,
    entries,
    request,
    django_assert_num_queries,
):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    post_thread(case, [alice, olivia], entries)
    sign_in(client, request.getfixturevalue(persona))
    with django_assert_num_queries(queries):
        response = client.get(detail(case))
    assert response.status_code == 200
    assert len(response.context["thread"]) == entries + 1  # filed, the messages and notes


@pytest.mark.parametrize("messages", [5, 40])
def test_tracking_query_count_does_not_grow_with_the_thread(
    client, file_case, alice, mallory, messages, django_assert_num_queries
):
    # The tracking page shows the steps of the case but not the thread: a flat count.
    case = file_case()
    post_thread(case, [mallory, alice], messages)
    with django_assert_num_queries(2):
        response = client.post(
            reverse("cases:track"), {"number": case.number, "phone": "13812341234"}
        )
    assert response.context["case"] == case
