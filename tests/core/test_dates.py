"""A day written without its year is a day of this year; any other day shows its year, in both
languages, with the month and day never zero-padded (issue 25, item 7).

Built from the suite's day (TODAY), so that it means the same whatever ODR_TEST_NOW says.
"""

from datetime import UTC, date, datetime

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases import services
from tests.cases.helpers import offer
from tests.conftest import TODAY, on_day, sign_in

MONTH_DAY = engines["django"].from_string("{% load portal_dates %}{{ day|day }}")
ENGLISH_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def shown(day, language: str) -> str:
    with translation.override(language):
        return MONTH_DAY.render({"day": day})


@pytest.mark.parametrize("day", [date(TODAY.year, 2, 8), date(TODAY.year, 11, 20), TODAY])
def test_a_day_of_this_year_is_its_month_and_day_unpadded(day):
    assert shown(day, "zh-hans") == f"{day.month}月{day.day}日"
    assert shown(day, "en") == f"{ENGLISH_MONTHS[day.month - 1]} {day.day}"


@pytest.mark.parametrize("years", [1, -1])
def test_a_day_of_another_year_shows_its_year(years):
    day = date(TODAY.year + years, 2, 8)
    assert shown(day, "zh-hans") == f"{day.year}年2月8日"
    assert shown(day, "en") == f"February 8, {day.year}"


def test_an_instant_is_shown_on_its_day_in_shanghai():
    # 31 December 16:30 UTC is already 1 January of the next year in Shanghai.
    assert shown(datetime(TODAY.year, 12, 31, 16, 30, tzinfo=UTC), "zh-hans") == (
        f"{TODAY.year + 1}年1月1日"
    )
    assert shown(datetime(TODAY.year, 12, 31, 15, 30, tzinfo=UTC), "zh-hans") == "12月31日"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "{year}年2月8日"), ("en", "February 8, {year}")],
)
def test_a_deadline_next_year_shows_its_year_on_the_page(
    file_case, alice, mallory, language, expected
):
    next_year = TODAY.year + 1
    case = file_case(now=on_day(-2, 10))
    offer(case, mallory, on_day(-1, 9), fulfil_by=date(next_year, 2, 8))
    services.offer_accept(case=case, actor=alice, now=on_day(-1, 10))
    client = Client()
    client.cookies["django_language"] = language
    sign_in(client, alice)

    page = client.get(reverse("consumers:home")).content.decode()

    assert expected.format(year=next_year) in page
    assert "02月8日" not in page
