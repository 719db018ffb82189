"""Every write of the API app: service accounts, tokens (made, revoked, used) and complaints
transferred from the 12345 hotline."""

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ROLE_RELATIONS, merchant_membership, regulator_membership
from cases.models import Case, Channel
from cases.services import Business, complaint_intake
from core.errors import ActionNotAllowed, ValidationFailed
from merchants.models import Merchant, MerchantMembership
from regulators.models import Office, RegulatorMembership

from .models import ApiToken, ServiceAccount

# Every token starts with this, so that a secret scanner (or a person) recognises one.
TOKEN_PREFIX = "odr_"
# Bytes of randomness (secrets.token_urlsafe: 43 characters).
TOKEN_BYTES = 32
# A token's last use is written at most this often: an integration polling every second would
# otherwise turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_MAX = ApiToken._meta.get_field("name").max_length
TICKET_MAX = Case._meta.get_field("hotline_ticket").max_length


def token_hash(text: str) -> str:
    """The SHA-256 of a token's text: all that is stored of it."""
    return hashlib.sha256(text.encode()).hexdigest()


def _service_user(name: str) -> User:
    user = User(email=None, name=name[:100])
    user.set_unusable_password()
    user.save()
    return user


def service_account_for_merchant(merchant: Merchant, *, now: datetime) -> ServiceAccount:
    """The merchant's API user, made on its first token: on the staff as an agent, so the
    engine's rules for merchant staff apply to it. An owner who removed it from the staff
    puts it back by making a token."""
    account = ServiceAccount.objects.select_for_update().filter(
        merchant=merchant
    ).first() or ServiceAccount.objects.create(
        user=_service_user(f"{merchant.name} API"), merchant=merchant, created_at=now
    )
    MerchantMembership.objects.get_or_create(
        user=account.user, defaults={"merchant": merchant, "role": MerchantMembership.Role.AGENT}
    )
    return account


def service_account_for_office(office: Office, *, now: datetime) -> ServiceAccount:
    """The office's hotline user: it files complaints on consumers' behalf and stands on no case
    otherwise (no membership), so a hotline token can read nothing."""
    return ServiceAccount.objects.select_for_update().filter(
        office=office
    ).first() or ServiceAccount.objects.create(
        user=_service_user(f"{office.name} 12345"), office=office, created_at=now
    )


def _name_check(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the token a name."), code="required", field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("Keep the name to %(max)d characters.") % {"max": NAME_MAX},
            code="too_long",
            field="name",
        )
    return name


def _owner_of(actor, merchant: Merchant) -> None:
    membership = merchant_membership(actor)
    if membership is None or membership.merchant_id != merchant.pk:
        raise ActionNotAllowed(_("This is not your business."), code="not_your_merchant")
    if not membership.is_owner:
        raise ActionNotAllowed(_("Only the owners of the business can do this."), code="owner_only")


def _supervisor_of(actor, office: Office) -> None:
    membership = regulator_membership(actor)
    if (
        membership is None
        or membership.office_id != office.pk
        or membership.role != RegulatorMembership.Role.SUPERVISOR
    ):
        raise ActionNotAllowed(
            _("Only supervisors of the office can do this."), code="supervisor_only"
        )


def _token_new(account: ServiceAccount, *, actor, name: str, scope: str, now: datetime):
    text = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        name=name,
        scope=scope,
        account=account,
        prefix=text[:12],
        key_sha256=token_hash(text),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=settings.ODR_API_TOKEN_DAYS),
    )
    return token, text


