"""The office tree (product §2): materialised paths, the office for a region, supervision.

The `offices` fixture: national → Shanxi (140000) → Taiyuan (140100) → Xiaodian (140105) and
Yingze (140106).
"""

import pytest

from regulators.models import Office
from tests import factories as f


def test_an_office_path_lists_its_ancestors_ids_from_the_top(offices):
    national, shanxi, taiyuan, xiaodian = (
        offices[code] for code in ("000000", "140000", "140100", "140105")
    )
    assert national.path == f"/{national.pk}/"
    assert xiaodian.path == f"/{national.pk}/{shanxi.pk}/{taiyuan.pk}/{xiaodian.pk}/"
    xiaodian.refresh_from_db()
    assert xiaodian.path == f"/{national.pk}/{shanxi.pk}/{taiyuan.pk}/{xiaodian.pk}/"


def test_moving_an_office_moves_the_offices_below_it(offices):
    # An admin moves Taiyuan (and so Xiaodian and Yingze) directly under the national office.
    national, taiyuan, xiaodian = offices["000000"], offices["140100"], offices["140105"]
    taiyuan.parent = national
    taiyuan.save()
    xiaodian.refresh_from_db()
    assert xiaodian.path == f"/{national.pk}/{taiyuan.pk}/{xiaodian.pk}/"
    assert set(Office.objects.subtree_of(taiyuan)) == {
        taiyuan,
        xiaodian,
        offices["140106"],
    }


@pytest.mark.parametrize(
    ("region_code", "office_region"),
    [
        pytest.param("140105", "140105", id="the-office-of-the-region-itself"),
        pytest.param("140105001", "140105", id="a-township-goes-to-its-county"),
        pytest.param("140108", "140100", id="a-county-without-office-goes-to-its-city"),
        pytest.param("140200", "140000", id="a-city-without-office-goes-to-its-province"),
        pytest.param("330106", "000000", id="another-province-goes-to-the-national-office"),
    ],
)
def test_for_region_returns_the_most_specific_office_containing_it(
    offices, region_code, office_region
):
    assert Office.objects.for_region(region_code) == offices[office_region]


def test_for_region_is_none_when_no_office_contains_it(db):
    f.OfficeFactory(name="山西省市场监管局", region_code="140000", level=Office.Level.PROVINCE)
    assert Office.objects.for_region("330106") is None


def test_filing_reads_the_office_of_a_region_from_the_process_copy(
    offices, django_assert_num_queries
):
    first = Office.cached_for_region("140105")
    assert first == offices["140105"]

    with django_assert_num_queries(0):
        assert Office.cached_for_region("140105") is first


def test_a_new_office_is_found_by_the_next_complaint(offices):
    assert Office.cached_for_region("140105001") == offices["140105"]

    station = f.OfficeFactory(
        region_code="140105001", level=Office.Level.STATION, parent=offices["140105"]
    )

    assert Office.cached_for_region("140105001") == station


def test_subtree_of_an_office_is_it_and_everything_below_it(offices):
    taiyuan = offices["140100"]
    assert set(Office.objects.subtree_of(taiyuan)) == {
        taiyuan,
        offices["140105"],
        offices["140106"],
    }
    assert set(Office.objects.subtree_of(offices["140105"])) == {offices["140105"]}
    assert set(Office.objects.subtree_of(offices["000000"])) == set(offices.values())


def test_an_office_whose_id_begins_with_anothers_is_not_below_it(offices):
    # Paths end in "/", so the office with id 9001 does not contain the one with id 90011.
    national = offices["000000"]
    short = f.OfficeFactory(pk=9001, region_code="330000", level=1, parent=national)
    long = f.OfficeFactory(pk=90011, region_code="320000", level=1, parent=national)
    assert list(Office.objects.subtree_of(short)) == [short]
    assert not long.is_within(short)


@pytest.mark.parametrize(
    ("office", "other", "within"),
    [
        pytest.param("140105", "140105", True, id="an-office-is-within-itself"),
        pytest.param("140105", "140100", True, id="a-county-is-within-its-city"),
        pytest.param("140105", "000000", True, id="everything-is-within-the-national-office"),
        pytest.param("140100", "140105", False, id="a-city-is-not-within-its-county"),
        pytest.param("140106", "140105", False, id="a-sibling-is-not-within-another"),
    ],
)
def test_is_within_means_the_same_office_or_one_below_it(offices, office, other, within):
    assert offices[office].is_within(offices[other]) is within
