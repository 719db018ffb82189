"""The notification list and the unread count in the navigation (product §5), from the outside:
every role sees its own notifications, nobody sees another person's."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Notification
from tests import factories as f
from tests.cases.helpers import offer
from tests.conftest import at, sign_in

LIST = reverse("notifications:list")


def unread_badge(response) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<', response.content.decode())
    return found.group(1) if found else None


def open_url(note: Notification) -> str:
    return reverse("notifications:open", args=[note.pk])


@pytest.mark.parametrize("persona", ["alice", "mallory", "olivia", "sam"])
def test_every_role_sees_its_unread_count_in_the_navigation(client, file_case, persona, request):
    person = request.getfixturevalue(persona)
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))  # to the office
    if persona == "mallory":
        case = file_case()
    elif persona == "alice":
        services.case_accept(case=case, actor=request.getfixturevalue("olivia"))
    elif persona == "sam":
        services.case_post_message(
            case=case, actor=request.getfixturevalue("alice"), body="请受理", now=at(2026, 3, 3)
        )
        Notification.objects.create(  # sam supervises Xiaodian: told as a supervisor would be
            event=case.events.last(), user=person, created_at=at(2026, 3, 3)
        )
    sign_in(client, person)
    response = client.get(reverse("landing"))
    assert unread_badge(response) == "1"
    assert reverse("notifications:list") in response.content.decode()


def test_the_list_shows_the_persons_notifications_with_a_link_to_the_case(
    client, file_case, alice, mallory
):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9))
    sign_in(client, alice)
    response = client.get(LIST)
    body = response.content.decode()
    [note] = response.context["page"].rows
    assert note.event.type == "offer_made" and note.read_at is None
    assert case.number in body and "全额退款" not in body  # the event, not the offer's terms
    assert 'data-unread="true"' in body and unread_badge(response) == "1"

    opened = client.post(open_url(note))
    assert opened.status_code == 302 and opened.url == reverse("cases:detail", args=[case.number])
    note.refresh_from_db()
    assert note.read_at is not None
    assert unread_badge(client.get(LIST)) is None


@pytest.mark.parametrize("persona", ["bob", "mallory", "trent", "olivia"])
def test_another_persons_notification_is_not_found(
    client, file_case, alice, mallory, persona, request
):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9))
    note = Notification.objects.get(user=alice)
    sign_in(client, request.getfixturevalue(persona))
    assert client.post(open_url(note)).status_code == 404
    assert note.pk not in [n.pk for n in client.get(LIST).context["page"].rows]
    note.refresh_from_db()
    assert note.read_at is None


def test_a_missing_notification_is_not_found(client, alice):
    sign_in(client, alice)
    assert client.post(reverse("notifications:open", args=[999999])).status_code == 404


def test_mark_all_read_marks_only_ones_own(client, file_case, alice, bob, mallory):
    mine = file_case()
    theirs = file_case(consumer=bob)
    for case in (mine, theirs):
        services.case_post_message(case=case, actor=mallory, body="您好", now=at(2026, 3, 3))
    sign_in(client, alice)
    response = client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_disabled_webhook_notice_leads_to_the_webhook(client, acme, mallory):
    endpoint = acme.webhooks.create(
        url="https://hooks.example.cn/odr",
        events=["case.closed"],
        secret="s",
        created_by=mallory,
        created_at=at(2026, 3, 3),
    )
    note = Notification.objects.create(
        kind=Notification.Kind.WEBHOOK_DISABLED,
        user=mallory,
        data={"endpoint": endpoint.pk, "url": endpoint.url, "failures": 20},
        created_at=at(2026, 3, 3),
    )
    sign_in(client, mallory)
    body = client.get(LIST).content.decode()
    assert "https://hooks.example.cn/odr" in body
    opened = client.post(open_url(note))
    assert opened.url == reverse("merchants:webhook", args=[endpoint.pk])


@pytest.mark.parametrize("rows", [1, 40])
def test_the_list_query_count_does_not_grow(
    client, file_case, alice, mallory, rows, django_assert_num_queries
):
    for i in range(rows):
        case = file_case(now=at(2026, 3, 2, 10, i))
        services.case_post_message(case=case, actor=mallory, body="您好", now=at(2026, 3, 3, 9, i))
    sign_in(client, alice)
    # Session, user with its role rows (2), the unread count in the navigation, the page of rows.
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert len(response.context["page"].rows) == min(rows, 30)
