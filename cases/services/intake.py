"""Complaint intake (product §4): one service for every way a complaint comes in — the consumer's
form, the API, an officer registering a call, letter or visit, and the 12345 hotline.

It finds the consumer (signed in, or by the phone they gave), finds or describes the business,
checks the registering office's jurisdiction when there is one, and files the case, in one
transaction. Each caller names its own input fields: ``fields`` maps the engine's field names to
the caller's, so that an error is shown beside what the person typed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consumers.services import consumer_for_phone
from core.errors import ValidationFailed
from merchants.models import Merchant
from merchants.services import merchant_find_or_create_respondent
from regulators.models import Office

from ..models import Case, Channel
from .filing import case_file


@dataclass(frozen=True)
class Business:
    """A business as a complaint describes it when it is not one picked from the register: found
    by its credit code, or its name in its region, or recorded anew (not onboarded)."""

    name: str
    region_code: str
    credit_code: str = ""
    address: str = ""


def _merchant(respondent: "Merchant | Business") -> Merchant:
    if isinstance(respondent, Merchant):
        return respondent
    if not (respondent.name or "").strip():
        raise ValidationFailed(
            _("Name the business complained about."), code="required", field="name"
        )
    try:
        return merchant_find_or_create_respondent(
            name=respondent.name,
            region_code=respondent.region_code,
            credit_code=respondent.credit_code,
            address=respondent.address,
        )
    except ValidationError as error:
        bad_code = respondent.credit_code and respondent.region_code
        raise ValidationFailed(
            " ".join(error.messages), field="credit_code" if bad_code else "region_code"
        ) from None


def complaint_intake(
    *,
    respondent: "Merchant | Business",
    consumer=None,
    consumer_phone: str = "",
    consumer_name: str = "",
    channel: str = Channel.WEB,
    registered_by=None,
    within_office: Office | None = None,
    hotline_ticket: str = "",
    fields: dict[str, str] | None = None,
    now: datetime | None = None,
    **complaint,
) -> Case:
    """File a complaint against ``respondent`` and return the case.

    The consumer is ``consumer`` (signed in), or the account that holds ``consumer_phone`` (or a
    new one) for a complaint someone registers for them; ``registered_by`` is that officer or
    hotline account, and ``within_office`` the office whose jurisdiction the business must be in.
    ``complaint`` is what ``case_file`` takes (subject, facts, claim, amounts, dates, consents,
    evidence, ``filing_key``). An error names the caller's field, through ``fields``.
    """
    try:
        with transaction.atomic():
            if consumer is None:
                consumer = consumer_for_phone(phone=consumer_phone, name=consumer_name)
                complaint.setdefault("contact_phone", consumer_phone)
            merchant = _merchant(respondent)
            if within_office is not None and not within_office.covers(merchant.region_code):
                raise ValidationFailed(
                    _("This business is outside your office's jurisdiction."),
                    code="outside_jurisdiction",
                    field="region_code",
                )
            return case_file(
                consumer=consumer,
                merchant=merchant,
                channel=channel,
                filed_by=registered_by,
                hotline_ticket=hotline_ticket,
                now=now,
                **complaint,
            )
    except ValidationFailed as error:
        error.field = (fields or {}).get(error.field, error.field)
        raise
