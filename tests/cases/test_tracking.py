"""Public tracking (product §6): the case number and the phone given when filing show the
merchant, the status, the deadlines and the steps of the case; failed look-ups are limited per
address, per case number and address, and per case number, answered alike for a made-up number
and a wrong phone, and written to the audit log."""

import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from cases import services
from cases.forms import TrackForm
from core.models import AuditEntry
from core.ratelimits import wait_words
from tests.accounts.helpers import element_by_id, fresh_cache, squash  # noqa: F401 (autouse)
from tests.conftest import at

TRACK = reverse("cases:track")
PHONE = "13812341234"  # alice's, given when filing
WRONG_PHONES = [f"139{n:08d}" for n in range(20)]
GUESSER = "203.0.113.50"


@pytest.fixture
def case(file_case, alice, mallory, olivia):
    case = file_case()
    services.case_post_message(case=case, actor=mallory, body="我们正在核实", now=at(2026, 3, 3, 9))
    case.refresh_from_db()
    return case


@pytest.fixture
def made_up(case) -> str:
    """A case number of the same form and length as ``case``'s that belongs to no case."""
    return case.number[:-4] + ("ZZZZ" if not case.number.endswith("ZZZZ") else "YYYY")


def track(client, number: str, phone: str, address: str = GUESSER):
    return client.post(TRACK, {"number": number, "phone": phone}, REMOTE_ADDR=address)


def message(text) -> str:
    with translation.override("zh-hans"):
        return squash(gettext(text))


def alert(response) -> str:
    html = response.content.decode()
    start = html.index('class="alert alert-danger"')
    return squash(html[html.index(">", start) + 1 : html.index("</div>", start)])


def failures(outcome: str | None = None) -> list[AuditEntry]:
    rows = AuditEntry.objects.filter(action=AuditEntry.Action.TRACK_FAILED).order_by("id")
    return list(rows.filter(outcome=outcome) if outcome else rows)


# --- What the page shows -----------------------------------------------------------------------


def test_the_number_and_phone_show_merchant_status_deadlines_and_steps_only(client, case):
    response = track(client, case.number, PHONE)

    assert response.status_code == 200
    assert response.context["case"] == case
    html = response.content.decode()
    tracked = squash(html[html.index('data-testid="tracked-case"') :])
    assert case.merchant.name in tracked
    assert case.get_status_display() in tracked
    assert 'data-testid="deadlines"' in tracked
    steps = [e.type for e in response.context["events"]]
    assert steps and "message_posted" not in steps
    assert squash(html).count("data-event=") == len(steps)
    # Nothing personal and nothing of the thread: not the consumer's name, the complaint, the
    # message, nor the phone (but in the field where it was typed).
    for private in ("王爱丽", case.subject, case.facts, "我们正在核实", "alice@example.cn"):
        assert private not in html
    assert PHONE not in html.replace(f'value="{PHONE}"', "")


def test_internal_steps_are_not_shown(client, case, olivia):
    services.case_post_message(
        case=case, actor=olivia, body="内部备注", internal=True, now=at(2026, 3, 3, 10)
    )

    response = track(client, case.number, PHONE)

    assert all(not e.internal for e in response.context["events"])
    assert "内部备注" not in response.content.decode()


def test_a_number_typed_in_lower_case_is_found(client, case):
    assert track(client, case.number.lower(), PHONE).context["case"] == case


# --- One answer for "no such case" and "wrong phone" -------------------------------------------


def test_no_such_case_and_wrong_phone_get_one_answer_from_one_query(
    client, case, made_up, django_assert_num_queries
):
    # The look-up and the audit row: the same queries on both paths.
    with django_assert_num_queries(2):
        wrong_phone = track(client, case.number, WRONG_PHONES[0])
    with django_assert_num_queries(2):
        no_case = track(client, made_up, WRONG_PHONES[0], address="198.51.100.7")

    assert wrong_phone.status_code == no_case.status_code == 200
    assert alert(wrong_phone) == alert(no_case) == message(TrackForm.not_found_message)
    assert len(wrong_phone.content) == len(no_case.content)
    assert wrong_phone.context["case"] is no_case.context["case"] is None


def test_twenty_wrong_phones_are_refused_after_the_limit_alike_for_a_real_and_a_made_up_number(
    client, case, made_up
):
    real, fake = [], []
    for phone in WRONG_PHONES:
        started = time.perf_counter()
        real.append((track(client, case.number, phone), time.perf_counter() - started))
    for phone in WRONG_PHONES:
        started = time.perf_counter()
        fake.append((track(client, made_up, phone), time.perf_counter() - started))

    # Five failures for one number from one address, then refused: 429 with the page and a
    # message, the same for both numbers.
    expected = [200] * 5 + [429] * 15
    assert [r.status_code for r, _ in real] == [r.status_code for r, _ in fake] == expected
    for (r, _), (f, _) in zip(real, fake, strict=True):
        assert abs(len(r.content) - len(f.content)) <= 4
        assert alert(r) == alert(f)
    # The message says how long to wait: the first of the five failures leaves the 15-minute
    # window in at most 15 minutes.
    with translation.override("zh-hans"):
        wait = wait_words(int(real[-1][0]["Retry-After"]))
    assert 14 * 60 < int(real[-1][0]["Retry-After"]) <= 15 * 60
    assert alert(real[-1][0]) == squash(message(TrackForm.limited_message) % {"wait": wait})
    assert 'name="number"' in real[-1][0].content.decode()  # the page, not a bare error
    # The time taken is of the same order on both paths, failed and refused alike.
    for part in (slice(0, 5), slice(5, 20)):
        real_time = statistics.median(t for _, t in real[part])
        fake_time = statistics.median(t for _, t in fake[part])
        assert 1 / 3 < real_time / fake_time < 3


