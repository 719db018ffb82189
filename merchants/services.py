"""Every write to merchants: respondents found or made for complaints, reply templates, and
onboarding with its review, staff and the merchant's profile (product §3). Status changes are
recorded in the merchant's history (``MerchantEvent``) and staff changes in the audit log, in the
same transaction as the change."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import regulator_membership
from core.audit import audit_record
from core.credit_code import normalize_credit_code, validate_credit_code
from core.errors import ActionNotAllowed, DomainError, InvalidTransition, ValidationFailed
from core.models import AuditEntry
from core.regions import validate_region_code

from .models import (
    ODR_TRANSITIONS,
    Merchant,
    MerchantEvent,
    MerchantInvitation,
    MerchantMembership,
    ReplyTemplate,
    contact_phone_validator,
)
from .replies import REPLY_VARIABLES, unknown_variables
from .selectors import merchant_owned_by

if TYPE_CHECKING:
    from cases.evidence import CheckedFile

# Bytes of randomness in an invitation link (secrets.token_urlsafe: 43 characters).
INVITATION_TOKEN_BYTES = 32


def merchant_find_or_create_respondent(
    *, name: str, region_code: str, credit_code: str = "", address: str = ""
) -> Merchant:
    """Return the business a complaint is against, creating a not-onboarded one if unknown.

    A known credit code identifies the merchant whatever name the consumer typed. Otherwise the
    same name in the same region does, unless that merchant's own credit code differs from the
    one typed (then they are two businesses). The region must be one of the national table.
    It writes one row at most, so it needs no transaction of its own: callers that file the
    complaint with it hold theirs.
    """
    name, region_code = name.strip(), region_code.strip()
    validate_region_code(region_code)
    credit_code = normalize_credit_code(credit_code)
    if credit_code:
        validate_credit_code(credit_code)
        merchant = Merchant.objects.filter(credit_code=credit_code).first()
        if merchant is not None:
            return merchant
    same_name = Merchant.objects.filter(name=name, region_code=region_code)
    if credit_code:
        same_name = same_name.filter(credit_code__isnull=True)
    merchant = same_name.order_by("pk").first()
    if merchant is not None:
        return merchant
    return Merchant.objects.create(
        name=name,
        region_code=region_code,
        credit_code=credit_code or None,
        address=address.strip(),
        odr_status=Merchant.OdrStatus.NOT_ONBOARDED,
    )


# --- Reply templates ---------------------------------------------------------------------------


@transaction.atomic
def reply_template_save(
    *, merchant: Merchant, actor, title: str, body: str, template: ReplyTemplate | None = None
) -> ReplyTemplate:
    """Create a reply template for ``merchant``, or change ``template``; owners only."""
    merchant = _lock_as_owner(merchant, actor)
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ValidationFailed(_("Give the template a title."), code="required", field="title")
    if not body:
        raise ValidationFailed(_("Write the text of the reply."), code="required", field="body")
    if unknown := unknown_variables(body):
        raise ValidationFailed(
            _("There is no variable %(unknown)s. You may use %(known)s.")
            % {
                "unknown": " ".join(f"{{{name}}}" for name in unknown),
                "known": " ".join(f"{{{name}}}" for name in REPLY_VARIABLES),
            },
            code="unknown_variable",
            field="body",
        )
    taken = ReplyTemplate.objects.filter(merchant=merchant, title=title)
    if template is not None:
        if template.merchant_id != merchant.pk:
            raise ActionNotAllowed(_("This is not your business."), code="not_your_merchant")
        taken = taken.exclude(pk=template.pk)
    if taken.exists():
        raise ValidationFailed(
            _("Another template already has this title."), code="duplicate", field="title"
        )
    template = template or ReplyTemplate(merchant=merchant, created_by=actor)
    template.title, template.body = title, body
    template.full_clean(exclude=["merchant", "created_by"])
    template.save()
    return template


@transaction.atomic
def reply_template_delete(*, template: ReplyTemplate, actor) -> None:
    _lock_as_owner(template.merchant, actor)
    template.delete()


# --- Onboarding (product §3) ---------------------------------------------------------------------


def merchant_event_record(
    *,
    merchant: Merchant,
    action: str,
    actor: User | None,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
) -> MerchantEvent:
    """Append one entry to ``merchant``'s history: the one writer of ``MerchantEvent``.

    Callers hold the merchant row locked and record inside the transaction of the change.
    """
    return MerchantEvent.objects.create(
        merchant=merchant,
        action=MerchantEvent.Action(action),
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        created_at=now,
    )


def merchant_may_review(actor: User, merchant: Merchant) -> bool:
    """Return whether ``actor`` may decide on ``merchant``'s onboarding: regulator staff of the
    office responsible for the merchant's region or of an office above it, or a platform admin
    allowed to change merchants (who acts through the Django admin)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    staff = regulator_membership(actor)
    if staff is not None:
        return staff.office.covers(merchant.region_code)
    return actor.is_staff and actor.has_perm("merchants.change_merchant")


