"""Filing a complaint step by step (product §4): the respondent found by search or described,
every error of a step at once, going back keeps what was typed, warnings that do not block, and
evidence checked before anything is filed."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseEvent, Status
from merchants.models import Merchant
from merchants.selectors import merchant_search
from tests import factories as f
from tests.cases.test_evidence import ELF, _js_open_action, jpeg_with_gps, pdf_bytes, upload
from tests.conftest import TEST_NOW, days_from_today, sign_in

URL = reverse("consumers:complaint_new")
SEARCH = reverse("consumers:merchant_results")
PREFIX = "filing_wizard"


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    """The suite's instant (ODR_TEST_NOW), standing still."""
    time_machine.move_to(TEST_NOW, tick=False)


def step(client, name: str, data: dict, files: dict | None = None, **extra):
    payload = {f"{PREFIX}-current_step": name, **{f"{name}-{k}": v for k, v in data.items()}}
    payload.update(extra)
    return client.post(URL, {**payload, **(files or {})})


COMPLAINT = {
    "subject": "耳机无法开机",
    "facts": "收到的耳机无法开机。",
    "claim_remedy": "refund",
    "claim": "退货退款",
    "amount_claimed": "299.00",
    "amount_paid": "299.00",
    "purchase_date": days_from_today(-58),
    "order_reference": "JD-1",
    "contact_phone": "13812341234",
}


def file_against(client, business: dict, complaint=None, confirm=None, files=None):
    first = step(client, "business", business)
    assert first.status_code == 200 and not first.context["form"].errors, first.context[
        "form"
    ].errors
    second = step(client, "complaint", {**COMPLAINT, **(complaint or {})})
    assert second.status_code == 200 and not second.context["form"].errors, second.context[
        "form"
    ].errors
    return step(client, "confirm", confirm or {}, files)


@pytest.fixture
def consumer(client, alice, offices):
    sign_in(client, alice)
    return alice


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_known_active_merchant_chosen_from_search_receives_the_complaint(
    client, consumer, acme, media
):
    response = file_against(
        client,
        {"merchant": acme.pk},
        confirm={"consent_contact": "on"},
        files={"confirm-files": [upload(jpeg_with_gps(), "receipt.jpg")]},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("consumers:filed", args=[case.number])
    assert (case.merchant, case.status, case.consumer) == (acme, Status.SUBMITTED, consumer)
    assert (case.claim_remedy, str(case.amount_paid), case.contact_phone) == (
        "refund",
        "299.00",
        "13812341234",
    )
    assert case.consent_contact and not case.consent_disclosure
    assert [e.type for e in case.events.order_by("seq")] == [
        CaseEvent.Type.FILED,
        CaseEvent.Type.EVIDENCE_ADDED,
    ]
    assert len(stored(media)) == 1


def test_the_filed_page_says_who_has_the_case_until_when_as_counted_for_wed_4_march(
    wed_4_march, client, consumer, acme
):
    response = file_against(client, {"merchant": acme.pk})
    page = client.get(response.url).content.decode()
    case = Case.objects.get()
    assert case.number in page
    # Filed Wed 2026-03-04: 10 working days after that day is Wed 2026-03-18.
    assert "2026-03-18 23:59" in page
    assert "10 个工作日" in page
    assert acme.name in page
    assert case.office.name in page


def test_a_business_that_is_not_listed_goes_to_the_office_of_its_region(client, consumer, offices):
    file_against(
        client,
        {"name": "迎泽无名小店", "region_0": "140000", "region_1": "140100", "region_2": "140106"},
    )
    case = Case.objects.get()
    assert case.merchant.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
    assert case.merchant.region_code == "140106"
    assert (case.status, case.office) == (Status.REGULATOR_INTAKE, offices["140106"])


def test_a_business_described_with_a_known_credit_code_is_that_merchant(client, consumer, acme):
    file_against(
        client,
        {
            "name": "随便写的名字",
            "credit_code": acme.credit_code.lower(),
            "region_0": "110000",
            "region_1": "110105",
        },
    )
    assert Case.objects.get().merchant == acme
    assert Merchant.objects.count() == 1


def test_a_region_code_not_in_the_national_table_cannot_be_chosen(client, consumer, acme):
    response = step(client, "business", {"name": acme.name, "region_0": "999999"})
    assert response.context["form"].errors["region"]
    assert Merchant.objects.count() == 1


def test_every_error_of_a_step_is_shown_at_once_with_a_summary_linking_to_each(
    client, consumer, acme
):
    step(client, "business", {"merchant": acme.pk})
    bad = {**COMPLAINT, "amount_claimed": "-5", "purchase_date": "2099-01-01", "facts": ""}
    response = step(client, "complaint", bad)
    body = response.content.decode()
    errors = response.context["form"].errors
    assert set(errors) == {"amount_claimed", "purchase_date", "facts"}
    for field in errors:
        assert f'id="id_complaint-{field}-error"' in body
        assert f'href="#id_complaint-{field}"' in body  # the summary links to the field
    assert 'value="耳机无法开机"' in body  # what was typed stays


def test_a_10000_character_account_is_refused_with_its_limit(client, consumer, acme):
    step(client, "business", {"merchant": acme.pk})
    response = step(client, "complaint", {**COMPLAINT, "facts": "很" * 10_000})
    assert "facts" in response.context["form"].errors
    assert "/ 2000" in response.content.decode()  # the counter shows the limit


def test_going_back_keeps_what_was_typed_even_when_incomplete(client, consumer, acme):
    step(client, "business", {"merchant": acme.pk})
    response = step(
        client, "complaint", {"subject": "屏幕坏点", "facts": ""}, wizard_goto_step="business"
    )
    assert response.context["wizard"]["steps"].current == "business"
    forward = step(client, "business", {"merchant": acme.pk})
    assert 'value="屏幕坏点"' in forward.content.decode()


def test_opening_the_page_again_continues_where_the_person_was(client, consumer, acme):
    step(client, "business", {"merchant": acme.pk})
    again = client.get(URL)
    assert again.context["wizard"]["steps"].current == "complaint"
    restarted = client.get(URL, {"restart": "1"})
    assert restarted.context["wizard"]["steps"].current == "business"


def test_warnings_do_not_block_an_old_purchase_and_an_open_case(client, consumer, acme, file_case):
    earlier = file_case()
    step(client, "business", {"merchant": acme.pk})
    response = step(client, "complaint", {**COMPLAINT, "purchase_date": "2022-03-01"})
    body = response.content.decode()
    assert 'data-testid="warning-too_old"' in body
    assert 'data-testid="warning-open_case"' in body
    assert reverse("cases:detail", args=[earlier.number]) in body
    assert step(client, "confirm", {}).status_code == 302
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    "content, name",
    [(ELF, "photo.jpg"), (pdf_bytes(_js_open_action), "invoice.pdf")],
)
def test_a_refused_file_is_named_and_nothing_is_filed_or_lost(
    client, consumer, acme, media, content, name
):
    response = file_against(
        client,
        {"merchant": acme.pk},
        confirm={"consent_disclosure": "on"},
        files={"confirm-files": [upload(content, name)]},
    )
    assert response.status_code == 200
    assert name in str(response.context["form"].errors["files"])
    assert response.context["form"]["consent_disclosure"].value() is True
    assert not Case.objects.exists()
    assert stored(media) == []
    # The earlier steps are still there: sending without the file files the complaint.
    assert step(client, "confirm", {}).status_code == 302
    assert Case.objects.get().subject == "耳机无法开机"


