"""Every action the case page offers, taken in Chromium by the party it is offered to.

The consumer, a merchant agent and a regulator officer each work cases through the page and its
own script: messages and notes go through the htmx composers (the page stays, the composer comes
back empty, the entry arrives once through the thread refresh the post triggers), the other
actions through their forms (the page comes back from the redirect). Every resulting entry must
be in the thread exactly once: a post answered with an error used to be saved anyway, and people
who sent it again posted it twice.

States the browser does not reach by itself are reached through the services: before the
browser starts at instants after ``FILED_AT``; in the middle of a flow on the test's clock
(``now`` left out), the one the live server reads too.
"""

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from accounts.totp import totp_activate_with_secret
from cases import services
from cases.deadlines import local_date
from cases.models import Case, Evidence, Message, Resolution, Status
from regulators.services import callback_sample
from tests import factories as f
from tests.accounts.helpers import REGULATOR_SECRET
from tests.browser.test_case_page_browser import (
    ACKNOWLEDGED_AT,
    FILED_AT,
    FULFIL_BY,
    POLL_TIMEOUT_MS,
    sign_in,
)
from tests.cases.helpers import offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The poller asks for new entries every 5 s.
POLL_SECONDS = 5

# Fetch the thread now, as the poller does every 5 s (the `thread-refresh` event a post
# triggers), and resolve once htmx has put what came back into the page.
REFRESH_THREAD = """() => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the thread was not fetched")), 10000);
  document.addEventListener("htmx:afterRequest", function done(event) {
    const path = (event.detail.pathInfo || {}).requestPath || "";
    if (!path.includes("/thread/")) return;
    document.removeEventListener("htmx:afterRequest", done);
    clearTimeout(timer);
    resolve(event.detail.successful);
  });
  htmx.trigger(document.body, "thread-refresh");
})"""


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def agnes(acme, mallory):
    """An agent of Acme (mallory is its owner): she works the cases, not the staff."""
    return f.MerchantMembershipFactory(
        user__email="agnes@acme.cn", user__name="艾格尼丝", merchant=acme, role="agent"
    ).user


@pytest.fixture
def officer(olivia):
    """olivia with her authenticator app set up, as she signs in."""
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    return olivia


@pytest.fixture
def new_page(chromium, live_server):
    """Open the browser of one more person: a context of its own, so a session of its own."""
    contexts = []

    def open_page():
        context = chromium.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def png(name: str) -> dict:
    """A small real PNG, as a file chosen in the file picker."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return {"name": name, "mimeType": "image/png", "buffer": out.getvalue()}


# --- What a person does on the page --------------------------------------------------------------


def case_url(case: Case) -> str:
    return f"/cases/{case.number}/"


def entries(page, event: str | None = None, text: str | None = None):
    """The thread's entries (of the ``event`` type, containing ``text``, as given)."""
    selector = "#thread li.thread-entry" + (f"[data-event='{event}']" if event else "")
    found = page.locator(selector)
    return found.filter(has_text=text) if text else found


def refresh_thread(page) -> None:
    """Fetch the thread's new entries now, as the poller does, and wait until they are in."""
    assert page.evaluate(REFRESH_THREAD) is True, "the thread could not be fetched"


def post(page, action: str, body: str) -> None:
    """Write ``body`` in the composer of ``action`` (post_message or post_note) and send it as
    the person does, through htmx; check that the page stayed, that the composer came back
    empty and ready, and that the thread and the database have the message exactly once."""
    page.evaluate("window.__marker = 'not reloaded'")
    form = page.locator(f"form#{action}")
    key = form.locator("input[name$='-client_key']").input_value()
    form.locator(f"#id_{action}-body").fill(body)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/act/{action}/")
    ) as answer:
        form.locator("button[type=submit]").click()
    assert answer.value.status == 200, (
        f"{action} answered {answer.value.status}: {answer.value.text()[:2000]}"
    )

    form = page.locator(f"form#{action}")  # the composer the answer swapped in
    expect(form.locator(f"#id_{action}-body")).to_have_value("")
    expect(form.locator("button[type=submit]")).to_be_enabled()
    assert form.locator("input[name$='-client_key']").input_value() != key, "a stale composer"
    expect(page.get_by_test_id("request-failure")).to_have_count(0)
    event = "note_posted" if action == "post_note" else "message_posted"
    expect(entries(page, event, body)).to_have_count(1)  # brought by the refresh the post asked
    refresh_thread(page)  # and a refresh after it brings it no second time
    assert entries(page, text=body).count() == 1
    assert page.evaluate("window.__marker") == "not reloaded", "the post navigated"
    assert Message.objects.filter(body=body).count() == 1


