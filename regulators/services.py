"""Every write of the regulator portal that is not a change to a case or to a merchant's ODR
status (those are ``cases.services`` and ``merchants.services``): the daily callback sample,
invitations to onboard, merchants' flags on profit-seeking complaints and the regulator's
decisions on complainants (product §3, §6, §7)."""

import hashlib
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import regulator_membership
from cases.deadlines import local_date
from cases.models import Case
from cases.rules import Party, case_party
from core.errors import ActionNotAllowed, ValidationFailed
from core.regions import region_contains
from merchants.models import Merchant
from merchants.selectors import start_of_day

from .models import (
    BusinessInvitation,
    CallbackSample,
    ComplainantFlag,
    ComplainantReview,
    Office,
    RegulatorMembership,
)
from .selectors import office_cases

# --- Callback visits (回访, SAMR Order 121; product §7) ------------------------------------------

# Buckets of the sampling hash: a share is kept to this precision (0.0001).
_BUCKETS = 10_000


def callback_share() -> float:
    """The share of closed cases sampled for a callback (``ODR_CALLBACK_SHARE``), within 0–1."""
    return min(max(float(settings.ODR_CALLBACK_SHARE), 0.0), 1.0)


def callback_selected(case_id: int, share: float) -> bool:
    """Return whether the case with ``case_id`` falls in a sample of ``share`` of the cases.

    The choice is a hash of the id, not a random draw: the same case is always in or out for a
    given share, so a sample taken twice is the same sample, and a test can name its cases.
    """
    digest = hashlib.sha256(f"callback:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS < round(share * _BUCKETS)


def callback_sample(
    *, day: date | None = None, now: datetime | None = None, share: float | None = None
) -> int:
    """Put a share of the cases closed on ``day`` (Shanghai; by default the day before ``now``)
    into the callback list of the office that owns each case. Return how many were chosen.

    Safe to run twice, or twice at once: a case has at most one sample row (a unique constraint),
    and the rows are inserted ignoring the ones already there.
    """
    now = now or timezone.now()
    day = day or local_date(now) - timedelta(days=1)
    share = callback_share() if share is None else share
    closed = (
        Case.objects.filter(
            closed_at__gte=start_of_day(day), closed_at__lt=start_of_day(day + timedelta(days=1))
        )
        .order_by()
        .values_list("pk", "office_id", "closed_at")
    )
    chosen = [
        CallbackSample(case_id=pk, office_id=office_id, closed_at=closed_at, sampled_at=now)
        for pk, office_id, closed_at in closed.iterator(chunk_size=2000)
        if callback_selected(pk, share)
    ]
    CallbackSample.objects.bulk_create(chosen, batch_size=1000, ignore_conflicts=True)
    return len(chosen)


# --- Steering businesses into ODR (product §3) ---------------------------------------------------


def _staff(actor: User) -> RegulatorMembership:
    membership = regulator_membership(actor)
    if membership is None:
        raise ActionNotAllowed(_("Only regulator staff can do this."), code="not_regulator")
    return membership


def business_invite(
    *,
    merchant: Merchant,
    actor: User,
    channel: str,
    email: str = "",
    site_url: str = "",
    now: datetime | None = None,
) -> BusinessInvitation:
    """Invite a business that is not onboarded, in the regions of ``actor``'s office, to apply:
    by email to the contact address the officer gives (sent once the invitation is committed,
    in the officer's language), or by a printed letter. Either way the invitation is recorded.
    """
    now = now or timezone.now()
    office = _staff(actor).office
    if not region_contains(office.region_code, merchant.region_code):
        raise ActionNotAllowed(
            _("This business is outside your office's regions."), code="not_your_region"
        )
    if merchant.odr_status != Merchant.OdrStatus.NOT_ONBOARDED:
        raise ValidationFailed(
            _("This business has already applied or is onboarded."), code="not_invitable"
        )
    if channel not in BusinessInvitation.Channel.values:
        raise ValidationFailed(_("Choose how to send the invitation."), field="channel")
    email = (email or "").strip().lower()
    if channel == BusinessInvitation.Channel.EMAIL:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationFailed(error.messages[0], code=error.code, field="email") from None
    else:
        email = ""
    with transaction.atomic():
        invitation = BusinessInvitation.objects.create(
            office=office,
            merchant=merchant,
            sent_by=actor,
            sent_at=now,
            channel=channel,
            email=email,
        )
        if email:
            link = site_url.rstrip("/") + reverse("merchants:apply")
            language = translation.get_language()
            transaction.on_commit(lambda: _invitation_send(invitation, link, language), robust=True)
    return invitation


def _invitation_send(invitation: BusinessInvitation, link: str, language: str | None) -> None:
    with translation.override(language):
        context = {"invitation": invitation, "link": link}
        subject = render_to_string("regulators/steering/email/invitation_subject.txt", context)
        body = render_to_string("regulators/steering/email/invitation_body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [invitation.email])


# --- Abnormal complainants (product §6) -----------------------------------------------------------

REASON_MAX_CHARS = 2000


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason."), code="required", field="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationFailed(
            _("Keep this to %(limit)d characters or fewer.") % {"limit": REASON_MAX_CHARS},
            code="too_long",
            field="reason",
        )
    return reason


def complainant_flag(
    *, case: Case, actor: User, reason: str, now: datetime | None = None
) -> ComplainantFlag:
    """Flag a complaint against ``actor``'s merchant as suspected profit-seeking (牟利性投诉), with
    the reason. It brings the complainant before the regulator, who alone decides; once a case.
    """
    reason = _reason(reason)
    if case_party(case, actor) != Party.MERCHANT:
        raise ActionNotAllowed(_("You cannot act on this case."), code="not_your_case")
    try:
        with transaction.atomic():
            return ComplainantFlag.objects.create(
                case=case,
                merchant_id=case.merchant_id,
                reason=reason,
                flagged_by=actor,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise ValidationFailed(
            _("This complaint has already been flagged."), code="already_flagged"
        ) from None


def complainant_review(
    *, consumer: User, actor: User, decision: str, reason: str, now: datetime | None = None
) -> ComplainantReview:
    """Record a regulator's decision on whether ``consumer`` is an abnormal complainant, with the
    reason: only regulator staff whose office's subtree holds a complaint of theirs decide."""
    office: Office = _staff(actor).office
    if decision not in ComplainantReview.Decision.values:
        raise ValidationFailed(_("Choose the decision."), field="decision")
    reason = _reason(reason)
    if not office_cases(office).filter(consumer=consumer).exists():
        raise ActionNotAllowed(
            _("This person has no complaint in your office's jurisdiction."),
            code="not_your_complainant",
        )
    return ComplainantReview.objects.create(
        consumer=consumer,
        office=office,
        reviewer=actor,
        decision=decision,
        reason=reason,
        created_at=now or timezone.now(),
    )
