"""Reading merchants (the one place their lists are scoped and ordered)."""

import re

from django.db.models import Case as Choose
from django.db.models import IntegerField, QuerySet, Value, When
from django.db.models.functions import Length

from core.credit_code import normalize_credit_code

from .models import Merchant

# How many name matches are ranked for a search: a common word ("有限公司") matches most rows, and
# ranking all of them would sort the table. The trigram index finds this many; they are ranked.
SEARCH_CANDIDATES = 200
SEARCH_MIN_CHARS = 2
SEARCH_MAX_CHARS = 50
_CREDIT_CODE = re.compile(r"[0-9A-Z]{18}")


def merchant_search(query: str, *, limit: int = 8) -> list[Merchant]:
    """Return known businesses whose name contains ``query``, or whose unified social credit code
    is ``query``: active ODR merchants first, then the closest names. One query."""
    query = (query or "").strip()[:SEARCH_MAX_CHARS]
    code = normalize_credit_code(query)
    if _CREDIT_CODE.fullmatch(code):
        return list(Merchant.objects.filter(credit_code=code)[:1])
    if len(query) < SEARCH_MIN_CHARS:
        return []
    candidates = Merchant.objects.filter(name__contains=query).values("pk")[:SEARCH_CANDIDATES]
    return list(_ranked(Merchant.objects.filter(pk__in=candidates))[:limit])


def _ranked(merchants: QuerySet[Merchant]) -> QuerySet[Merchant]:
    active_first = Choose(
        When(odr_status=Merchant.OdrStatus.ACTIVE, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return merchants.order_by(active_first, Length("name"), "name", "pk")
