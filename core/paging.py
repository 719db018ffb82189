"""Keyset pagination for every list page: the next page starts after the last row shown, found
through the index that orders the list, so page 1,000 costs what page 1 costs (no OFFSET).

A list is ordered by one column and the primary key as a tie-break, both in the same direction.
The cursor in the URL is the last row's (value, pk), encoded; a cursor that does not decode is
taken as the first page.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    is_first: bool


def keyset_page(
    queryset: QuerySet, *, field: str, descending: bool, cursor: str | None, size: int
) -> KeysetPage:
    """Return ``size`` rows of ``queryset`` ordered by ``field`` then pk, after ``cursor``."""
    sign = "-" if descending else ""
    rows = queryset.order_by(f"{sign}{field}", f"{sign}pk")
    after = _decode(cursor)
    if after is not None:
        value, pk = after
        before_or_after = "lt" if descending else "gt"
        rows = rows.filter(
            Q(**{f"{field}__{before_or_after}": value})
            | Q(**{field: value, f"pk__{before_or_after}": pk})
        )
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    next_cursor = _encode(getattr(page[-1], field), page[-1].pk) if more else None
    return KeysetPage(rows=page, next_cursor=next_cursor, is_first=after is None)


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime | date):
        value = {"t": value.isoformat()}
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[Any, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict):
            value = parse_datetime(value["t"])
            if value is None:
                return None
        if not isinstance(pk, int) or isinstance(pk, bool):
            return None
        return value, pk
    except (ValueError, TypeError, KeyError):
        return None
