"""The case page from the outside: a form for every action the engine allows, each posting to
one service; outsiders get 404 and change nothing (product §2, §4)."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent
from cases.rules import Action, case_available_actions
from cases.views import ACTION_FORMS
from core.models import AuditEntry
from tests import factories as f
from tests.cases.helpers import offer
from tests.cases.test_evidence import jpeg_with_gps, upload
from tests.conftest import TEST_NOW, at, days_from_today, sign_in

E = CaseEvent.Type
NOW = TEST_NOW  # the suite's instant, standing still


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def negotiating(file_case, mallory, **kw):
    case = file_case(**kw)
    services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 2, 11))
    return case


def with_offer(file_case, mallory, **kw):
    case = negotiating(file_case, mallory)
    offer(case, mallory, at(2026, 3, 2, 12), **kw)
    return case


def settled(file_case, mallory, alice):
    case = with_offer(file_case, mallory)
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 3, 9))
    return case


def marked(file_case, mallory, alice):
    case = settled(file_case, mallory, alice)
    services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 3, 10))
    return case


def not_settled(file_case, mallory):
    case = negotiating(file_case, mallory)
    services.case_decline(case=case, actor=mallory, reason="无法满足", now=at(2026, 3, 3, 9))
    return case


def intake(file_case):
    return file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))


def mediation(file_case, olivia):
    case = intake(file_case)
    services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
    return case


def closed(file_case, mallory, alice):
    case = marked(file_case, mallory, alice)
    services.agreement_confirm(case=case, actor=alice, now=at(2026, 3, 3, 11))
    return case


def referred(file_case, olivia):
    case = mediation(file_case, olivia)
    services.referral_open(case=case, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 10))
    return case


FULFIL = {"fulfil_by": days_from_today(16), "remedy": "refund", "amount": "100.00", "text": "退款"}
# action -> (how to reach a state where it is allowed, who acts, what they post, the event)
SCENARIOS = {
    Action.ACKNOWLEDGE: ("submitted", "mallory", {}, E.ACKNOWLEDGED),
    Action.POST_MESSAGE: ("negotiating", "alice", {"body": "请尽快处理"}, E.MESSAGE_POSTED),
    Action.POST_NOTE: ("intake", "olivia", {"body": "内部备注"}, E.NOTE_POSTED),
    Action.MAKE_OFFER: ("negotiating", "mallory", {**FULFIL, "is_final": "on"}, E.OFFER_MADE),
    Action.ACCEPT_OFFER: ("with_offer", "alice", {}, E.OFFER_ACCEPTED),
    Action.REJECT_OFFER: ("with_offer", "alice", {"reason": "金额太低"}, E.OFFER_REJECTED),
    Action.DECLINE: ("negotiating", "mallory", {"reason": "无法满足"}, E.SETTLEMENT_DECLINED),
    Action.WITHDRAW: ("negotiating", "alice", {"reason": ""}, E.WITHDRAWN),
    Action.ESCALATE: ("not_settled", "alice", {}, E.ESCALATED),
    Action.CLOSE: ("not_settled", "alice", {}, E.CLOSED_BY_CONSUMER),
    Action.ACCEPT: ("intake", "olivia", {}, E.ACCEPTED),
    Action.REJECT_INTAKE: (
        "intake",
        "olivia",
        {"reason_code": "other", "reason_text": "重复投诉"},
        E.NOT_ACCEPTED,
    ),
    Action.TRANSFER: ("intake", "olivia", {"to_office": "yingze", "reason": "管辖"}, E.TRANSFERRED),
    Action.CONCLUDE_MEDIATION: ("mediation", "olivia", FULFIL, E.MEDIATION_CONCLUDED),
    Action.TERMINATE_MEDIATION: (
        "mediation",
        "olivia",
        {"reason_code": "party_absent"},
        E.MEDIATION_TERMINATED,
    ),
    Action.MARK_FULFILLED: ("settled", "mallory", {"note": "已退款"}, E.FULFILMENT_MARKED),
    Action.CONFIRM_FULFILMENT: ("marked", "alice", {}, E.FULFILMENT_CONFIRMED),
    Action.REPORT_BREACH: ("marked", "alice", {"description": "未收到退款"}, E.BREACH_REPORTED),
    Action.RATE: ("closed", "alice", {"rating": "4", "comment": "满意"}, E.RATED),
    Action.OPEN_REFERRAL: ("mediation", "olivia", {"law": "《广告法》"}, E.REFERRAL_OPENED),
    Action.EXTEND_REFERRAL: ("referred", "olivia", {"reason": "需鉴定"}, E.REFERRAL_EXTENDED),
    Action.DECIDE_REFERRAL: ("referred", "olivia", {"outcome": "no_case"}, E.REFERRAL_DECIDED),
    Action.RECORD_CALLBACK: ("closed", "olivia", {"satisfied": "true"}, E.CALLBACK_RECORDED),
}


@pytest.fixture
def reach(file_case, alice, mallory, olivia):
    def state(name: str) -> Case:
        steps = {
            "submitted": lambda: file_case(),
            "negotiating": lambda: negotiating(file_case, mallory),
            "with_offer": lambda: with_offer(file_case, mallory),
            "settled": lambda: settled(file_case, mallory, alice),
            "marked": lambda: marked(file_case, mallory, alice),
            "not_settled": lambda: not_settled(file_case, mallory),
            "intake": lambda: intake(file_case),
            "mediation": lambda: mediation(file_case, olivia),
            "closed": lambda: closed(file_case, mallory, alice),
            "referred": lambda: referred(file_case, olivia),
        }
        return Case.objects.get(pk=steps[name]().pk)

    return state


def _posted(data: dict, action: Action, request) -> dict:
    data = dict(data)
    if data.get("to_office") == "yingze":
        data["to_office"] = request.getfixturevalue("offices")["140106"].pk
    return {f"{action.value}-{k}": v for k, v in data.items()}


def test_every_engine_action_has_a_form():
    assert set(ACTION_FORMS) == set(Action)


@pytest.mark.parametrize("action", list(SCENARIOS), ids=lambda a: a.value)
def test_the_form_is_shown_exactly_when_the_engine_allows_it(client, reach, action, request):
    state, _, _, _ = SCENARIOS[action]
    case = reach(state)
    for persona in ("alice", "mallory", "olivia", "sam"):
        user = request.getfixturevalue(persona)
        client.logout()
        sign_in(client, user)
        body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
        allowed = action in case_available_actions(case, user, now=NOW)
        assert (f'data-action="{action.value}"' in body) == allowed, persona


@pytest.mark.parametrize("action", list(SCENARIOS), ids=lambda a: a.value)
def test_posting_the_form_makes_the_change_through_the_engine(client, reach, action, request):
    state, persona, data, event_type = SCENARIOS[action]
    case = reach(state)
    sign_in(client, request.getfixturevalue(persona))
    response = client.post(
        reverse("cases:act", args=[case.number, action.value]), _posted(data, action, request)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert case.events.filter(type=event_type, seq__gt=case.last_event_seq).exists()


@pytest.mark.parametrize("outsider", ["bob", "trent", "yves"])
@pytest.mark.parametrize("action", list(SCENARIOS), ids=lambda a: a.value)
def test_outsiders_posting_get_not_found_and_change_nothing(
    client, reach, action, outsider, request
):
    state, _, data, _ = SCENARIOS[action]
    case = reach(state)
    sign_in(client, request.getfixturevalue(outsider))
    response = client.post(
        reverse("cases:act", args=[case.number, action.value]), _posted(data, action, request)
    )
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).last_event_seq == case.last_event_seq


@pytest.mark.parametrize("action", [Action.ACKNOWLEDGE, Action.ACCEPT, Action.POST_MESSAGE])
def test_anonymous_posts_change_nothing(client, reach, action):
    case = reach(SCENARIOS[action][0])
    response = client.post(reverse("cases:act", args=[case.number, action.value]), {})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert Case.objects.get(pk=case.pk).last_event_seq == case.last_event_seq


def test_a_supervising_office_sees_the_case_but_can_post_nothing(client, reach, sam):
    case = reach("intake")
    sign_in(client, sam)
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 200
    response = client.post(reverse("cases:act", args=[case.number, "accept"]), {})
    assert response.status_code == 422
    assert "不能进行" in response.content.decode()
    assert Case.objects.get(pk=case.pk).last_event_seq == case.last_event_seq


def test_an_engine_error_shows_beside_the_field_and_keeps_what_was_typed(client, reach, mallory):
    case = reach("negotiating")
    sign_in(client, mallory)
    data = {**FULFIL, "fulfil_by": days_from_today(-3), "text": "退款并赔偿运费"}
    response = client.post(
        reverse("cases:act", args=[case.number, "make_offer"]),
        _posted(data, Action.MAKE_OFFER, None),
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_make_offer-fulfil_by-error"' in body
    assert 'aria-describedby="id_make_offer-fulfil_by-error"' in body
    assert "退款并赔偿运费" in body  # the terms typed stay in the form
    assert not case.offers.exists()


def test_every_error_of_a_form_is_shown_at_once(client, reach, mallory):
    case = reach("negotiating")
    sign_in(client, mallory)
    data = {**FULFIL, "amount": "-5", "fulfil_by": days_from_today(-3)}
    response = client.post(
        reverse("cases:act", args=[case.number, "make_offer"]),
        _posted(data, Action.MAKE_OFFER, None),
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_make_offer-amount-error"' in body
    assert 'id="id_make_offer-fulfil_by-error"' in body
    assert "履行期限不能早于今天" in body
    assert not case.offers.exists()


def test_a_reason_code_of_other_without_words_is_refused_beside_the_explanation(
    client, reach, olivia
):
    case = reach("intake")
    sign_in(client, olivia)
    data = {"reason_code": "other", "reason_text": " "}
    response = client.post(
        reverse("cases:act", args=[case.number, "reject_intake"]),
        _posted(data, Action.REJECT_INTAKE, None),
    )
    assert response.status_code == 422
    assert 'id="id_reject_intake-reason_text-error"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == case.status


def test_an_unknown_action_is_not_found(client, reach, alice):
    case = reach("negotiating")
    sign_in(client, alice)
    assert client.post(reverse("cases:act", args=[case.number, "delete"]), {}).status_code == 404


def test_merchant_sees_masked_contact_unless_the_consumer_consented(client, file_case, mallory):
    sign_in(client, mallory)
    masked = file_case()
    body = client.get(reverse("cases:detail", args=[masked.number])).content.decode()
    assert "138****1234" in body and "13812341234" not in body and "王**" in body
    shown = file_case(consent_contact=True)
    body = client.get(reverse("cases:detail", args=[shown.number])).content.decode()
    assert "13812341234" in body and "王爱丽" in body


def test_regulator_sees_the_contact_unmasked(client, reach, olivia):
    case = reach("intake")
    sign_in(client, olivia)
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "13812341234" in body


def test_the_page_shows_the_claim_and_the_offer_terms(client, reach, alice):
    case = reach("with_offer")
    sign_in(client, alice)
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "¥299.00" in body  # amount claimed, and the offer's amount
    assert "全额退款" in body  # the offer's terms
    assert "2026-03-20" in body  # its fulfil-by date (tests.cases.helpers.offer)


def test_the_english_page_shows_status_and_remedy_as_words(client, reach, alice, settings):
    case = reach("with_offer")
    sign_in(client, alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    status = '<span class="badge text-bg-primary" data-testid="case-status">Negotiating</span>'
    assert status in body
    assert '<dd class="col-7">Refund</dd>' in body


def test_the_thread_polls_only_what_is_new(client, reach, alice, mallory):
    case = reach("negotiating")
    sign_in(client, alice)
    url = reverse("cases:thread", args=[case.number])
    services.case_post_message(case=case, actor=mallory, body="新消息", now=at(2026, 3, 3, 9))
    body = client.get(url, {"since": case.last_event_seq}).content.decode()
    assert "新消息" in body and f"since={case.last_event_seq + 1}" in body
    assert "新消息" not in client.get(url, {"since": case.last_event_seq + 1}).content.decode()


def test_polling_stops_once_the_case_is_closed(client, reach, alice):
    case = reach("closed")
    sign_in(client, alice)
    body = client.get(reverse("cases:thread", args=[case.number]), {"since": 0}).content.decode()
    assert "thread-poller" not in body


@pytest.mark.parametrize("entries", [5, 200])
def test_case_page_and_thread_run_a_fixed_number_of_queries(
    client, reach, alice, mallory, entries, django_assert_num_queries
):
    case = reach("negotiating")
    for i in range(entries - case.last_event_seq):
        services.case_post_message(
            case=case, actor=mallory, body=f"消息 {i}", now=at(2026, 3, 3, 9)
        )
    sign_in(client, alice)
    # The page's navigation counts the unread notifications; the thread partial has none.
    with django_assert_num_queries(7):
        client.get(reverse("cases:detail", args=[case.number]))
    with django_assert_num_queries(6):
        client.get(reverse("cases:thread", args=[case.number]), {"since": 0})


def test_a_refused_case_is_audited_for_signed_in_people(client, reach, bob):
    case = reach("negotiating")
    sign_in(client, bob)
    client.get(reverse("cases:detail", args=[case.number]))
    entry = AuditEntry.objects.get(action=AuditEntry.Action.NOT_FOUND)
    assert (entry.actor, entry.target, entry.outcome) == (bob, case.number, "denied")
    assert entry.ip_address == "127.0.0.1"


def test_each_unmasked_view_by_a_regulator_is_audited(client, reach, olivia, mallory):
    case = reach("intake")
    sign_in(client, olivia)
    client.get(reverse("cases:detail", args=[case.number]))
    client.get(reverse("cases:detail", args=[case.number]))
    views = AuditEntry.objects.filter(action=AuditEntry.Action.CONTACT_UNMASKED, actor=olivia)
    assert [v.target for v in views] == [case.number, case.number]
    client.logout()
    sign_in(client, mallory)
    client.get(reverse("cases:detail", args=[reach("negotiating").number]))
    assert not AuditEntry.objects.filter(actor=mallory).exists()  # masked: nothing to record


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_evidence_attached_on_the_page_is_downloaded_only_by_the_case_parties(
    client, reach, alice, mallory, bob, media
):
    case = reach("negotiating")
    sign_in(client, alice)
    response = client.post(
        reverse("cases:act", args=[case.number, "add_evidence"]),
        {"add_evidence-file": upload(jpeg_with_gps(), "发票.jpg"), "add_evidence-description": "x"},
    )
    assert response.status_code == 302
    evidence = case.evidence.get()
    url = reverse("cases:evidence", args=[case.number, evidence.pk])
    client.logout()
    sign_in(client, mallory)
    download = client.get(url)
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content)
    assert b"PhoneMaker" not in body and body[:2] == b"\xff\xd8"
    client.logout()
    sign_in(client, bob)
    assert client.get(url).status_code == 404


def test_a_refused_file_shows_why_and_keeps_what_was_typed(client, reach, alice, media):
    case = reach("negotiating")
    sign_in(client, alice)
    response = client.post(
        reverse("cases:act", args=[case.number, "add_evidence"]),
        {
            "add_evidence-file": upload(b"\x7fELF" + b"\0" * 200, "照片.jpg"),
            "add_evidence-description": "商品破损照片",
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_add_evidence-file-error"' in body
    assert "商品破损照片" in body
    assert not case.evidence.exists() and not any(media.rglob("*.*"))


def test_only_the_merchant_is_offered_to_flag_a_suspected_profit_seeking_complaint(
    client, reach, alice, mallory
):
    case = reach("negotiating")
    flag = reverse("regulators:complaint_flag", args=[case.number])
    sign_in(client, mallory)
    assert flag in client.get(reverse("cases:detail", args=[case.number])).content.decode()
    sign_in(client, alice)
    assert flag not in client.get(reverse("cases:detail", args=[case.number])).content.decode()


# --- The thread's composers, posted by the page's script (htmx) ---------------------------------

COMPOSING = [
    ("negotiating", "alice", Action.POST_MESSAGE),
    ("negotiating", "mallory", Action.POST_MESSAGE),
    ("mediation", "olivia", Action.POST_MESSAGE),
    ("mediation", "olivia", Action.POST_NOTE),
]
HTMX = {"HTTP_HX_REQUEST": "true"}


def compose(client, case, action: Action, body: str, key: str | None = None, **headers):
    data = {f"{action.value}-body": body}
    if key is not None:
        data[f"{action.value}-client_key"] = key
    return client.post(reverse("cases:act", args=[case.number, action.value]), data, **headers)


@pytest.mark.parametrize(("state", "persona", "action"), COMPOSING, ids=str)
def test_an_htmx_post_answers_an_empty_composer_and_refreshes_the_thread(
    client, reach, request, state, persona, action
):
    case = reach(state)
    sign_in(client, request.getfixturevalue(persona))
    response = compose(client, case, action, "请尽快处理", **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "thread-refresh"
    html = response.content.decode()
    assert f'id="{action.value}"' in html and "请尽快处理" not in html  # empty, ready again
    assert case.messages.filter(body="请尽快处理").count() == 1


@pytest.mark.parametrize(("state", "persona", "action"), COMPOSING, ids=str)
def test_an_htmx_post_with_errors_answers_the_composer_with_them(
    client, reach, request, state, persona, action
):
    case = reach(state)
    sign_in(client, request.getfixturevalue(persona))
    response = compose(client, case, action, "   ", **HTMX)
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode()
    assert not case.messages.exists()


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain form"])
def test_the_same_composer_sent_twice_posts_one_message(client, reach, alice, headers):
    case = reach("negotiating")
    sign_in(client, alice)
    key = "0b0f8e4c-5a0d-4d7e-9a55-2f6a6f0c1d11"
    first = compose(client, case, Action.POST_MESSAGE, "收到了吗？", key, **headers)
    again = compose(client, case, Action.POST_MESSAGE, "收到了吗？", key, **headers)

    assert first.status_code == again.status_code
    assert case.messages.filter(body="收到了吗？").count() == 1
    assert case.events.filter(type=E.MESSAGE_POSTED).count() == 1
    # A new composer carries a new key: the next message is a new one.
    compose(client, case, Action.POST_MESSAGE, "收到了吗？", "6c1c5b1e-0f43-4a57-8b2e-3d9e6a1b7c22")
    assert case.messages.filter(body="收到了吗？").count() == 2


def test_each_composer_the_page_renders_carries_a_fresh_key(client, reach, alice):
    case = reach("negotiating")
    sign_in(client, alice)
    keys = [
        re.search(r'name="post_message-client_key" value="([0-9a-f-]{36})"', page).group(1)
        for page in (
            client.get(reverse("cases:detail", args=[case.number])).content.decode(),
            compose(client, case, Action.POST_MESSAGE, "一", **HTMX).content.decode(),
        )
    ]
    assert keys[0] != keys[1]


def test_a_key_is_one_persons_a_retry_by_another_posts_theirs(client, reach, alice, mallory):
    case = reach("negotiating")
    key = "0b0f8e4c-5a0d-4d7e-9a55-2f6a6f0c1d11"
    for person in (alice, mallory):
        services.case_post_message(case=case, actor=person, body="你好", client_key=key, now=NOW)
    assert case.messages.filter(body="你好").count() == 2


def test_an_officer_who_transfers_a_case_away_lands_on_the_workbench_told_where_it_went(
    client, reach, olivia, offices
):
    case = reach("intake")
    sign_in(client, olivia)
    data = {"transfer-to_office": offices["140106"].pk, "transfer-reason": "经营地在迎泽区"}
    response = client.post(reverse("cases:act", args=[case.number, "transfer"]), data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("regulators:home")
    html = response.content.decode()
    assert case.number in html and offices["140106"].name in html
    assert not AuditEntry.objects.filter(outcome=AuditEntry.Outcome.DENIED).exists()
