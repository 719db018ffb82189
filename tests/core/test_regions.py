"""Administrative region codes (GB/T 2260, township codes GB/T 10114) and office lookup."""

import pytest
from django.core.exceptions import ValidationError

from core.regions import region_ancestors, region_contains, region_prefix, validate_region_code
from regulators.models import Office
from tests.factories import OfficeFactory


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        pytest.param("000000", "", id="nation-contains-everything"),
        pytest.param("140000", "14", id="province-shanxi"),
        pytest.param("140100", "1401", id="city-taiyuan"),
        pytest.param("140105", "140105", id="county-xiaodian"),
        pytest.param("140105001", "140105001", id="township"),
        pytest.param("110000", "11", id="municipality-beijing"),
        pytest.param("110101", "110101", id="beijing-dongcheng-district"),
    ],
)
def test_region_prefix_drops_the_levels_a_code_leaves_open(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


@pytest.mark.parametrize(
    ("code", "ancestors"),
    [
        pytest.param("140105", ["140105", "140100", "140000", "000000"], id="county"),
        pytest.param(
            "140105001", ["140105001", "140105", "140100", "140000", "000000"], id="township"
        ),
        pytest.param("140100", ["140100", "140000", "000000"], id="city"),
        pytest.param("140000", ["140000", "000000"], id="province"),
        pytest.param("000000", ["000000"], id="nation"),
        pytest.param("110101", ["110101", "110100", "110000", "000000"], id="beijing-district"),
        pytest.param("500230", ["500230", "500200", "500000", "000000"], id="chongqing-county"),
        # Dongguan has no counties: its towns sit directly under the prefecture-level city.
        pytest.param("441900003", ["441900003", "441900", "440000", "000000"], id="dongguan-town"),
    ],
)
def test_region_ancestors_run_from_the_code_up_to_the_nation(
    code: str, ancestors: list[str]
) -> None:
    assert region_ancestors(code) == ancestors


@pytest.mark.parametrize(
    ("outer", "inner", "contains"),
    [
        pytest.param("000000", "140105001", True, id="nation-contains-a-township"),
        pytest.param("140000", "140105", True, id="province-contains-its-county"),
        pytest.param("140100", "140105001", True, id="city-contains-its-township"),
        pytest.param("140105", "140105", True, id="region-contains-itself"),
        pytest.param("140105", "140105001", True, id="county-contains-its-township"),
        pytest.param("140105", "140106", False, id="county-not-its-sibling"),
        pytest.param("140105", "140100", False, id="county-not-its-city"),
        pytest.param("140105001", "140105", False, id="township-not-its-county"),
        pytest.param("140100", "140200", False, id="taiyuan-not-datong"),
        pytest.param("140000", "110101", False, id="shanxi-not-beijing"),
        pytest.param("140105001", "140105002", False, id="township-not-its-sibling"),
    ],
)
def test_region_contains(outer: str, inner: str, contains: bool) -> None:
    assert region_contains(outer, inner) is contains


@pytest.mark.parametrize("code", ["000000", "140105", "140105001"])
def test_six_and_nine_digit_codes_are_valid(code: str) -> None:
    validate_region_code(code)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("", id="empty"),
        pytest.param("14010", id="five-digits"),
        pytest.param("1401050", id="seven-digits"),
        pytest.param("14010500", id="eight-digits"),
        pytest.param("14010A", id="letter"),
        pytest.param("140105\n", id="trailing-newline"),
        pytest.param("１４０１０５", id="full-width-digits"),
        pytest.param("١٤٠١٠٥", id="arabic-indic-digits"),
    ],
)
def test_anything_but_six_or_nine_ascii_digits_is_invalid(code: str) -> None:
    with pytest.raises(ValidationError):
        validate_region_code(code)


@pytest.mark.parametrize(
    ("region", "office"),
    [
        pytest.param("140105", "140105", id="county-own-office"),
        pytest.param("140105001", "140105", id="township-goes-to-its-county"),
        pytest.param("140106", "140106", id="sibling-county-own-office"),
        pytest.param("140107", "140100", id="county-without-office-goes-to-city"),
        pytest.param("140100", "140100", id="city-own-office"),
        pytest.param("140202", "140000", id="city-without-office-goes-to-province"),
        pytest.param("110101", "000000", id="province-without-office-goes-to-nation"),
    ],
)
def test_for_region_picks_the_most_specific_office(offices, region: str, office: str) -> None:
    assert Office.objects.for_region(region) == offices[office]


def test_for_region_prefers_a_township_station_over_its_county(offices) -> None:
    station = OfficeFactory(
        region_code="140105001", level=Office.Level.STATION, parent=offices["140105"]
    )

    assert Office.objects.for_region("140105001") == station
    assert Office.objects.for_region("140105002") == offices["140105"]


def test_for_region_finds_nothing_outside_every_office(db) -> None:
    shanxi = OfficeFactory(region_code="140000", level=Office.Level.PROVINCE)

    assert Office.objects.for_region("140105") == shanxi
    assert Office.objects.for_region("110101") is None