def act(page, action: str, event: str, *, text: str | None = None) -> None:
    """Submit the action's form, wait for the page the redirect brings back, and check that the
    thread shows the resulting entry exactly once."""
    with page.expect_navigation() as navigation:
        page.locator(f"form#{action} button[type=submit]").click()
    response = navigation.value
    assert response is not None and response.status == 200, (
        f"{action}: {response.status if response else 'no response'} at {page.url}"
    )
    expect(page.get_by_test_id("refused")).to_have_count(0)
    expect(page.locator(".is-invalid")).to_have_count(0)
    expect(entries(page, event, text)).to_have_count(1)


def attach(page, file: dict, description: str) -> None:
    """Attach an evidence file with the evidence composer (a plain form: the page reloads)."""
    page.locator("#id_add_evidence-file").set_input_files(file)
    page.locator("#id_add_evidence-description").fill(description)
    act(page, "add_evidence", "evidence_added", text=file["name"])
    assert Evidence.objects.filter(original_name=file["name"]).count() == 1


def fill_terms(page, action: str, amount: str, text: str, remedy: str = "refund") -> None:
    page.locator(f"#id_{action}-remedy").select_option(remedy)
    page.locator(f"#id_{action}-amount").fill(amount)
    page.locator(f"#id_{action}-fulfil_by").fill(FULFIL_BY)
    page.locator(f"#id_{action}-text").fill(text)


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


# --- The consumer --------------------------------------------------------------------------------


def test_the_consumer_writes_attaches_rejects_accepts_reports_non_fulfilment_and_withdraws(
    page, file_case, alice, mallory
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    sign_in(page, alice.email)
    page.goto(case_url(case))

    post(page, "post_message", "请问什么时候能给我退款？")
    attach(page, png("headphones.png"), "耳机无法开机的照片")

    services.offer_make(
        case=case,
        actor=mallory,
        remedy="refund",
        amount="99.00",
        fulfil_by=date.fromisoformat(FULFIL_BY),
        text="退款99元。",
    )
    refresh_thread(page)  # the offer and its answers arrive without a reload
    page.locator("#id_reject_offer-reason").fill("金额太低，耳机售价299元。")
    act(page, "reject_offer", "offer_rejected", text="金额太低")

    services.offer_make(
        case=case,
        actor=mallory,
        remedy="refund",
        amount="299.00",
        fulfil_by=date.fromisoformat(FULFIL_BY),
        text="全额退款299元。",
    )
    refresh_thread(page)
    expect(page.get_by_test_id("open-offer")).to_contain_text("299")
    act(page, "accept_offer", "offer_accepted")
    expect(page.get_by_test_id("agreement")).to_be_visible()

    services.agreement_mark_fulfilled(case=case, actor=mallory, note="已退款")
    refresh_thread(page)
    page.locator("#id_report_breach-description").fill("至今没有收到退款。")
    page.locator("#id_report_breach-file").set_input_files(png("bank-statement.png"))
    act(page, "report_breach", "breach_reported")
    expect(entries(page, "evidence_added", "bank-statement.png")).to_have_count(1)
    assert status_of(case) == Status.REGULATOR_INTAKE

    page.locator("#id_withdraw-reason").fill("已与商家私下和解。")
    act(page, "withdraw", "withdrawn", text="已与商家私下和解")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.WITHDRAWN)
    expect(page.locator("#thread-poller")).to_have_count(0)  # a closed case is not polled
    expect(entries(page, "offer_made")).to_have_count(2)
    expect(entries(page, "message_posted")).to_have_count(1)


