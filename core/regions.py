"""Administrative region codes (GB/T 2260, six digits; GB/T 10114 township codes, nine digits).

A code names a region and, by its trailing zeros, the level of that region:
``140000`` Shanxi province, ``140100`` Taiyuan city, ``140105`` Xiaodian district, and
``140105001`` a township (street office) inside it. ``000000`` stands for the whole country.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NATIONAL = "000000"
# ASCII digits only, and the whole value: ``\d`` also matches full-width and other Unicode digits,
# and ``$`` accepts a trailing newline.
_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3})?")


def validate_region_code(value: str) -> None:
    if not _CODE.fullmatch(value or ""):
        raise ValidationError(
            _(
                "Enter a 6-digit administrative region code (e.g. 140105), "
                "or 9 digits for a township."
            ),
            code="invalid_region",
        )


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