def _odr_move(merchant: Merchant, action: str, *, actor: User, reason: str, now: datetime) -> None:
    """Move the locked ``merchant`` by ``action`` as ``ODR_TRANSITIONS`` allows, and record it.

    The one function that writes ``Merchant.odr_status``.
    """
    move = ODR_TRANSITIONS[action]
    old = merchant.odr_status
    if old not in move.sources:
        raise InvalidTransition(
            _("A merchant cannot go from “%(old)s” to “%(new)s”.")
            % {"old": Merchant.OdrStatus(old).label, "new": Merchant.OdrStatus(move.target).label},
            code="invalid_transition",
        )
    if move.reason_required and not reason:
        raise ValidationFailed(_("Give the reason."), code="reason_required", field="reason")
    merchant.odr_status = move.target
    merchant.odr_status_reason = reason
    merchant.save(update_fields=["odr_status", "odr_status_reason", "updated_at"])
    merchant_event_record(
        merchant=merchant,
        action=action,
        actor=actor,
        now=now,
        from_status=old,
        to_status=move.target,
        reason=reason,
    )


def _review(
    merchant: Merchant, actor: User, action: str, reason: str, now: datetime | None
) -> Merchant:
    now = now or timezone.now()
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if not merchant_may_review(actor, merchant):
            raise ActionNotAllowed(
                _("Only the regulator of the merchant's region can decide on its onboarding."),
                code="not_reviewer",
            )
        _odr_move(merchant, action, actor=actor, reason=(reason or "").strip(), now=now)
    return merchant


def merchant_approve(
    merchant: Merchant, actor: User, reason: str = "", *, now: datetime | None = None
) -> Merchant:
    """Approve an application, with any note its owners will read: the merchant receives
    complaints directly from now on."""
    return _review(merchant, actor, MerchantEvent.Action.APPROVED, reason, now)


def merchant_reject(
    merchant: Merchant, actor: User, reason: str, *, now: datetime | None = None
) -> Merchant:
    """Reject an application, with the reason its owner will read; the owner may apply again."""
    return _review(merchant, actor, MerchantEvent.Action.REJECTED, reason, now)


def merchant_suspend(
    merchant: Merchant, actor: User, reason: str, *, now: datetime | None = None
) -> Merchant:
    """Suspend an active merchant: complaints against it go to the regulator meanwhile."""
    return _review(merchant, actor, MerchantEvent.Action.SUSPENDED, reason, now)


def merchant_reinstate(
    merchant: Merchant, actor: User, reason: str = "", *, now: datetime | None = None
) -> Merchant:
    """Make a suspended merchant active again."""
    return _review(merchant, actor, MerchantEvent.Action.REINSTATED, reason, now)


def merchant_exit(
    merchant: Merchant, actor: User, reason: str, *, now: datetime | None = None
) -> Merchant:
    """Take an active merchant out of ODR (dynamic exit, 动态退出)."""
    return _review(merchant, actor, MerchantEvent.Action.EXITED, reason, now)


def _clean_pledges(pledges) -> list[str]:
    chosen = list(dict.fromkeys(pledges or []))
    unknown = [p for p in chosen if p not in Merchant.Pledge.values]
    if unknown:
        raise ValidationFailed(
            _("Unknown pledge: %(pledge)s.") % {"pledge": ", ".join(map(str, unknown))},
            code="unknown_pledge",
            field="pledges",
        )
    return chosen


def _check_contact(*, address: str, industry: str, contact_phone: str) -> None:
    for field, value in (
        ("address", address),
        ("industry", industry),
        ("contact_phone", contact_phone),
    ):
        if not value:
            raise ValidationFailed(_("This field is required."), code="required", field=field)
    try:
        contact_phone_validator(contact_phone)
    except ValidationError as error:
        raise ValidationFailed(error.messages[0], code=error.code, field="contact_phone") from None


def _django_error(error: ValidationError, field: str) -> ValidationFailed:
    return ValidationFailed(error.messages[0], code=error.code, field=field)


