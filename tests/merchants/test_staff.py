"""Staff (product §3): owners invite people by an emailed link, change roles and remove staff; the
last owner stays; agents and outsiders reach none of it."""

import hashlib
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from core.errors import ActionNotAllowed, InvalidTransition, ValidationFailed
from core.models import AuditEntry
from merchants import services
from merchants.models import MerchantInvitation, MerchantMembership
from tests import factories as f
from tests.accounts.helpers import fresh_cache, fresh_sms_outbox, sms_code  # noqa: F401
from tests.conftest import TEST_NOW, at, sign_in
from tests.factories import PASSWORD

STAFF = reverse("merchants:staff")
SITE = "https://odr.example.cn"


@pytest.fixture
def agent(acme):
    return f.MerchantMembershipFactory(
        merchant=acme, role="agent", user__email="agnes@acme.cn", user__name="艾格"
    ).user


def invite(merchant, actor, email="new@acme.cn", role="agent", now=None):
    return services.staff_invite(
        merchant=merchant,
        actor=actor,
        email=email,
        role=role,
        site_url=SITE,
        now=now or at(2026, 3, 3, 9),
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+/merchant/join/[A-Za-z0-9_-]+/", message.body).group()


def token_in(message) -> str:
    return link_in(message).rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def sent(acme, mallory, django_capture_on_commit_callbacks):
    """Invite someone to acme (as given) and return the token of the emailed link."""

    def send(email="new@acme.cn", role="agent", now=None) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            invite(acme, mallory, email=email, role=role, now=now)
        return token_in(mail.outbox[-1])

    return send


def join_url(token: str) -> str:
    return reverse("merchants:join", args=[token])


def role_of(user) -> str | None:
    return MerchantMembership.objects.filter(user=user).values_list("role", flat=True).first()


# --- Inviting ------------------------------------------------------------------------------------


def test_an_owner_invites_by_email_and_the_link_is_stored_only_as_its_hash(
    client, acme, mallory, django_capture_on_commit_callbacks
):
    sign_in(client, mallory)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STAFF, {"email": " New@Acme.cn ", "role": "agent"})

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["new@acme.cn"]
    assert acme.name in message.subject
    link = link_in(message)
    assert link.startswith("http://testserver/merchant/join/")
    token = token_in(message)
    invitation = MerchantInvitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new@acme.cn",
        "agent",
        mallory,
    )
    assert invitation.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert not MerchantInvitation.objects.filter(token_sha256=token).exists()
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.STAFF_INVITED)
    assert (entry.actor, entry.target, entry.detail["role"]) == (mallory, "new@acme.cn", "agent")
    assert "new@acme.cn" in client.get(STAFF).content.decode()  # waiting for an answer


def test_the_invitation_is_written_in_the_inviters_language(
    client, mallory, django_capture_on_commit_callbacks, settings
):
    sign_in(client, mallory)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(STAFF, {"email": "new@acme.cn", "role": "owner"})
    [message] = mail.outbox
    assert message.subject.startswith("Invitation to join the staff of")
    assert "as owner" in message.body


def test_the_invitation_lasts_as_long_as_the_setting_says(acme, mallory, settings):
    settings.ODR_STAFF_INVITATION_DAYS = 3
    invitation = invite(acme, mallory, now=at(2026, 3, 3, 9))
    assert invitation.expires_at == at(2026, 3, 6, 9)


