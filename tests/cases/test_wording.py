"""Every event type and every deadline has its own wording, in both languages (product §4)."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from cases.models import DEADLINES, CaseEvent

CJK = re.compile(r"[\u4e00-\u9fff]")
SAMPLE_DATA = {
    "to": "submitted",
    "party": "merchant",
    "proposer": "merchant",
    "remedy": "refund",
    "amount": "299.00",
    "fulfil_by": "2026-03-20",
    "working_days_before": 3,
    "deadline": "settle",
    "reason_code": "other",
    "law": "《广告法》",
    "outcome": "no_case",
    "rating": 4,
    "satisfied": True,
}


def _words(event_type: str, language: str) -> str:
    event = CaseEvent(type=event_type, data=SAMPLE_DATA, seq=1)
    with translation.override(language):
        return render_to_string("cases/_event_text.html", {"event": event}).strip()


@pytest.mark.parametrize("event_type", CaseEvent.Type.values)
def test_every_event_type_has_its_own_wording_in_both_languages(event_type):
    english, chinese = _words(event_type, "en"), _words(event_type, "zh-hans")
    fallback = _words("no_such_type", "en")
    assert english and english != fallback
    assert event_type not in chinese and ("_" not in event_type or event_type not in english)
    assert CJK.search(chinese), chinese
    assert not re.search(r"\b(the|The|was|and)\b", chinese), chinese


@pytest.mark.parametrize("key", [*DEADLINES, "referral"])
def test_every_deadline_has_a_name_in_both_languages(key):
    names = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            names[language] = render_to_string("cases/_deadline_name.html", {"key": key}).strip()
    fallback = render_to_string("cases/_deadline_name.html", {"key": "?"}).strip()
    assert names["en"] != fallback
    assert CJK.search(names["zh-hans"]) and key not in names["zh-hans"]