def _application_target(user: User, *, name: str, credit_code: str, region_code: str):
    """Return the merchant row an application by ``user`` is for (locked), or None for a new one.

    A rejected merchant's owner applies again for it. Anyone else, staff of no merchant, takes
    over the not-onboarded row complaints made for the business (its credit code, or its name in
    its region when that row has no code), so that the business is never there twice.
    """
    membership = MerchantMembership.objects.filter(user=user).first()
    taken = ValidationFailed(
        _(
            "This business already has an application or is onboarded. Ask its owner to invite "
            "you to its staff."
        ),
        code="merchant_taken",
        field="credit_code",
    )
    if membership is not None:
        merchant = Merchant.objects.select_for_update().get(pk=membership.merchant_id)
        if not membership.is_owner or not merchant.can_apply:
            raise ActionNotAllowed(
                _("You are already on a merchant's staff."), code="already_staff"
            )
        if Merchant.objects.filter(credit_code=credit_code).exclude(pk=merchant.pk).exists():
            raise taken
        return merchant
    merchant = Merchant.objects.select_for_update().filter(credit_code=credit_code).first()
    if merchant is None:
        merchant = (
            Merchant.objects.select_for_update()
            .filter(
                name=name,
                region_code=region_code,
                credit_code__isnull=True,
                odr_status=Merchant.OdrStatus.NOT_ONBOARDED,
            )
            .order_by("pk")
            .first()
        )
    if merchant is not None and (not merchant.can_apply or merchant.memberships.exists()):
        raise taken
    return merchant


LEGAL_REPRESENTATIVE_MAX = Merchant._meta.get_field("legal_representative").max_length


def merchant_apply(
    user: User,
    *,
    name: str,
    credit_code: str,
    region_code: str,
    legal_representative: str,
    business_licence: "CheckedFile | None",
    address: str,
    industry: str,
    contact_phone: str,
    undertaking: bool,
    pledges=(),
    now: datetime | None = None,
) -> Merchant:
    """Apply for ``user``'s business to onboard (入驻), or apply again after a rejection.

    The application carries proof of the business: the legal representative's name and the
    business licence (营业执照), a file that passed the evidence checks
    (``cases.evidence.check_evidence_file``). Applying again, the owner may keep the licence on
    file by giving none. The applicant becomes its owner, with no rights on the cases against it
    until a regulator approves (``Merchant.staff_handle_cases``). When the application takes over
    a business that complaints already brought into the portal, the number of those complaints
    is kept for the reviewer (``application_claimed_cases``). Regulator staff cannot apply, nor
    staff of another merchant. The undertaking to handle complaints promptly must be accepted.
    """
    now = now or timezone.now()
    name, region_code = (name or "").strip(), (region_code or "").strip()
    address, industry = (address or "").strip(), (industry or "").strip()
    contact_phone = (contact_phone or "").strip()
    legal_representative = " ".join((legal_representative or "").split())
    credit_code = normalize_credit_code(credit_code)
    if regulator_membership(user) is not None:
        raise ActionNotAllowed(
            _("Regulator staff cannot apply for a business."), code="regulator_staff"
        )
    if not name:
        raise ValidationFailed(_("This field is required."), code="required", field="name")
    try:
        validate_credit_code(credit_code)
    except ValidationError as error:
        raise _django_error(error, "credit_code") from None
    try:
        validate_region_code(region_code)
    except ValidationError as error:
        raise _django_error(error, "region") from None
    if not legal_representative:
        raise ValidationFailed(
            _("This field is required."), code="required", field="legal_representative"
        )
    if len(legal_representative) > LEGAL_REPRESENTATIVE_MAX:
        raise ValidationFailed(
            _("Keep the name to %(max)s characters.") % {"max": LEGAL_REPRESENTATIVE_MAX},
            code="too_long",
            field="legal_representative",
        )
    _check_contact(address=address, industry=industry, contact_phone=contact_phone)
    pledges = _clean_pledges(pledges)
    if not undertaking:
        raise ValidationFailed(
            _("Accept the undertaking to handle complaints promptly."),
            code="undertaking_required",
            field="undertaking",
        )
    stored: list[str] = []
    try:
        with transaction.atomic():
            # One application at a time per person: the person may not end up on two staffs.
            User.objects.select_for_update().filter(pk=user.pk).first()
            merchant = _application_target(
                user, name=name, credit_code=credit_code, region_code=region_code
            )
            if merchant is None:
                merchant = Merchant(odr_status=Merchant.OdrStatus.NOT_ONBOARDED)
            elif merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED:
                merchant.application_claimed_cases = merchant.cases.count()
            replaced = _licence_attach(merchant, business_licence, stored)
            merchant.name, merchant.credit_code = name, credit_code
            merchant.region_code, merchant.legal_representative = region_code, legal_representative
            merchant.address, merchant.industry, merchant.contact_phone = (
                address,
                industry,
                contact_phone,
            )
            merchant.pledges = pledges
            merchant.undertaking_accepted_at = now
            try:
                with transaction.atomic():
                    merchant.save()
            except IntegrityError:  # another application for the same code got there first
                raise ValidationFailed(
                    _("This business already has an application or is onboarded."),
                    code="merchant_taken",
                    field="credit_code",
                ) from None
            _odr_move(merchant, MerchantEvent.Action.APPLIED, actor=user, reason="", now=now)
            MerchantMembership.objects.get_or_create(
                user=user, defaults={"merchant": merchant, "role": MerchantMembership.Role.OWNER}
            )
            if replaced:
                transaction.on_commit(lambda: default_storage.delete(replaced), robust=True)
    except BaseException:
        for stored_name in stored:  # nothing refers to a file of a failed application
            default_storage.delete(stored_name)
        raise
    return merchant


