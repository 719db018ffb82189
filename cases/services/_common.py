"""What every case service shares: acting on a locked case, and checking what people typed."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.calendar import WorkCalendar, current_calendar
from core.errors import ValidationFailed

from ..deadlines import local_date
from ..due import case_apply_due
from ..models import Case, CaseEvent, DeadlinePolicy, Offer
from ..op import Op
from ..rules import Action, require_action

E = CaseEvent.Type


def context(now: datetime | None) -> tuple[datetime, DeadlinePolicy, WorkCalendar]:
    return now or timezone.now(), DeadlinePolicy.cached(), current_calendar()


@contextmanager
def acting(case: Case, actor, action: Action, now: datetime | None) -> Iterator[Op]:
    """Bring the case's deadlines up to date, lock it, check that ``actor`` may take ``action``,
    and save what the block changed. ``op.case`` is the locked, current case: services return it
    (or what they made), never the caller's copy."""
    now, policy, calendar = context(now)
    case_apply_due(case.pk, now=now, policy=policy, calendar=calendar)
    with transaction.atomic():
        # Only the case row is locked (``of``): its office and merchant are read with it, and
        # locking them too made every action on a merchant's cases wait for, and deadlock with,
        # the filings against that merchant (whose rows point at it).
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("office", "merchant")
            .get(pk=case.pk)
        )
        party = require_action(locked, actor, action, now=now)
        op = Op(locked, now, policy, calendar, actor=actor, party=party)
        yield op
        op.save()


def required_text(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code="required", field=field_name)
    return value


def text_limit(value: str, field_name: str, limit: int) -> None:
    if len(value) > limit:
        raise ValidationFailed(
            _("Keep this to %(limit)d characters or fewer (now %(count)d).")
            % {"limit": limit, "count": len(value)},
            code="too_long",
            field=field_name,
        )


def money(value, field_name: str = "amount") -> Decimal:
    """Return an amount in yuan (zero or more, at most two decimals) or refuse it."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ValidationFailed(
            _("Enter an amount in yuan, e.g. 199.00."), field=field_name
        ) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("Enter an amount of zero or more, with at most two decimals."), field=field_name
        )
    return amount


def terms_check(remedy: str, amount, text: str, text_missing: str) -> tuple[Decimal, str]:
    """Check the terms of an offer or agreement; return the amount and the text."""
    text = required_text(text, "text", text_missing)
    amount = money(amount)
    if remedy not in Offer.Remedy.values:
        raise ValidationFailed(_("Choose a remedy."), field="remedy")
    return amount, text


def fulfil_by_check(fulfil_by: date | None, now: datetime) -> None:
    """A fulfilment date is today or later (in Shanghai)."""
    if fulfil_by is None or fulfil_by < local_date(now):
        raise ValidationFailed(_("The fulfilment date must be today or later."), field="fulfil_by")


def purchase_date_check(purchase_date: date | None, now: datetime) -> None:
    """A purchase date is not in the future (in Shanghai)."""
    if purchase_date and purchase_date > local_date(now):
        raise ValidationFailed(
            _("The purchase date cannot be in the future."), field="purchase_date"
        )


def reason_check(code: str, text: str, choices) -> dict:
    """Check a reason code of ``choices``; "other" needs the reason in words."""
    if code not in choices.values:
        raise ValidationFailed(_("Choose a reason."), field="reason_code")
    text = (text or "").strip()
    if code == choices.OTHER and not text:
        raise ValidationFailed(_("Explain the reason."), code="required", field="reason_text")
    return {"reason_code": code, "reason_text": text}