def test_the_search_finds_by_part_of_the_name_or_the_whole_credit_code(db):
    acme = f.MerchantFactory(name="太原爱克美数码有限公司")
    f.MerchantFactory(name="爱克美数码(不入驻)", odr_status="not_onboarded")
    f.MerchantFactory(name="别家公司")
    assert [m.name for m in merchant_search("爱克美")] == [
        "太原爱克美数码有限公司",
        "爱克美数码(不入驻)",
    ]  # active merchants first
    assert merchant_search(acme.credit_code.lower()) == [acme]
    assert merchant_search("爱") == []  # one character finds nothing


@pytest.mark.parametrize("merchants", [3, 30])
def test_the_search_runs_a_fixed_number_of_queries(
    client, consumer, merchants, django_assert_num_queries
):
    for _ in range(merchants):
        f.MerchantFactory(pledges=["offline_7_day_return"])
    # Session, user with its role rows (2), the search.
    with django_assert_num_queries(3):
        response = client.get(SEARCH, {"business-search": "有限公司"})
    assert response.content.decode().count('name="business-merchant"') == min(merchants, 8)
    assert "线下" in response.content.decode() or "7-day" in response.content.decode()


def test_only_consumers_file(client, mallory, offices):
    sign_in(client, mallory)
    assert client.get(URL).status_code == 404
    assert client.get(SEARCH, {"business-search": "有限公司"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_sending_the_last_step_again_after_the_filing_committed_files_once(client, consumer, acme):
    # The first send filed the case, but the person was shown an error (a timeout after the
    # commit): the wizard still holds the complaint and its key, and they send again.
    step(client, "business", {"merchant": acme.pk})
    shown = step(client, "complaint", COMPLAINT)
    assert shown.context["wizard"]["steps"].current == "confirm"
    key = client.session[f"wizard_{PREFIX}"]["extra_data"]["filing_key"]
    first = services.case_file(consumer=consumer, merchant=acme, filing_key=key, **SERVICE_FIELDS)

    again = step(client, "confirm", {})
    assert again.status_code == 302
    assert again.url == reverse("consumers:filed", args=[first.number])
    assert Case.objects.filter(consumer=consumer).count() == 1


def test_the_next_complaint_gets_a_new_key(client, consumer, acme):
    file_against(client, {"merchant": acme.pk})
    file_against(client, {"merchant": acme.pk}, complaint={"subject": "另一个问题"})
    assert Case.objects.filter(consumer=consumer).count() == 2
    assert len(set(Case.objects.values_list("filing_key", flat=True))) == 2


SERVICE_FIELDS = {"subject": "耳机无法开机", "facts": "收到的耳机无法开机。", "claim": "退货退款"}