def test_the_consumer_escalates_confirms_fulfilment_rates_and_closes_another_case(
    page, file_case, alice, mallory, olivia
):
    def declined(minutes: int) -> Case:
        case = file_case(now=FILED_AT + timedelta(minutes=minutes))
        services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
        services.case_decline(
            case=case, actor=mallory, reason="无法满足", now=ACKNOWLEDGED_AT + timedelta(hours=1)
        )
        return case

    escalating, closing = declined(0), declined(1)
    sign_in(page, alice.email)

    page.goto(case_url(escalating))
    act(page, "escalate", "escalated")
    assert status_of(escalating) == Status.REGULATOR_INTAKE

    services.case_accept(case=escalating, actor=olivia)
    services.mediation_conclude(
        case=escalating,
        actor=olivia,
        remedy="compensation",
        amount="150.00",
        fulfil_by=date.fromisoformat(FULFIL_BY),
        text="商家赔偿150元，双方签字确认。",
    )
    services.agreement_mark_fulfilled(case=escalating, actor=mallory, note="已赔偿")
    refresh_thread(page)
    act(page, "confirm_fulfilment", "fulfilment_confirmed")
    page.locator("input[name='rate-rating'][value='5']").check()
    page.locator("#id_rate-comment").fill("调解及时，很满意。")
    act(page, "rate", "rated")
    escalating = Case.objects.get(pk=escalating.pk)
    assert (escalating.status, escalating.resolution) == (Status.CLOSED, Resolution.SETTLED)
    assert escalating.rating == 5
    expect(page.locator("form#rate")).to_have_count(0)

    page.goto(case_url(closing))
    act(page, "close", "closed_by_consumer")
    closing = Case.objects.get(pk=closing.pk)
    assert (closing.status, closing.resolution) == (Status.CLOSED, Resolution.NOT_SETTLED)


# --- The merchant's agent ------------------------------------------------------------------------


def test_a_merchant_agent_acknowledges_writes_attaches_offers_marks_fulfilled_and_declines(
    page, file_case, alice, agnes
):
    settling = file_case(now=FILED_AT)
    declining = file_case(now=FILED_AT + timedelta(minutes=1))
    sign_in(page, agnes.email)

    page.goto(case_url(settling))
    act(page, "acknowledge", "acknowledged")
    post(page, "post_message", "您好，已收到投诉，请寄回耳机。")
    attach(page, png("invoice.png"), "发票")
    fill_terms(page, "make_offer", "299.00", "收到退货后全额退款299元。")
    act(page, "make_offer", "offer_made")
    expect(page.get_by_test_id("open-offer")).to_contain_text("299")

    services.offer_accept(case=settling, actor=alice)
    refresh_thread(page)
    page.locator("#id_mark_fulfilled-note").fill("已退款299元。")
    act(page, "mark_fulfilled", "fulfilment_marked")
    expect(page.locator("form#mark_fulfilled")).to_have_count(0)

    # A first message acknowledges the complaint: the side follows without a reload.
    page.goto(case_url(declining))
    post(page, "post_message", "该商品已超过退货期限。")
    expect(entries(page, "acknowledged")).to_have_count(1)
    expect(page.locator("form#acknowledge")).to_have_count(0)
    page.locator("#id_decline-reason").fill("商品已超过退货期限。")
    act(page, "decline", "settlement_declined", text="商品已超过退货期限")
    assert status_of(declining) == Status.NOT_SETTLED
    assert status_of(settling) == Status.SETTLED


# --- The regulator officer -----------------------------------------------------------------------


def test_an_officer_notes_accepts_an_intake_and_refuses_another(page, file_case, offices, officer):
    merchant = f.MerchantFactory(odr_status="not_onboarded")
    accepting = file_case(merchant=merchant, now=FILED_AT)
    refusing = file_case(merchant=merchant, now=FILED_AT + timedelta(minutes=1))
    sign_in(page, officer.email, totp_secret=REGULATOR_SECRET)

    page.goto(case_url(accepting))
    post(page, "post_note", "已电话联系消费者，材料齐全。")
    expect(page.locator("#thread li.thread-internal[data-event='note_posted']")).to_have_count(1)
    act(page, "accept", "accepted")
    assert status_of(accepting) == Status.MEDIATION

    page.goto(case_url(refusing))
    page.locator("#id_reject_intake-reason_code").select_option("other")
    page.locator("#id_reject_intake-reason_text").fill("同一事项已重复投诉。")
    act(page, "reject_intake", "not_accepted", text="同一事项已重复投诉")
    refusing = Case.objects.get(pk=refusing.pk)
    assert (refusing.status, refusing.resolution) == (Status.CLOSED, Resolution.NOT_ACCEPTED)


