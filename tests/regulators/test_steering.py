"""Steering businesses into ODR (product §3, issue 10 item 6): the businesses of the office's
regions that are not onboarded, by complaints over twelve months; an invitation by email or a
printed letter, recorded; and which invited businesses applied since."""

import itertools

import pytest
from django.core import mail
from django.urls import reverse

from core.errors import ActionNotAllowed, ValidationFailed
from merchants import services as merchant_services
from merchants.models import Merchant
from regulators.models import BusinessInvitation
from regulators.services import business_invite
from tests import factories as f
from tests.conftest import TEST_NOW, at, sign_in

LIST = reverse("regulators:businesses")
INVITATIONS = reverse("regulators:invitations")
_codes = itertools.count(8001)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still: twelve months count back from it."""
    time_machine.move_to(TEST_NOW, tick=False)


def business(region="140105", **fields) -> Merchant:
    """A business complaints named that never onboarded."""
    n = next(_codes)
    return f.MerchantFactory(
        region_code=region,
        credit_code=f.credit_code(n, region),
        odr_status=Merchant.OdrStatus.NOT_ONBOARDED,
        **fields,
    )


def complaints(file_case, merchant, count, when=None):
    for _ in range(count):
        file_case(consumer=f.ConsumerFactory(), merchant=merchant, now=when or at(2026, 2, 10, 10))


def invite(client, merchant, **data):
    return client.post(reverse("regulators:business_invite", args=[merchant.pk]), data)


# --- The list -------------------------------------------------------------------------------------


def test_businesses_are_listed_by_complaints_over_twelve_months(client, file_case, olivia, acme):
    most, fewer, old = business(), business(), business()
    complaints(file_case, most, 3)
    complaints(file_case, fewer, 1)
    complaints(file_case, old, 5, when=at(2025, 2, 10, 10))  # more than twelve months ago
    complaints(file_case, acme, 4)  # onboarded
    complaints(file_case, business("140106"), 6)  # Yingze's
    sign_in(client, olivia)
    rows = client.get(LIST).context["page"].rows
    assert [(m, m.complaints) for m in rows] == [(most, 3), (fewer, 1)]


@pytest.mark.parametrize(("persona", "seen"), [("yves", {"140106"}), ("sam", {"140105", "140106"})])
def test_each_office_sees_the_businesses_of_its_regions(
    client, file_case, persona, seen, request, offices
):
    by_region = {region: business(region) for region in ("140105", "140106")}
    for merchant in by_region.values():
        complaints(file_case, merchant, 1)
    sign_in(client, request.getfixturevalue(persona))
    rows = client.get(LIST).context["page"].rows
    assert set(rows) == {by_region[region] for region in seen}


def test_the_list_is_paged_by_complaints(client, file_case, olivia):
    merchants = [business() for _ in range(27)]
    for count, merchant in enumerate(merchants[:2], start=2):
        complaints(file_case, merchant, count)
    for merchant in merchants[2:]:
        complaints(file_case, merchant, 1)
    sign_in(client, olivia)
    first = client.get(LIST).context["page"]
    assert [m.complaints for m in first.rows[:3]] == [3, 2, 1]
    second = client.get(LIST, {"after": first.next_cursor}).context["page"]
    assert len(first.rows) == 25 and len(second.rows) == 2
    assert set(first.rows).isdisjoint(second.rows)
    assert set(first.rows) | set(second.rows) == set(merchants)


# --- Inviting -------------------------------------------------------------------------------------


def test_an_invitation_is_emailed_to_the_contact_given_and_recorded(
    client, file_case, olivia, django_capture_on_commit_callbacks
):
    merchant = business(name="小店区某某餐馆")
    complaints(file_case, merchant, 2)
    sign_in(client, olivia)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, merchant, channel="email", email="Boss@Canguan.CN")
    assert response.status_code == 302 and response["Location"] == LIST
    invitation = BusinessInvitation.objects.get()
    assert (invitation.merchant, invitation.office.region_code, invitation.sent_by) == (
        merchant,
        "140105",
        olivia,
    )
    assert (invitation.channel, invitation.email) == ("email", "boss@canguan.cn")
    [email] = mail.outbox
    assert email.to == ["boss@canguan.cn"]
    assert "小店区某某餐馆" in email.body
    assert "http://testserver" + reverse("merchants:apply") in email.body
    [row] = client.get(LIST).context["page"].rows
    assert row.invited_at == invitation.sent_at


def test_an_emailed_invitation_needs_an_address(client, file_case, olivia):
    merchant = business()
    complaints(file_case, merchant, 1)
    sign_in(client, olivia)
    response = invite(client, merchant, channel="email", email="")
    assert response.status_code == 422
    assert response.context["form"].errors["email"]
    assert not BusinessInvitation.objects.exists()


def test_a_letter_is_recorded_and_shown_to_print(client, file_case, olivia, offices):
    merchant = business(name="小店区某某餐馆", address="太原市小店区坞城路 8 号")
    complaints(file_case, merchant, 1)
    sign_in(client, olivia)
    response = invite(client, merchant, channel="letter", email="ignored@example.cn")
    invitation = BusinessInvitation.objects.get()
    assert (invitation.channel, invitation.email) == ("letter", "")
    assert response["Location"] == reverse("regulators:invitation_letter", args=[invitation.pk])
    letter = client.get(response["Location"])
    body = letter.content.decode()
    assert letter.status_code == 200
    assert "小店区某某餐馆" in body and "坞城路" in body and offices["140105"].name in body
    assert "http://testserver" + reverse("merchants:apply") in body
    assert not mail.outbox


def test_the_invitations_list_shows_who_applied_since(client, file_case, olivia):
    applied_since, silent = business(), business()
    for merchant in (applied_since, silent):
        business_invite(merchant=merchant, actor=olivia, channel="letter", now=at(2026, 3, 2, 9))
    merchant_services.merchant_apply(
        f.UserFactory(),
        name=applied_since.name,
        credit_code=applied_since.credit_code,
        region_code="140105",
        legal_representative="李四",
        business_licence=f.licence_file(),
        address="太原市小店区",
        industry="餐饮",
        contact_phone="0351-1234567",
        undertaking=True,
        now=at(2026, 3, 3, 9),
    )
    sign_in(client, olivia)
    response = client.get(INVITATIONS)
    applied = {i.merchant: i.applied_at for i in response.context["page"].rows}
    assert applied == {applied_since: at(2026, 3, 3, 9), silent: None}
    assert response.content.decode().count('data-testid="applied"><span class="badge') == 1


def test_a_business_already_applied_or_onboarded_cannot_be_invited(client, olivia, acme):
    with pytest.raises(ValidationFailed):
        business_invite(merchant=acme, actor=olivia, channel="letter")
    sign_in(client, olivia)
    assert client.get(reverse("regulators:business_invite", args=[acme.pk])).status_code == 404


# --- Permissions ----------------------------------------------------------------------------------


def test_a_county_office_cannot_invite_its_siblings_business(client, yves, offices):
    merchant = business("140105")
    with pytest.raises(ActionNotAllowed):
        business_invite(merchant=merchant, actor=yves, channel="letter")
    sign_in(client, yves)
    assert client.get(reverse("regulators:business_invite", args=[merchant.pk])).status_code == 404
    assert invite(client, merchant, channel="letter").status_code == 404
    assert not BusinessInvitation.objects.exists()


def test_a_county_office_cannot_open_its_siblings_letters(client, olivia, yves, sam):
    invitation = business_invite(merchant=business("140105"), actor=olivia, channel="letter")
    letter = reverse("regulators:invitation_letter", args=[invitation.pk])
    sign_in(client, yves)
    assert client.get(letter).status_code == 404
    assert client.get(INVITATIONS).context["page"].rows == []
    sign_in(client, sam)
    assert client.get(letter).status_code == 200
    assert client.get(INVITATIONS).context["page"].rows == [invitation]


def test_merchant_staff_and_consumers_cannot_invite(alice, mallory, offices):
    for person in (alice, mallory):
        with pytest.raises(ActionNotAllowed):
            business_invite(merchant=business(), actor=person, channel="letter")


@pytest.mark.parametrize("persona", ["alice", "mallory"])
def test_consumers_and_merchants_get_not_found(client, persona, request, offices):
    merchant = business()
    sign_in(client, request.getfixturevalue(persona))
    for url in (LIST, INVITATIONS, reverse("regulators:business_invite", args=[merchant.pk])):
        assert client.get(url).status_code == 404
    assert invite(client, merchant, channel="letter").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, offices):
    for url in (LIST, INVITATIONS):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("merchants", [1, 10])
def test_the_lists_run_a_fixed_number_of_queries(
    client, file_case, sam, merchants, django_assert_num_queries
):
    for i in range(merchants):
        merchant = business("140105" if i % 2 else "140106")
        complaints(file_case, merchant, 2)
        business_invite(merchant=merchant, actor=sam, channel="letter")
    sign_in(client, sam)
    # Session, user with its role rows, the office and the second factor (4); the page of
    # businesses with their counts and last invitation (1).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(6):
        response = client.get(LIST)
    assert len(response.context["page"].rows) == merchants
    # ... the subtree's offices, the page of invitations with the applications since (2).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(7):
        response = client.get(INVITATIONS)
    assert len(response.context["page"].rows) == merchants
