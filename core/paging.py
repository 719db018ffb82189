"""Keyset pagination for every list page: the next page starts after the last row shown, found
through the index that orders the list, so page 1,000 costs what page 1 costs (no OFFSET).

A list is ordered by one column and the primary key as a tie-break, both in the same direction,
and the rows after the cursor are selected with a row comparison (``(filed_at, id) < (%s, %s)``)
that the database answers as one range of that index. A nullable column orders its NULL rows
last (by pk), read by a second query once the others run out. The cursor in the URL is the last
row's (value, pk), encoded; a cursor that does not decode is taken as the first page.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import F, Field, Func, QuerySet, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.dateparse import parse_datetime


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    is_first: bool


class _Row(Func):
    """A row value, ``(a, b)``: compared element by element, as an index on (a, b) is ordered."""

    template = "(%(expressions)s)"
    arg_joiner = ", "
    output_field = Field()


def keyset_page(
    queryset: QuerySet,
    *,
    field: str,
    descending: bool,
    cursor: str | None,
    size: int,
    nulls: bool = True,
) -> KeysetPage:
    """Return ``size`` rows of ``queryset`` ordered by ``field`` then pk, after ``cursor``.

    A NULL ``field`` sorts after every value (both directions), its rows by ascending pk. One
    query, or two for the page that runs from the rows with a value into those without;
    ``nulls=False`` says the list has no NULL there (a queue whose status always sets its
    deadline), so that second query is never needed.
    """
    after = _decode(cursor)
    wanted = size + 1
    rows: list = []
    if after is None or after[0] is not None:
        valued = queryset.filter(**{f"{field}__isnull": False})
        sign = "-" if descending else ""
        valued = valued.order_by(f"{sign}{field}", f"{sign}pk")
        if after is not None:
            value, pk = after
            compare = LessThan if descending else GreaterThan
            row = _Row(F(field), F("pk"))
            valued = valued.filter(compare(row, _Row(Value(value), Value(pk))))
        rows = list(valued[:wanted])
    if len(rows) < wanted and nulls and queryset.model._meta.get_field(field).null:
        nulls = queryset.filter(**{f"{field}__isnull": True}).order_by("pk")
        if after is not None and after[0] is None:
            nulls = nulls.filter(pk__gt=after[1])
        rows += list(nulls[: wanted - len(rows)])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = _encode(getattr(rows[-1], field), rows[-1].pk) if more else None
    return KeysetPage(rows=rows, next_cursor=next_cursor, is_first=after is None)


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
