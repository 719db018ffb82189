"""Unified social credit codes (统一社会信用代码), GB 32100-2015.

Eighteen characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
registration authority, organisation type, six-digit region code, nine-character organisation
code, and a check character computed from the first seventeen.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """Return the check character for the first seventeen characters of a code."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise ValidationError(
            _("These characters cannot appear in a unified social credit code: %(chars)s."),
            code="credit_code_characters",
            params={"chars": " ".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("Characters 3 to 8 of the code must be the six-digit region code."),
            code="credit_code_region",
        )
    if check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The last character (check digit) does not match; please check the code for typos."),
            code="credit_code_check_digit",
        )
