"""Unified social credit codes, GB 32100-2015.

The check character is C18 = 31 - (Σ value(Ci) × Wi mod 31), with 31 written as 0, where the
values are the positions in 0123456789ABCDEFGHJKLMNPQRTUWXY (A = 10 … Y = 30) and the weights are
3^(i-1) mod 31: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
"""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.credit_code import ALPHABET, check_character, normalize_credit_code, validate_credit_code

VALID_CODES = [
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4:
    # 9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 + 0 + 8 + 0 + 0 + 900 + 112 = 1640;
    # 1640 mod 31 = 28 (31 × 52 = 1612); 31 - 28 = 3.
    pytest.param("91350100M000100Y43", id="enterprise-fuzhou-check-3"),
    # 9 1 4 4 0 3 0 0 M(21) A(10) 5 E(14) X(29) A(10) M(21) P(23) L(20):
    # 9 + 3 + 36 + 108 + 0 + 78 + 0 + 0 + 420 + 290 + 125 + 182 + 232 + 240 + 210 + 690 + 560
    # = 3183; 3183 mod 31 = 21 (31 × 102 = 3162); 31 - 21 = 10, which is A.
    pytest.param("91440300MA5EXAMPLA", id="enterprise-shenzhen-check-letter"),
    # Y(30) 1 1 1 0 1 0 5 0 0 0 0 0 0 0 0 X(29):
    # 30 + 3 + 9 + 27 + 0 + 26 + 0 + 85 + 29 × 28 (812) = 992 = 31 × 32; 31 - 0 = 31, written 0.
    pytest.param("Y111010500000000X0", id="other-authority-check-31-written-as-0"),
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_code_passes(code: str) -> None:
    validate_credit_code(code)


@pytest.mark.parametrize("code", VALID_CODES)
def test_check_character_matches_the_worked_example(code: str) -> None:
    assert check_character(code[:17]) == code[17]


def error_code(value: str) -> str:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(value)
    return excinfo.value.code


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("91350100M000100Y44", id="check-3-written-4"),
        pytest.param("91350100M000100Y4Y", id="check-3-written-Y"),
        pytest.param("91440300MA5EXAMPL0", id="check-A-written-0"),
        pytest.param("91350100M000010Y43", id="two-digits-swapped"),
    ],
)
def test_wrong_check_character_is_rejected(code: str) -> None:
    assert error_code(code) == "credit_code_check_digit"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("", id="empty"),
        pytest.param("91350100M000100Y4", id="17-characters"),
        pytest.param("91350100M000100Y433", id="19-characters"),
        pytest.param("350100M000100Y4", id="organisation-code-only"),
    ],
)
def test_wrong_length_is_rejected(code: str) -> None:
    assert error_code(code) == "credit_code_length"


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_letters_outside_the_standard_alphabet_are_rejected(letter: str) -> None:
    code = "91350100M000100" + letter + "43"

    assert error_code(code) == "credit_code_characters"


def test_punctuation_is_rejected() -> None:
    assert error_code("91350100-000100Y43") == "credit_code_characters"


def test_letters_in_the_region_code_are_rejected() -> None:
    body = "9135A100M000100Y4"

    assert error_code(body + check_character(body)) == "credit_code_region"


def test_lowercase_and_surrounding_spaces_are_normalised() -> None:
    assert normalize_credit_code(" 91350100m000100y43\n") == "91350100M000100Y43"
    validate_credit_code(" 91350100m000100y43\n")


bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.text(ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@given(body=bodies)
def test_every_body_with_its_check_character_is_valid(body: str) -> None:
    validate_credit_code(body + check_character(body))


@given(body=bodies, data=st.data())
def test_changing_any_single_character_makes_a_valid_code_invalid(body: str, data) -> None:
    code = body + check_character(body)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    # Any character, except the original and what normalises to it (its lowercase).
    replacement = data.draw(
        st.one_of(st.sampled_from(ALPHABET + "IOZSV"), st.characters()).filter(
            lambda c: normalize_credit_code(c) != code[position]
        ),
        label="replacement",
    )
    changed = code[:position] + replacement + code[position + 1 :]

    with pytest.raises(ValidationError):
        validate_credit_code(changed)