@transaction.atomic
def api_token_create(
    *, merchant: Merchant, actor, name: str, scope: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a token for ``merchant`` (owners only); return it and its text, which is shown once
    and never stored."""
    now = now or timezone.now()
    _owner_of(actor, merchant)
    name = _name_check(name)
    if scope not in (ApiToken.Scope.READ, ApiToken.Scope.ACT):
        raise ValidationFailed(_("Choose what the token may do."), field="scope")
    account = service_account_for_merchant(merchant, now=now)
    return _token_new(account, actor=actor, name=name, scope=scope, now=now)


@transaction.atomic
def hotline_token_create(
    *, office: Office, actor, name: str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Make a 12345 hotline token for ``office`` (its supervisors only); return it and its text."""
    now = now or timezone.now()
    _supervisor_of(actor, office)
    name = _name_check(name)
    account = service_account_for_office(office, now=now)
    return _token_new(account, actor=actor, name=name, scope=ApiToken.Scope.HOTLINE, now=now)


def api_token_revoke(*, token: ApiToken, actor, now: datetime | None = None) -> ApiToken:
    """Stop a token for good; revoking it again changes nothing."""
    account = token.account
    if account.merchant_id is not None:
        _owner_of(actor, account.merchant)
    else:
        _supervisor_of(actor, account.office)
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = now or timezone.now(), actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_tokens_revoke_by_admin(tokens, *, actor, now: datetime) -> int:
    """A platform admin stops ``tokens`` (a queryset) at once; return how many were live."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)


def api_token_find(text: str) -> ApiToken | None:
    """The token whose text this is, live or not, with the user it acts as."""
    if not text.startswith(TOKEN_PREFIX) or len(text) > 100:
        return None
    roles = [f"account__user__{relation}" for relation in ROLE_RELATIONS]
    tokens = ApiToken.objects.select_related("account__user", *roles)
    return tokens.filter(key_sha256=token_hash(text)).first()


def api_token_used(token: ApiToken, now: datetime) -> None:
    """Record that the token was used now (to the minute)."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- 12345 hotline intake ----------------------------------------------------------------------


# The engine's fields as the API's requests name them.
REQUEST_FIELDS = {
    "name": "merchant_name",
    "region_code": "merchant_region_code",
    "credit_code": "merchant_credit_code",
    "merchant": "merchant_region_code",  # no office covers the business's region
    "phone": "consumer_phone",
}


def consumer_complaint_file(
    *,
    consumer: User,
    merchant_name: str,
    merchant_region_code: str,
    merchant_credit_code: str = "",
    merchant_address: str = "",
    now: datetime | None = None,
    **complaint,
) -> Case:
    """A consumer's complaint sent through the API (channel ``api``), against the business found
    by its credit code or its name in its region, or recorded anew: what the filing form does,
    in one request. Evidence is attached afterwards with the ``add_evidence`` action."""
    return complaint_intake(
        respondent=Business(
            name=merchant_name,
            region_code=merchant_region_code,
            credit_code=merchant_credit_code,
            address=merchant_address,
        ),
        consumer=consumer,
        channel=Channel.API,
        fields=REQUEST_FIELDS,
        now=now,
        **complaint,
    )


def hotline_complaint_register(
    *,
    token: ApiToken,
    ticket: str,
    consumer_phone: str,
    consumer_name: str = "",
    merchant_name: str,
    merchant_region_code: str,
    merchant_credit_code: str = "",
    merchant_address: str = "",
    subject: str,
    facts: str,
    claim: str,
    claim_remedy: str = "",
    amount_claimed: Decimal | None = None,
    amount_paid: Decimal | None = None,
    purchase_date=None,
    order_reference: str = "",
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Register a complaint the 12345 hotline transferred to the token's office; return the case
    and whether it is new. The hotline's ticket number is kept on the case: a transfer repeated
    by the same office returns the case it made, never a second one.

    The consumer is the account that holds ``consumer_phone`` (or a new one); the business is
    found by its credit code, or its name in its region, or described anew. The complaint must
    belong to the office's jurisdiction (the office or one below it handles the business).
    """
    account = token.account
    if account.office_id is None or token.scope != ApiToken.Scope.HOTLINE:
        raise ActionNotAllowed(_("Only a 12345 hotline token can do this."), code="token_scope")
    ticket = (ticket or "").strip()
    if not ticket:
        raise ValidationFailed(
            _("Give the hotline's ticket number."), code="required", field="ticket"
        )
    if len(ticket) > TICKET_MAX:
        raise ValidationFailed(
            _("A ticket number has at most %(max)d characters.") % {"max": TICKET_MAX},
            code="too_long",
            field="ticket",
        )
    existing = _ticket_case(account, ticket)
    if existing is not None:
        return existing, False
    try:
        case = complaint_intake(
            respondent=Business(
                name=merchant_name,
                region_code=merchant_region_code,
                credit_code=merchant_credit_code,
                address=merchant_address,
            ),
            consumer_phone=consumer_phone,
            consumer_name=consumer_name,
            channel=Channel.HOTLINE_12345,
            registered_by=account.user,
            within_office=account.office,
            hotline_ticket=ticket,
            fields=REQUEST_FIELDS,
            subject=subject,
            facts=facts,
            claim=claim,
            claim_remedy=claim_remedy,
            amount_claimed=amount_claimed,
            amount_paid=amount_paid,
            purchase_date=purchase_date,
            order_reference=order_reference,
            now=now,
        )
    except IntegrityError:
        existing = _ticket_case(account, ticket)
        if existing is None:
            raise
        return existing, False
    return case, True


def _ticket_case(account: ServiceAccount, ticket: str) -> Case | None:
    """The case this office made for ``ticket``; another office's ticket of the same number is
    a conflict, and says nothing about that case."""
    case = Case.objects.select_related("merchant", "office").filter(hotline_ticket=ticket).first()
    if case is None:
        return None
    if case.filed_by_id != account.user_id:
        raise ActionNotAllowed(
            _("This ticket number was registered by another office."), code="ticket_taken"
        )
    return case
