"""Nothing a person types is lost (issue 25): the fulfilment note, the report of non-fulfilment,
an evidence file's description, the rating's comment and a referral's notes are each shown
with their step in the thread, on the page and in the API, to those who may read that step."""

from datetime import timedelta

from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from merchants.models import Merchant
from merchants.services import merchant_approve
from tests import factories as f
from tests.cases.helpers import offer
from tests.cases.test_evidence import image_bytes, upload
from tests.conftest import TEST_NOW, sign_in

LATER = [TEST_NOW + timedelta(minutes=m) for m in range(1, 20)]


def page(client, user, case) -> str:
    sign_in(client, user)
    return client.get(reverse("cases:detail", args=[case.number])).content.decode()


def api_notes(user, case) -> dict[str, str]:
    api = APIClient()
    sign_in(api, user)
    thread = api.get(f"/api/v1/cases/{case.number}/").json()["thread"]
    return {entry["type"]: entry["note"] for entry in thread if entry["note"]}


def settled(file_case, mallory, alice):
    case = file_case(now=TEST_NOW - timedelta(days=1))
    services.case_acknowledge(case=case, actor=mallory, now=LATER[0])
    offer(case, mallory, LATER[1])
    services.offer_accept(case=case, actor=alice, now=LATER[2])
    return case


def test_the_fulfilment_note_evidence_description_and_comment_reach_both_parties(
    client, file_case, alice, mallory, olivia
):
    case = settled(file_case, mallory, alice)
    services.evidence_add(
        case=case,
        actor=mallory,
        file=upload(image_bytes(), "receipt.png", "image/png"),
        description="支付宝退款截图",
        now=LATER[3],
    )
    services.agreement_mark_fulfilled(
        case=case, actor=mallory, note="已原路退款，交易号 2026030412345", now=LATER[4]
    )
    services.agreement_confirm(case=case, actor=alice, now=LATER[5])
    services.case_rate(case=case, actor=alice, rating=4, comment="处理及时", now=LATER[6])
    typed = {
        "evidence_added": "支付宝退款截图",
        "fulfilment_marked": "已原路退款，交易号 2026030412345",
        "rated": "处理及时",
    }
    for person in (alice, mallory):
        body = page(client, person, case)
        for text in typed.values():
            assert text in body, (person, text)
        assert api_notes(person, case) == typed


def test_the_report_of_non_fulfilment_is_shown_to_the_parties_and_the_office(
    client, file_case, alice, mallory, olivia
):
    case = settled(file_case, mallory, alice)
    services.agreement_mark_fulfilled(case=case, actor=mallory, now=LATER[3])
    services.agreement_report_breach(
        case=case, actor=alice, description="商家承诺的退款至今未到账", now=LATER[4]
    )
    for person in (alice, mallory, olivia):
        assert "商家承诺的退款至今未到账" in page(client, person, case)
    assert api_notes(mallory, case) == {"breach_reported": "商家承诺的退款至今未到账"}


def test_the_referrals_notes_are_read_by_regulators_only(client, file_case, alice, olivia):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_accept(case=case, actor=olivia, now=LATER[0])
    services.referral_open(
        case=case, actor=olivia, law="《广告法》", note="宣传页面存在虚假表述", now=LATER[1]
    )
    services.referral_decide(
        case=case, actor=olivia, outcome="case_opened", note="已立案调查", now=LATER[2]
    )
    office = page(client, olivia, case)
    assert "宣传页面存在虚假表述" in office and "已立案调查" in office
    assert api_notes(olivia, case) == {
        "referral_opened": "宣传页面存在虚假表述",
        "referral_decided": "已立案调查",
    }
    consumer = page(client, alice, case)
    assert "宣传页面存在虚假表述" not in consumer and "已立案调查" not in consumer
    assert api_notes(alice, case) == {}


def test_the_regulators_note_on_an_approval_is_shown_to_the_merchant(client, alice, olivia):
    sign_in(client, alice)
    applied = f.MerchantFactory(odr_status=Merchant.OdrStatus.APPLIED)
    f.MerchantMembershipFactory(user=alice, merchant=applied, role="owner")
    merchant_approve(applied, olivia, "材料齐全，准予入驻。请在两个工作日内签收投诉。")
    body = client.get(reverse("merchants:status")).content.decode()
    assert "材料齐全，准予入驻。" in body
