"""Filing a complaint (product §4): the case starts at the merchant or at the regulator."""

import secrets
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import MOBILE
from core.errors import ValidationFailed
from regulators.models import Office

from ..deadlines import local_date
from ..evidence import check_evidence_file
from ..ledger import text_sha256
from ..models import Case, Channel, Remedy, Status
from ..op import Op
from ..rules import Party
from ..selectors import case_filed_with
from ._common import E, context, money, purchase_date_check, required_text, text_limit
from .evidence import evidence_store, files_removed_on_failure

# The longest texts a complaint takes, in characters (the filing form shows them as counters).
TEXT_LIMITS = {"subject": 100, "facts": 2000, "claim": 500}
NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _new_number(now: datetime) -> str:
    suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{local_date(now):%Y%m%d}-{suffix}"


def case_file(
    *,
    consumer,
    merchant,
    subject: str,
    facts: str,
    claim: str,
    amount_claimed: Decimal | None = None,
    claim_remedy: str = "",
    amount_paid: Decimal | None = None,
    contact_phone: str | None = None,
    purchase_date: date | None = None,
    order_reference: str = "",
    channel: str = Channel.WEB,
    consent_disclosure: bool = False,
    consent_contact: bool = False,
    filed_by=None,
    evidence: list | None = None,
    number: str | None = None,
    filing_key: str = "",
    hotline_ticket: str = "",
    now: datetime | None = None,
) -> Case:
    """File a complaint. An active ODR merchant receives it (``submitted``); any other goes to the
    regulator office whose region most specifically contains the merchant's (``regulator_intake``).

    The case number is random unless ``number`` is given (demo data with documented numbers).
    ``contact_phone`` defaults to the consumer's own phone. ``evidence`` files are checked before
    anything is written and recorded in the chain right after the filing; a refused file files
    nothing.

    ``filing_key`` names one attempt to file (the form keeps one per complaint being written, an
    API client sends it as ``Idempotency-Key``): the same key from the same consumer again
    returns the case already filed instead of filing it twice. ``hotline_ticket`` is the 12345
    hotline's number of a transferred complaint (unique: two transfers of one ticket racing each
    other fail the second's transaction); like every fact of the filing, the chain carries it.
    """
    if filing_key and (filed := case_filed_with(consumer, filing_key)):
        return filed
    now, policy, calendar = context(now)
    subject = required_text(
        subject, "subject", _("Say in a few words what the complaint is about.")
    )
    facts = required_text(facts, "facts", _("Describe what happened."))
    claim = required_text(claim, "claim", _("Say what you ask the merchant to do."))
    for field, value in (("subject", subject), ("facts", facts), ("claim", claim)):
        text_limit(value, field, TEXT_LIMITS[field])
    if claim_remedy and claim_remedy not in Remedy.values:
        raise ValidationFailed(_("Choose a remedy."), field="claim_remedy")
    if amount_claimed is not None:
        amount_claimed = money(amount_claimed, "amount_claimed")
    if amount_paid is not None:
        amount_paid = money(amount_paid, "amount_paid")
    contact_phone = (consumer.phone if contact_phone is None else contact_phone).strip()
    if contact_phone and not MOBILE.fullmatch(contact_phone):
        raise ValidationFailed(
            _("Enter an 11-digit mainland mobile number, e.g. 13812341234."),
            field="contact_phone",
        )
    purchase_date_check(purchase_date, now)
    office = Office.cached_for_region(merchant.region_code)
    if office is None:
        raise ValidationFailed(
            _("No regulator office covers the merchant's region %(code)s.")
            % {"code": merchant.region_code},
            code="no_office",
            field="merchant",
        )
    if number is not None and Case.objects.filter(number=number).exists():
        raise ValidationFailed(_("That case number is taken."), code="duplicate", field="number")
    # The files last: every check that needs none of them is made before any is read.
    checked = [check_evidence_file(file) for file in evidence or []]
    # No savepoint of its own inside a caller's transaction (the API, the form and the
    # regulator's registration find or record the business first): whatever fails in here
    # fails the whole filing, and the caller's transaction is rolled back with it.
    with files_removed_on_failure() as stored, transaction.atomic(savepoint=False):
        case = Case(
            number=number or _new_number(now),
            consumer=consumer,
            merchant=merchant,
            office=office,
            channel=channel,
            subject=subject,
            facts=facts,
            claim=claim,
            amount_claimed=amount_claimed,
            claim_remedy=claim_remedy,
            amount_paid=amount_paid,
            contact_phone=contact_phone,
            purchase_date=purchase_date,
            order_reference=(order_reference or "").strip(),
            consent_disclosure=consent_disclosure,
            consent_contact=consent_contact,
            filed_by=filed_by,
            filed_at=now,
            filing_key=filing_key,
            hotline_ticket=hotline_ticket,
        )
        while Case.objects.filter(number=case.number).exists():
            case.number = _new_number(now)
        party = Party.OFFICE if filed_by is not None else Party.CONSUMER
        op = Op(case, now, policy, calendar, actor=filed_by or consumer, party=party)
        op.transition(
            Status.SUBMITTED if merchant.receives_complaints_directly else Status.REGULATOR_INTAKE,
            E.FILED,
            data={
                "consumer": consumer.pk,
                "merchant": merchant.pk,
                "office": office.pk,
                "channel": channel,
                "merchant_odr_status": merchant.odr_status,
                "subject_sha256": text_sha256(subject),
                "facts_sha256": text_sha256(facts),
                "claim_sha256": text_sha256(claim),
                "amount_claimed": str(amount_claimed) if amount_claimed is not None else None,
                "claim_remedy": claim_remedy,
                "amount_paid": str(amount_paid) if amount_paid is not None else None,
                "contact_phone_sha256": text_sha256(contact_phone),
                "purchase_date": purchase_date.isoformat() if purchase_date else None,
                "order_reference": case.order_reference,
                "consent_disclosure": consent_disclosure,
                "consent_contact": consent_contact,
                **({"hotline_ticket": hotline_ticket} if hotline_ticket else {}),
            },
        )
        op.save()
        if checked:  # the files need the saved case; their events follow the filing's
            evidence_store(op, checked, stored)
            op.save()
    return case