def test_an_officer_transfers_an_intake_and_the_other_office_takes_it_up(
    page, new_page, file_case, offices, officer, yves
):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"), now=FILED_AT)
    sign_in(page, officer.email, totp_secret=REGULATOR_SECRET)
    page.goto(case_url(case))
    page.locator("#id_transfer-to_office").select_option(label=offices["140106"].name)
    page.locator("#id_transfer-reason").fill("商户实际经营地在迎泽区。")
    with page.expect_navigation() as navigation:
        page.locator("form#transfer button[type=submit]").click()
    landed = navigation.value
    case = Case.objects.get(pk=case.pk)
    assert case.office == offices["140106"] and case.status == Status.REGULATOR_INTAKE
    assert case.events.filter(type="transferred").count() == 1

    totp_activate_with_secret(yves, REGULATOR_SECRET)
    other = new_page()
    sign_in(other, yves.email, totp_secret=REGULATOR_SECRET)
    other.goto(case_url(case))
    expect(entries(other, "transferred", "商户实际经营地在迎泽区")).to_have_count(1)
    expect(other.locator("form#accept")).to_be_visible()

    # The case is no longer hers, but the transfer succeeded: she lands on her workbench, told
    # where the case went, not on a "page not found".
    assert landed is not None and landed.status == 200, (
        f"after the transfer the officer gets {landed.status if landed else 'nothing'} "
        f"at {page.url}: {page.locator('main').inner_text()[:300]}"
    )
    expect(page.locator(".alert-success")).to_contain_text(case.number)
    expect(page.locator(".alert-success")).to_contain_text(offices["140106"].name)