def _licence_attach(merchant: Merchant, licence: "CheckedFile | None", stored: list[str]) -> str:
    """Store ``licence`` as ``merchant``'s business licence (adding its name to ``stored``) and
    return the name of the file it replaces, if any; with no licence, require one on file."""
    if not licence:
        if not merchant.business_licence:
            raise ValidationFailed(
                _("Attach a photo or scan of the business licence."),
                code="required",
                field="business_licence",
            )
        return ""
    replaced = merchant.business_licence.name or ""
    merchant.business_licence.save(
        f"licence.{licence.kind.extension}", ContentFile(licence.content), save=False
    )
    stored.append(merchant.business_licence.name)
    merchant.business_licence_type = licence.content_type
    merchant.business_licence_sha256 = licence.sha256
    return replaced


# --- Staff and profile (product §3) ---------------------------------------------------------------


def _audit(
    actor: User,
    action: AuditEntry.Action,
    merchant: Merchant,
    target: str,
    request: HttpRequest | None,
    *,
    target_type: str = "merchant_staff",
    **detail,
) -> None:
    """Record a change to a merchant's staff or profile in the audit log (product §6)."""
    audit_record(
        actor,
        action,
        target,
        AuditEntry.Outcome.SUCCESS,
        request,
        target_type=target_type,
        detail={"merchant": merchant.pk, **detail},
    )


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lock_as_owner(merchant: Merchant, actor: User) -> Merchant:
    """Lock ``merchant`` (staff changes are serialised per merchant, so that two owners cannot
    demote each other at once) and check that ``actor`` is one of its owners."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if not merchant_owned_by(actor, merchant):
        raise ActionNotAllowed(
            _("Only the merchant's owners can manage its staff and profile."), code="not_owner"
        )
    return merchant


def _last_owner(membership: MerchantMembership) -> bool:
    return (
        membership.is_owner
        and not MerchantMembership.objects.filter(
            merchant_id=membership.merchant_id, role=MerchantMembership.Role.OWNER
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def _locked_member(merchant: Merchant, membership: MerchantMembership) -> MerchantMembership:
    member = (
        MerchantMembership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership.pk, merchant=merchant)
        .first()
    )
    if member is None:
        raise ActionNotAllowed(_("This person is not on the staff."), code="not_staff")
    return member


def staff_invite(
    *,
    merchant: Merchant,
    actor: User,
    email: str,
    role: str,
    site_url: str,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> MerchantInvitation:
    """Invite ``email`` to ``merchant``'s staff with ``role``: email a link that works once, for
    ``ODR_STAFF_INVITATION_DAYS`` days. Only the SHA-256 of the link's token is stored.

    ``site_url`` is where the portal is reached ("https://odr.example.cn"); the email is written
    in the language active now, the inviter's, and sent once the invitation is committed.
    ``request``, when given, says where the change came from in the audit log.
    """
    now = now or timezone.now()
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise _django_error(error, "email") from None
    if role not in MerchantMembership.Role.values:
        raise ValidationFailed(_("Choose a role."), code="invalid_role", field="role")
    token = secrets.token_urlsafe(INVITATION_TOKEN_BYTES)
    with transaction.atomic():
        merchant = _lock_as_owner(merchant, actor)
        if merchant.memberships.filter(user__email__iexact=email).exists():
            raise ValidationFailed(
                _("This person is already on the staff."), code="already_staff", field="email"
            )
        pending = merchant.invitations.filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )
        if pending.exists():
            raise ValidationFailed(
                _("An invitation to this address is waiting. Revoke it to send a new one."),
                code="invitation_pending",
                field="email",
            )
        invitation = MerchantInvitation.objects.create(
            merchant=merchant,
            email=email,
            role=role,
            token_sha256=invitation_token_hash(token),
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.ODR_STAFF_INVITATION_DAYS),
        )
        _audit(actor, AuditEntry.Action.STAFF_INVITED, merchant, email, request, role=role)
        link = site_url.rstrip("/") + reverse("merchants:join", args=[token])
        language = translation.get_language()
        transaction.on_commit(
            lambda: _invitation_send(invitation, actor, link, language), robust=True
        )
    return invitation


def _invitation_send(
    invitation: MerchantInvitation, inviter: User, link: str, language: str | None
) -> None:
    with translation.override(language):
        context = {"invitation": invitation, "inviter": inviter, "link": link}
        subject = render_to_string("merchants/staff/email/invitation_subject.txt", context)
        body = render_to_string("merchants/staff/email/invitation_body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


def invitation_get_by_token(token: str) -> MerchantInvitation | None:
    """Return the invitation whose link carries ``token``, or None."""
    return (
        MerchantInvitation.objects.select_related("merchant", "invited_by")
        .filter(token_sha256=invitation_token_hash(token or ""))
        .first()
    )


def invitation_problem(invitation: MerchantInvitation, now: datetime) -> DomainError | None:
    """Return why the invitation can no longer be used, or None while it can."""
    if invitation.revoked_at is not None:
        return ActionNotAllowed(
            _("This invitation was withdrawn. Ask the merchant's owner for a new one."),
            code="invitation_revoked",
        )
    if invitation.accepted_at is not None:
        return ActionNotAllowed(
            _("This invitation has already been used. Ask the merchant's owner for a new one."),
            code="invitation_used",
        )
    if invitation.expires_at <= now:
        return ActionNotAllowed(
            _("This invitation has expired. Ask the merchant's owner for a new one."),
            code="invitation_expired",
        )
    return None


def staff_join_problem(user: User, invitation: MerchantInvitation) -> DomainError | None:
    """Return why ``user`` cannot join the staff ``invitation`` is for, or None when they can.

    Only the account whose verified email address is the invited one may join, or an account
    made with that address after the invitation was sent (its maker followed the link, which was
    emailed there): a link that reached someone else (forwarded, leaked, read over a shoulder)
    joins nobody.
    """
    if regulator_membership(user) is not None:
        return ActionNotAllowed(
            _("Regulator staff cannot join a merchant's staff."), code="regulator_staff"
        )
    membership = MerchantMembership.objects.filter(user=user).first()
    if membership is not None and membership.merchant_id == invitation.merchant_id:
        return ActionNotAllowed(
            _("You are already on this merchant's staff."), code="already_staff"
        )
    if membership is not None:
        return ActionNotAllowed(
            _(
                "You are on another merchant's staff. A person works for one merchant at a time: "
                "ask your owner to remove you first, or sign in with another account."
            ),
            code="other_merchant",
        )
    if not _invited_address_is_theirs(user, invitation):
        if (user.email or "").lower() == invitation.email:
            return ActionNotAllowed(
                _(
                    "This invitation is for %(email)s. Verify that address first: open your "
                    "account's email settings and ask for a verification email, then open the "
                    "invitation again."
                )
                % {"email": invitation.email},
                code="email_unverified",
            )
        return ActionNotAllowed(
            _(
                "This invitation is for %(email)s, and you are signed in with another account. "
                "Sign out, then sign in (or sign up) with that address."
            )
            % {"email": invitation.email},
            code="other_account",
        )
    return None


def _invited_address_is_theirs(user: User, invitation: MerchantInvitation) -> bool:
    if EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        return True
    return (user.email or "").lower() == invitation.email and (
        user.date_joined >= invitation.created_at
    )


def staff_join(
    *, token: str, user: User, now: datetime | None = None, request: HttpRequest | None = None
) -> MerchantMembership:
    """Join the staff the invitation with ``token`` is for, with its role; the link then works
    no more."""
    now = now or timezone.now()
    found = invitation_get_by_token(token)
    if found is None:
        raise ActionNotAllowed(_("There is no such invitation."), code="invitation_unknown")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        merchant = Merchant.objects.select_for_update().get(pk=found.merchant_id)
        invitation = MerchantInvitation.objects.select_for_update().get(pk=found.pk)
        problem = invitation_problem(invitation, now) or staff_join_problem(user, invitation)
        if problem is not None:
            raise problem
        membership = MerchantMembership.objects.create(
            user=user, merchant=merchant, role=invitation.role
        )
        # The emailed link proved the address: it is verified from now on.
        EmailAddress.objects.update_or_create(
            user=user,
            email__iexact=invitation.email,
            defaults={"verified": True},
            create_defaults={"email": invitation.email, "verified": True, "primary": True},
        )
        invitation.accepted_at, invitation.accepted_by = now, user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _audit(
            user,
            AuditEntry.Action.STAFF_JOINED,
            merchant,
            user.login_name,
            request,
            role=invitation.role,
            invitation=invitation.pk,
        )
    return membership


def staff_change_role(
    *,
    membership: MerchantMembership,
    actor: User,
    role: str,
    request: HttpRequest | None = None,
) -> MerchantMembership:
    """Give a member of staff another role; the last owner stays an owner."""
    if role not in MerchantMembership.Role.values:
        raise ValidationFailed(_("Choose a role."), code="invalid_role", field="role")
    with transaction.atomic():
        merchant = _lock_as_owner(membership.merchant, actor)
        member = _locked_member(merchant, membership)
        if member.role == role:
            return member
        if _last_owner(member):
            raise ValidationFailed(
                _("The merchant needs an owner: make someone else an owner first."),
                code="last_owner",
                field="role",
            )
        old, member.role = member.role, role
        member.save(update_fields=["role"])
        _audit(
            actor,
            AuditEntry.Action.STAFF_ROLE_CHANGED,
            merchant,
            member.user.login_name,
            request,
            from_role=old,
            role=role,
        )
    return member


def staff_remove(
    *,
    membership: MerchantMembership,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """Take a person off the merchant's staff (the account stays); never the last owner."""
    with transaction.atomic():
        merchant = _lock_as_owner(membership.merchant, actor)
        member = _locked_member(merchant, membership)
        if _last_owner(member):
            raise ValidationFailed(
                _("The merchant needs an owner: make someone else an owner first."),
                code="last_owner",
            )
        _audit(
            actor,
            AuditEntry.Action.STAFF_REMOVED,
            merchant,
            member.user.login_name,
            request,
            role=member.role,
        )
        member.delete()