def test_nothing_is_emailed_when_the_invitation_is_not_saved(
    acme, mallory, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
        invite(acme, mallory, email="AGNES@acme.cn")  # already on the staff
    assert mail.outbox == []
    assert not MerchantInvitation.objects.exists()


def test_a_second_invitation_to_an_address_waiting_is_refused_beside_the_email(
    client, acme, mallory
):
    invite(acme, mallory)
    sign_in(client, mallory)
    response = client.post(STAFF, {"email": "new@acme.cn", "role": "agent"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["email"]
    assert MerchantInvitation.objects.count() == 1


def test_bad_input_shows_every_error_at_once(client, mallory):
    sign_in(client, mallory)
    response = client.post(STAFF, {"email": "not-an-email", "role": "boss"})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"email", "role"}
    assert response.content.decode().count('class="alert-link"') == 2
    assert not MerchantInvitation.objects.exists()


# --- Joining -------------------------------------------------------------------------------------


def test_a_new_person_signs_up_from_the_link_and_joins_with_the_role(client, acme, sent):
    # Sent an hour before the account is made (now, whatever the suite's clock says).
    token = sent(role="agent", now=TEST_NOW - timedelta(hours=1))

    page = client.get(join_url(token))
    assert page.status_code == 200
    text = page.content.decode()
    assert acme.name in text
    signup = f"{reverse('account_signup')}?next={join_url(token)}"
    assert f'href="{signup}"' in text.replace("%2F", "/")

    phone = "13987654321"
    response = client.post(
        signup,
        {
            "name": "新同事",
            "phone": phone,
            "email": "new@acme.cn",
            "password1": "Xin-mima-2026!",
            "password2": "Xin-mima-2026!",
        },
    )
    assert response.status_code == 302
    response = client.post(reverse("account_verify_phone"), {"code": sms_code(phone)})
    assert response.url == join_url(token)  # `next` kept through sign-up

    response = client.post(join_url(token))

    assert response.url == reverse("merchants:home")
    user = User.objects.get(phone=phone)
    # The link proved the address it was sent to: it is verified now.
    assert EmailAddress.objects.filter(user=user, email="new@acme.cn", verified=True).exists()
    assert role_of(user) == "agent"
    assert MerchantMembership.objects.get(user=user).merchant == acme
    invitation = MerchantInvitation.objects.get()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (user, True)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.STAFF_JOINED, actor=user).exists()
    assert client.get(reverse("merchants:home")).status_code == 200  # the inbox


def verified(user, email=None):
    """Give ``user`` the verified email address ``email`` (default: their own)."""
    EmailAddress.objects.create(user=user, email=email or user.email, verified=True, primary=True)
    return user


def test_an_existing_person_signs_in_from_the_link_and_joins_as_owner(client, acme, bob, sent):
    verified(bob)
    token = sent(email=bob.email, role="owner")

    response = client.post(
        f"{reverse('account_login')}?next={join_url(token)}",
        {"login": bob.email, "password": PASSWORD},
    )
    assert response.url == join_url(token)
    assert client.get(join_url(token)).status_code == 200

    client.post(join_url(token))

    assert role_of(bob) == "owner"
    assert client.get(STAFF).status_code == 200  # an owner now


def test_opening_the_link_changes_nothing_and_an_anonymous_join_goes_to_sign_in(client, acme, sent):
    token = sent()
    assert client.get(join_url(token)).status_code == 200
    response = client.post(join_url(token))
    assert response.url.startswith(reverse("account_login"))
    assert MerchantInvitation.objects.get().accepted_at is None


def test_an_unknown_link_is_not_found(client, db):
    assert client.get(join_url("x" * 43)).status_code == 404


@pytest.mark.parametrize("how", ["expired", "used", "revoked"])
def test_a_link_that_no_longer_works_says_why(client, acme, mallory, bob, sent, how):
    sent_at = TEST_NOW - timedelta(days=7, minutes=1) if how == "expired" else None
    token = sent(now=sent_at)
    if how == "used":
        newcomer = verified(f.ConsumerFactory(email="new@acme.cn"))
        services.staff_join(token=token, user=newcomer, now=at(2026, 3, 3, 10))
    if how == "revoked":
        services.invitation_revoke(invitation=MerchantInvitation.objects.get(), actor=mallory)

    sign_in(client, bob)
    page = client.get(join_url(token))
    response = client.post(join_url(token))

    assert page.status_code == response.status_code == 410
    assert how[:4] in response.context["problem"].code
    assert role_of(bob) is None
    with pytest.raises(ActionNotAllowed) as error:
        services.staff_join(token=token, user=bob, now=TEST_NOW)
    assert error.value.code == f"invitation_{how}"


@pytest.mark.parametrize(
    ("persona", "code"),
    [("trent", "other_merchant"), ("olivia", "regulator_staff"), ("agent", "already_staff")],
)
def test_staff_of_another_merchant_regulators_and_members_cannot_join(
    client, sent, persona, code, request
):
    person = request.getfixturevalue(persona)
    before = role_of(person)
    token = sent()
    sign_in(client, person)

    page = client.get(join_url(token))
    response = client.post(join_url(token))

    assert page.status_code == response.status_code == 403
    assert response.context["problem"].code == code
    assert 'data-testid="join-problem"' in response.content.decode()
    assert role_of(person) == before
    assert MerchantInvitation.objects.get().accepted_at is None


def test_a_link_works_once(acme, sent, alice, bob):
    token = sent(email=alice.email)
    services.staff_join(token=token, user=verified(alice), now=at(2026, 3, 3, 10))
    with pytest.raises(ActionNotAllowed) as error:
        services.staff_join(token=token, user=verified(bob, alice.email.upper()), now=TEST_NOW)
    assert error.value.code == "invitation_used"
    assert MerchantMembership.objects.filter(merchant=acme).count() == 2


def test_an_invitation_joins_no_account_but_the_one_of_the_invited_address(
    client, acme, sent, alice, file_case
):
    """A consumer with a complaint against the merchant who got hold of an owner's invitation
    sent elsewhere joins nothing: not signed in as the invited address, nor with it unverified,
    nor by signing up through the link with another address."""
    file_case()
    token = sent(email="boss@acme.cn", role="owner")
    sign_in(client, alice)

    response = client.post(join_url(token))
    assert response.status_code == 403
    assert response.context["problem"].code == "other_account"
    assert "boss@acme.cn" in response.content.decode()

    # An account older than the invitation, with the address typed in and never verified.
    alice.email, alice.date_joined = "boss@acme.cn", at(2025, 6, 1, 9)
    alice.save(update_fields=["email", "date_joined"])
    response = client.post(join_url(token))
    assert response.status_code == 403
    assert response.context["problem"].code == "email_unverified"
    assert role_of(alice) is None
    with pytest.raises(ActionNotAllowed):
        services.staff_join(token=token, user=alice, now=TEST_NOW)

    client.logout()
    phone = "13987654321"
    client.post(
        f"{reverse('account_signup')}?next={join_url(token)}",
        {
            "name": "冒名",
            "phone": phone,
            "email": "other@mail.cn",
            "password1": "Xin-mima-2026!",
            "password2": "Xin-mima-2026!",
        },
    )
    client.post(reverse("account_verify_phone"), {"code": sms_code(phone)})
    response = client.post(join_url(token))
    assert response.context["problem"].code == "other_account"
    assert not EmailAddress.objects.filter(email="other@mail.cn", verified=True).exists()
    assert MerchantMembership.objects.filter(merchant=acme).count() == 1
    assert MerchantInvitation.objects.get().accepted_at is None


# --- Roles and removal ---------------------------------------------------------------------------


def test_an_owner_changes_a_role_and_removes_a_member(client, acme, mallory, agent):
    membership = agent.merchant_membership
    sign_in(client, mallory)

    client.post(reverse("merchants:staff_role", args=[membership.pk]), {"role": "owner"})
    assert role_of(agent) == "owner"
    client.post(reverse("merchants:staff_role", args=[membership.pk]), {"role": "agent"})
    assert role_of(agent) == "agent"
    client.post(reverse("merchants:staff_remove", args=[membership.pk]))

    assert role_of(agent) is None
    assert User.objects.filter(pk=agent.pk).exists()  # the account stays
    actions = list(
        AuditEntry.objects.filter(actor=mallory).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["staff_role_changed", "staff_role_changed", "staff_removed"]


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, acme, mallory, agent):
    membership = mallory.merchant_membership
    with pytest.raises(ValidationFailed) as error:
        services.staff_change_role(membership=membership, actor=mallory, role="agent")
    assert error.value.code == "last_owner"
    with pytest.raises(ValidationFailed):
        services.staff_remove(membership=membership, actor=mallory)

    sign_in(client, mallory)
    response = client.post(
        reverse("merchants:staff_role", args=[membership.pk]), {"role": "agent"}, follow=True
    )
    assert any(m.level_tag == "error" for m in response.context["messages"])
    client.post(reverse("merchants:staff_remove", args=[membership.pk]))
    assert role_of(mallory) == "owner"


def test_with_two_owners_one_may_step_down(acme, mallory):
    other = f.MerchantMembershipFactory(merchant=acme, role="owner").user
    services.staff_change_role(membership=mallory.merchant_membership, actor=other, role="agent")
    assert role_of(mallory) == "agent"
    with pytest.raises(ValidationFailed):
        services.staff_remove(membership=other.merchant_membership, actor=other)


def test_an_owner_withdraws_an_invitation_once(client, acme, mallory):
    invitation = invite(acme, mallory)
    sign_in(client, mallory)
    client.post(reverse("merchants:invitation_withdraw", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert list(client.get(STAFF).context["invitations"]) == []
    with pytest.raises(InvalidTransition):
        services.invitation_revoke(invitation=invitation, actor=mallory)


# --- Who reaches what ----------------------------------------------------------------------------


def staff_posts(acme_member, invitation) -> list[tuple[str, dict]]:
    return [
        (STAFF, {"email": "x@acme.cn", "role": "owner"}),
        (reverse("merchants:staff_role", args=[acme_member.pk]), {"role": "owner"}),
        (reverse("merchants:staff_remove", args=[acme_member.pk]), {}),
        (reverse("merchants:invitation_withdraw", args=[invitation.pk]), {}),
    ]


def test_agents_get_not_found_on_every_staff_page_and_cannot_invite(client, acme, mallory, agent):
    invitation = invite(acme, mallory)
    sign_in(client, agent)

    assert client.get(STAFF).status_code == 404
    for url, data in staff_posts(mallory.merchant_membership, invitation):
        assert client.post(url, data).status_code == 404, url

    assert role_of(mallory) == "owner" and role_of(agent) == "agent"
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert MerchantInvitation.objects.count() == 1
    with pytest.raises(ActionNotAllowed):
        invite(acme, agent, email="y@acme.cn")


def test_an_owner_of_another_merchant_cannot_manage_this_ones_staff(
    client, acme, mallory, agent, trent
):
    invitation = invite(acme, mallory)
    sign_in(client, trent)

    page = client.get(STAFF)
    assert page.status_code == 200
    assert agent.email not in page.content.decode()  # their own staff only
    for url, data in staff_posts(agent.merchant_membership, invitation)[1:]:
        assert client.post(url, data).status_code == 404, url

    assert role_of(agent) == "agent"
    with pytest.raises(ActionNotAllowed):
        services.staff_remove(membership=agent.merchant_membership, actor=trent)
    with pytest.raises(ActionNotAllowed):
        services.invitation_revoke(invitation=invitation, actor=trent)


@pytest.mark.parametrize("persona", ["alice", "olivia"])
def test_consumers_and_regulators_get_not_found_on_every_staff_page(
    client, acme, mallory, persona, request
):
    invitation = invite(acme, mallory)
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(STAFF).status_code == 404
    for url, data in staff_posts(mallory.merchant_membership, invitation):
        assert client.post(url, data).status_code == 404, url
    assert MerchantInvitation.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in_from_every_staff_page(client, acme, mallory):
    invitation = invite(acme, mallory)
    assert client.get(STAFF).url.startswith(reverse("account_login"))
    for url, data in staff_posts(mallory.merchant_membership, invitation):
        assert client.post(url, data).url.startswith(reverse("account_login")), url


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("members", [2, 20])
def test_the_staff_page_query_count_does_not_grow(
    client, acme, mallory, members, django_assert_num_queries
):
    for _ in range(members - 1):
        f.MerchantMembershipFactory(merchant=acme, role="agent")
    for n in range(members):
        invite(acme, mallory, email=f"invitee{n}@acme.cn")
    f.MerchantMembershipFactory(merchant=f.MerchantFactory(), role="agent")  # elsewhere
    sign_in(client, mallory)

    with django_assert_num_queries(6):  # 6th: the navigation's unread notifications
        response = client.get(STAFF)

    assert response.status_code == 200
    assert len(response.context["members"]) == members
    assert len(response.context["invitations"]) == members