def test_in_mediation_everyone_sees_each_message_once_and_only_the_officer_sees_the_note(
    page, new_page, file_case, alice, agnes, mallory, officer
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    services.case_decline(
        case=case, actor=mallory, reason="无法满足", now=ACKNOWLEDGED_AT + timedelta(hours=1)
    )
    services.case_escalate(case=case, actor=alice, now=ACKNOWLEDGED_AT + timedelta(hours=2))
    services.case_accept(case=case, actor=officer, now=ACKNOWLEDGED_AT + timedelta(hours=3))

    mediator, consumer, merchant = page, new_page(), new_page()
    sign_in(mediator, officer.email, totp_secret=REGULATOR_SECRET)
    sign_in(consumer, alice.email)
    sign_in(merchant, agnes.email)
    everyone = (mediator, consumer, merchant)
    for person in everyone:
        person.goto(case_url(case))

    messages = {
        mediator: "请双方于周五前提交各自的证据。",
        consumer: "我已提交购买凭证。",
        merchant: "我们同意退款，但需扣除运费。",
    }
    note = "商家曾有同类投诉三起，注意调解策略。"
    for person, body in messages.items():
        post(person, "post_message", body)
    post(mediator, "post_note", note)

    # The others' messages arrive through the poller, without a reload and without a copy.
    for person in everyone:
        for body in messages.values():
            expect(entries(person, "message_posted", body)).to_have_count(
                1, timeout=POLL_TIMEOUT_MS
            )
    mediator.wait_for_timeout((POLL_SECONDS + 1) * 1000)  # every page polled once more

    def each_message_once(when: str) -> None:
        for person in everyone:
            for body in messages.values():
                assert entries(person, text=body).count() == 1, (when, person.url, body)
        assert entries(mediator, "note_posted", note).count() == 1, when
        for person in (consumer, merchant):
            assert entries(person, text=note).count() == 0, when
            assert entries(person, "note_posted").count() == 0, when

    each_message_once("after polling")
    for person in everyone:
        assert person.evaluate("window.__marker") == "not reloaded"
        person.reload()
    each_message_once("after a reload")
    assert Message.objects.filter(case=case).count() == 4

    # The mediator proposes terms, then records the agreement both parties signed.
    expect(mediator.locator("#id_make_offer-is_final")).to_have_count(0)
    fill_terms(mediator, "make_offer", "250.00", "商家退款250元（扣除运费）。")
    act(mediator, "make_offer", "offer_made")
    expect(mediator.get_by_test_id("open-offer")).to_contain_text("250")
    fill_terms(mediator, "conclude_mediation", "250.00", "商家退款250元，双方签字确认。")
    act(mediator, "conclude_mediation", "mediation_concluded")
    assert status_of(case) == Status.SETTLED
    for person in (consumer, merchant):
        refresh_thread(person)
        expect(entries(person, "offer_made")).to_have_count(1)
        expect(entries(person, "mediation_concluded")).to_have_count(1)
        expect(person.get_by_test_id("agreement")).to_contain_text("双方签字确认")
    expect(merchant.locator("form#mark_fulfilled")).to_be_visible()
    expect(consumer.locator("form#confirm_fulfilment")).to_be_visible()


def test_an_officer_refers_extends_decides_terminates_and_records_the_callback(
    page, file_case, officer
):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"), now=FILED_AT)
    services.case_accept(case=case, actor=officer, now=ACKNOWLEDGED_AT)
    sign_in(page, officer.email, totp_secret=REGULATOR_SECRET)
    page.goto(case_url(case))

    page.locator("#id_open_referral-law").fill("《广告法》第二十八条")
    page.locator("#id_open_referral-note").fill("宣传与实物不符。")
    act(page, "open_referral", "referral_opened", text="《广告法》第二十八条")
    expect(page.get_by_test_id("referral")).to_contain_text("《广告法》第二十八条")
    page.locator("#id_extend_referral-reason").fill("需要送检鉴定。")
    act(page, "extend_referral", "referral_extended")
    expect(page.locator("form#extend_referral")).to_have_count(0)  # once only
    page.locator("input[name='decide_referral-outcome'][value='no_case']").check()
    page.locator("#id_decide_referral-note").fill("鉴定结果合格。")
    act(page, "decide_referral", "referral_decided")
    expect(page.get_by_test_id("referral")).to_have_count(0)

    page.locator("#id_terminate_mediation-reason_code").select_option("party_absent")
    act(page, "terminate_mediation", "mediation_terminated")
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.MEDIATION_FAILED)

    # The night's sample puts the closed case in the office's callback list.
    assert callback_sample(day=local_date(case.closed_at), share=1.0) == 1
    page.goto("/regulator/callbacks/")
    row = page.locator(f"tr[data-case='{case.number}']")
    with page.expect_navigation():
        row.get_by_test_id("result").get_by_role("link").click()
    page.locator("#id_record_callback-satisfaction").select_option("satisfied")
    page.locator("#id_record_callback-outcome_real").select_option("true")
    page.locator("#id_record_callback-note").fill("消费者表示满意。")
    act(page, "record_callback", "callback_recorded")
    assert case.callbacks.count() == 1
    page.goto("/regulator/callbacks/?state=done")
    expect(page.locator(f"tr[data-case='{case.number}']")).to_have_count(1)


# --- Sending twice, and a send that fails ------------------------------------------------------