def invitation_revoke(
    *,
    invitation: MerchantInvitation,
    actor: User,
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> MerchantInvitation:
    """Withdraw an invitation that has not been used: its link stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        merchant = _lock_as_owner(invitation.merchant, actor)
        invitation = MerchantInvitation.objects.select_for_update().get(
            pk=invitation.pk, merchant=merchant
        )
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise InvalidTransition(
                _("This invitation has already been used or withdrawn."),
                code="invitation_closed",
            )
        invitation.revoked_at = now
        invitation.save(update_fields=["revoked_at"])
        _audit(
            actor,
            AuditEntry.Action.INVITATION_REVOKED,
            merchant,
            invitation.email,
            request,
            invitation=invitation.pk,
        )
    return invitation


PROFILE_FIELDS = ("contact_phone", "address", "industry", "pledges")


def merchant_profile_update(
    *,
    merchant: Merchant,
    actor: User,
    contact_phone: str,
    address: str,
    industry: str,
    pledges,
    request: HttpRequest | None = None,
) -> Merchant:
    """Change the merchant's contact phone, address, industry and pledges (owners only).

    The name, credit code and region are what the regulator approved: changing them takes a new
    application.
    """
    values = {
        "contact_phone": (contact_phone or "").strip(),
        "address": (address or "").strip(),
        "industry": (industry or "").strip(),
    }
    _check_contact(**values)
    values["pledges"] = _clean_pledges(pledges)
    with transaction.atomic():
        merchant = _lock_as_owner(merchant, actor)
        changed = [name for name in PROFILE_FIELDS if getattr(merchant, name) != values[name]]
        if not changed:
            return merchant
        for name in changed:
            setattr(merchant, name, values[name])
        merchant.save(update_fields=[*changed, "updated_at"])
        _audit(
            actor,
            AuditEntry.Action.MERCHANT_PROFILE_UPDATED,
            merchant,
            merchant.credit_code or merchant.name,
            request,
            target_type="merchant",
            fields=changed,
        )
    return merchant
