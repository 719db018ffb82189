"""The language switcher names each language in its own words, whatever the page's language: a
reader of the other language has to recognise it (issue 25, item 6)."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", [None, "zh-hans", "en"])
def test_each_language_is_named_in_its_own_words(language):
    client = Client()
    if language:
        client.cookies["django_language"] = language
    page = client.get("/").content.decode()
    switcher = re.search(r'<select[^>]*id="language-select".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', switcher)
    assert options == [("zh-hans", "简体中文"), ("en", "English")]
    chosen = re.search(r'<option value="([^"]+)"[^>]* selected>', switcher).group(1)
    assert chosen == (language or "zh-hans")