def test_send_pressed_twice_or_sent_again_after_a_lost_answer_posts_one_message(
    page, file_case, alice, mallory
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    sign_in(page, alice.email)
    page.goto(case_url(case))
    page.evaluate("window.__marker = 'not reloaded'")
    form = page.locator("form#post_message")
    body = form.locator("#id_post_message-body")
    button = form.locator("button[type=submit]")
    posts = []
    page.on(
        "request",
        lambda r: posts.append(r) if r.method == "POST" and "/act/" in r.url else None,
    )

    # A double click: the button is disabled while the first send is on its way.
    held = []
    page.route("**/act/post_message/", lambda route: held.append(route))
    body.fill("双击发送的消息。")
    button.dblclick()
    expect(button).to_be_disabled()
    page.wait_for_timeout(500)  # time for a second send, were there one
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/act/post_message/")
    expect(entries(page, "message_posted", "双击发送的消息。")).to_have_count(1)
    expect(form.locator("#id_post_message-body")).to_have_value("")
    refresh_thread(page)
    assert entries(page, text="双击发送的消息。").count() == 1
    assert Message.objects.filter(case=case).count() == 1
    assert len(posts) == 1

    # The message is saved but the answer never arrives: the person sends the same form again.
    def answer_lost(route):
        route.fetch()  # the server posts the message
        route.abort("connectionreset")

    page.route("**/act/post_message/", answer_lost)
    body.fill("回复丢失后重发的消息。")
    button.click()
    failure = form.get_by_test_id("request-failure")
    expect(failure).to_be_visible()
    expect(body).to_have_value("回复丢失后重发的消息。")
    expect(button).to_be_enabled()
    assert Message.objects.filter(body="回复丢失后重发的消息。").count() == 1
    page.unroute("**/act/post_message/")
    with page.expect_response(lambda r: r.url.endswith("/act/post_message/")) as answer:
        button.click()
    assert answer.value.status == 200
    expect(form.locator("#id_post_message-body")).to_have_value("")
    expect(page.get_by_test_id("request-failure")).to_have_count(0)
    refresh_thread(page)
    assert entries(page, text="回复丢失后重发的消息。").count() == 1
    assert Message.objects.filter(body="回复丢失后重发的消息。").count() == 1
    assert Message.objects.filter(case=case).count() == 2
    assert page.evaluate("window.__marker") == "not reloaded"


def test_a_send_that_fails_on_the_server_says_so_in_the_form_and_keeps_the_text(
    page, file_case, alice, mallory
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    sign_in(page, alice.email)
    page.goto(case_url(case))
    page.evaluate("window.__marker = 'not reloaded'")
    form = page.locator("form#post_message")
    text = "请尽快处理，谢谢。"
    form.locator("#id_post_message-body").fill(text)

    def limited(route):
        route.fulfill(status=429, headers={"Retry-After": "30"}, body="Too many requests")

    page.route("**/act/post_message/", limited)
    form.locator("button[type=submit]").click()
    failure = form.get_by_test_id("request-failure")
    expect(failure).to_be_visible()
    expect(failure).to_contain_text("30")
    expect(failure).to_have_attribute("role", "alert")
    expect(form.locator("#id_post_message-body")).to_have_value(text)
    expect(form.locator("button[type=submit]")).to_be_enabled()
    limited_message = failure.inner_text()
    page.unroute("**/act/post_message/")

    page.route("**/act/post_message/", lambda route: route.fulfill(status=500, body="error"))
    form.locator("button[type=submit]").click()
    expect(form.get_by_test_id("request-failure")).to_have_count(1)  # the new one replaced it
    expect(failure).not_to_have_text(limited_message)
    expect(form.locator("#id_post_message-body")).to_have_value(text)
    page.unroute("**/act/post_message/")
    assert not Message.objects.filter(case=case).exists()
    assert page.evaluate("window.__marker") == "not reloaded"

    # Sent again once the portal answers: posted once, and the alert is gone.
    post(page, "post_message", text)


def test_after_settling_both_parties_write_and_attach_until_the_consumer_confirms(
    page, new_page, file_case, alice, agnes, mallory
):
    case = file_case(now=FILED_AT)
    services.case_acknowledge(case=case, actor=mallory, now=ACKNOWLEDGED_AT)
    offer(
        case, mallory, ACKNOWLEDGED_AT + timedelta(hours=1), fulfil_by=date.fromisoformat(FULFIL_BY)
    )
    consumer, merchant = page, new_page()
    sign_in(consumer, alice.email)
    sign_in(merchant, agnes.email)
    consumer.goto(case_url(case))
    act(consumer, "accept_offer", "offer_accepted")
    assert status_of(case) == Status.SETTLED

    merchant.goto(case_url(case))
    post(merchant, "post_message", "请提供收款账号，我们今天退款。")
    refresh_thread(consumer)
    expect(entries(consumer, "message_posted", "请提供收款账号")).to_have_count(1)
    post(consumer, "post_message", "请原路退回支付宝。")
    merchant.locator("#id_mark_fulfilled-note").fill("已原路退款299元，交易号 2026030412345。")
    act(merchant, "mark_fulfilled", "fulfilment_marked")
    attach(merchant, png("refund-receipt.png"), "退款凭证")

    consumer.reload()
    post(consumer, "post_message", "已收到退款，谢谢。")
    act(consumer, "confirm_fulfilment", "fulfilment_confirmed")
    closed = Case.objects.get(pk=case.pk)
    assert (closed.status, closed.resolution) == (Status.CLOSED, Resolution.SETTLED)
    # The thread closes with the case.
    expect(consumer.locator("form#post_message")).to_have_count(0)
    merchant.reload()
    expect(merchant.locator("form#post_message")).to_have_count(0)
    expect(entries(merchant, "message_posted", "已收到退款")).to_have_count(1)