def test_after_the_guessing_the_right_phone_from_another_address_still_works(client, case):
    for phone in WRONG_PHONES:
        track(client, case.number, phone)

    assert track(client, case.number, PHONE).status_code == 429  # the guesser's address
    response = track(client, case.number, PHONE, address="198.51.100.23")

    assert response.status_code == 200
    assert response.context["case"] == case


def test_a_refused_look_up_does_not_touch_the_cases(client, case):
    for phone in WRONG_PHONES[:5]:
        track(client, case.number, phone)

    with CaptureQueriesContext(connection) as queries:
        response = track(client, case.number, PHONE)

    assert response.status_code == 429
    assert response.context["case"] is None
    assert not [q for q in queries if "cases_case" in q["sql"]]


def test_right_phones_do_not_count_against_the_limits(client, case):
    for _ in range(10):
        assert track(client, case.number, PHONE).status_code == 200

    for phone in WRONG_PHONES[:5]:
        assert track(client, case.number, phone).status_code == 200
    assert track(client, case.number, phone).status_code == 429


def test_one_address_cannot_guess_many_numbers(client, case, made_up):
    numbers = [f"{made_up[:-2]}{n:02d}" for n in range(60)]
    for number in numbers:
        assert track(client, number, PHONE).status_code == 200

    assert track(client, case.number, PHONE).status_code == 429  # any number, even a real one
    assert track(client, case.number, PHONE, address="198.51.100.23").status_code == 200


def test_many_addresses_guessing_one_number_are_stopped_by_its_all_address_limit(client, case):
    for n in range(20):  # 20 addresses, 5 failures each: 100 an hour for the number
        for phone in WRONG_PHONES[:5]:
            track(client, case.number, phone, address=f"198.51.100.{n + 1}")

    response = track(client, case.number, WRONG_PHONES[5], address="192.0.2.1")

    assert response.status_code == 429
    assert failures(AuditEntry.Outcome.DENIED)[-1].ip_address == "192.0.2.1"


def test_addresses_of_one_ipv6_network_share_one_allowance(client, case):
    for n, phone in enumerate(WRONG_PHONES[:5]):
        track(client, case.number, phone, address=f"2001:db8:1:2::{n + 1}")

    assert track(client, case.number, PHONE, address="2001:db8:1:2::99").status_code == 429
    assert track(client, case.number, PHONE, address="2001:db8:1:3::1").status_code == 200


def test_the_limits_are_settings(client, case, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "track_failed": "2/h/key"}

    statuses = [track(client, case.number, phone).status_code for phone in WRONG_PHONES[:3]]

    assert statuses == [200, 200, 429]


# --- The audit log -----------------------------------------------------------------------------


def test_each_failed_look_up_is_in_the_audit_log_and_each_refused_one_as_denied(
    client, case, made_up
):
    track(client, case.number, WRONG_PHONES[0])
    track(client, made_up, WRONG_PHONES[1])
    for phone in WRONG_PHONES[2:]:
        track(client, case.number, phone)
    track(client, case.number, PHONE, address="198.51.100.23")  # found: nothing to record

    rows = failures()
    assert [(e.target, e.outcome) for e in rows[:2]] == [
        (case.number, AuditEntry.Outcome.FAILED),
        (made_up, AuditEntry.Outcome.FAILED),
    ]
    # The made-up number once, the real one five times: then its limit refuses the other 14.
    assert len(failures(AuditEntry.Outcome.FAILED)) == 6
    assert len(failures(AuditEntry.Outcome.DENIED)) == 14
    for entry in rows:
        assert entry.actor is None
        assert entry.target_type == "case"
        assert entry.ip_address == GUESSER
        assert entry.detail == {
            "step": "rate_limit" if entry.outcome == AuditEntry.Outcome.DENIED else "lookup"
        }
        # The phone typed is personal data of whoever owns it: not kept.
        assert not any(phone in str(entry.detail) for phone in WRONG_PHONES)


def test_a_form_error_is_no_look_up(client, case):
    response = client.post(TRACK, {"number": case.number, "phone": ""}, REMOTE_ADDR=GUESSER)

    assert response.status_code == 200
    assert element_by_id(response.content, "id_phone-error") is not None
    assert failures() == []
