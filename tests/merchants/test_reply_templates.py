"""Reply templates (product §3): owners keep them; staff insert them, filled in for the case."""

import pytest
from django.urls import reverse

from cases import services
from core.errors import ActionNotAllowed
from merchants.models import ReplyTemplate
from merchants.replies import fill_reply
from merchants.services import reply_template_save
from tests import factories as f
from tests.conftest import sign_in

LIST = reverse("merchants:reply_templates")


@pytest.fixture
def agent(acme):
    return f.MerchantMembershipFactory(merchant=acme, role="agent").user


@pytest.fixture
def template(acme, mallory):
    return reply_template_save(
        merchant=acme,
        actor=mallory,
        title="签收回复",
        body=(
            "{consumer_name}您好，投诉 {case_number} 已收到，"
            "我们将在 {deadline} 前处理（诉求金额 {amount}）。"
        ),
    )


def test_an_owner_adds_changes_and_deletes_templates(client, mallory, acme):
    sign_in(client, mallory)
    response = client.post(LIST, {"title": "致歉", "body": "非常抱歉。"})
    assert response.status_code == 302
    saved = ReplyTemplate.objects.get(merchant=acme)
    edit = reverse("merchants:reply_template_edit", args=[saved.pk])
    client.post(edit, {"title": "致歉", "body": "非常抱歉给您带来不便。"})
    assert ReplyTemplate.objects.get(pk=saved.pk).body == "非常抱歉给您带来不便。"
    client.post(reverse("merchants:reply_template_remove", args=[saved.pk]))
    assert not ReplyTemplate.objects.exists()


def test_a_title_taken_or_an_empty_text_is_refused_beside_its_field(client, mallory, template):
    sign_in(client, mallory)
    response = client.post(LIST, {"title": "签收回复", "body": "另一条"})
    assert response.status_code == 422
    assert "title" in response.context["form"].errors
    assert 'value="签收回复"' in response.content.decode()  # what was typed stays
    assert client.post(LIST, {"title": "新", "body": ""}).status_code == 422
    assert ReplyTemplate.objects.count() == 1


def test_an_unknown_variable_is_refused_beside_the_text_naming_the_ones_there_are(
    client, mallory, template
):
    sign_in(client, mallory)
    body = "投诉 {case_no} 已收到，我们将在 {deadline} 前处理。{case_no}"
    response = client.post(LIST, {"title": "新回复", "body": body})
    assert response.status_code == 422
    [error] = response.context["form"].errors["body"]
    assert "{case_no}" in error and error.count("{case_no}") == 1
    assert "{case_number}" in error and "{deadline}" not in error.split("{case_no}")[0]
    assert body in response.content.decode()  # what was typed stays
    assert ReplyTemplate.objects.count() == 1
    # A lone brace or braces around something else is just text.
    saved = client.post(LIST, {"title": "新回复", "body": "价格 {100元} 或 { 或 {}"})
    assert saved.status_code == 302


def test_the_page_lists_the_variables_with_what_each_becomes(client, mallory):
    sign_in(client, mallory)
    body = client.get(LIST).content.decode()
    for name in ("case_number", "consumer_name", "claim", "deadline", "amount"):
        assert "{" + name + "}" in body


def test_agents_get_not_found_and_cannot_save_through_the_service(client, agent, acme, template):
    sign_in(client, agent)
    assert client.get(LIST).status_code == 404
    assert client.post(LIST, {"title": "x", "body": "y"}).status_code == 404
    remove = reverse("merchants:reply_template_remove", args=[template.pk])
    assert client.post(remove).status_code == 404
    with pytest.raises(ActionNotAllowed):
        reply_template_save(merchant=acme, actor=agent, title="x", body="y")
    assert ReplyTemplate.objects.count() == 1


def test_another_merchants_owner_cannot_reach_these_templates(client, trent, template):
    sign_in(client, trent)
    edit = reverse("merchants:reply_template_edit", args=[template.pk])
    assert client.get(edit).status_code == 404
    assert (
        client.post(reverse("merchants:reply_template_remove", args=[template.pk])).status_code
        == 404
    )
    assert ReplyTemplate.objects.filter(pk=template.pk).exists()


def test_staff_see_the_template_filled_in_for_the_case_and_the_consumer_does_not(
    client, file_case, template, agent, alice
):
    case = file_case()
    sign_in(client, agent)
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    # The consumer did not consent: the name is masked as the merchant sees it. The deadline is
    # the one the merchant must meet next: acknowledging (filed Mon 03-02, 2 working days).
    assert (
        f"王**您好，投诉 {case.number} 已收到，"
        "我们将在 2026-03-04 23:59 前处理（诉求金额 ¥299.00）。" in body
    )
    services.case_acknowledge(case=case, actor=agent)
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "我们将在 2026-03-16 23:59 前处理" in body  # then settling (10 working days)
    assert 'class="form-select form-select-sm reply-picker"' in body
    sign_in(client, alice)
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "reply-picker" not in body


def test_fill_reply_replaces_known_names_only():
    text = fill_reply("{case_number} {unknown} {0} {a.b} {", {"case_number": "N-1"})
    assert text == "N-1 {unknown} {0} {a.b} {"


@pytest.mark.parametrize("templates", [1, 8])
def test_the_list_runs_a_fixed_number_of_queries(
    client, acme, mallory, templates, django_assert_num_queries
):
    for i in range(templates):
        reply_template_save(merchant=acme, actor=mallory, title=f"回复 {i}", body=f"您好，{i}。")
    sign_in(client, mallory)
    # Session, user with its role rows, the membership's merchant (3); the templates (1).
    # +1: the navigation's unread notifications.
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.context["templates"]) == templates
    body = response.content.decode()
    assert all(f"<strong>回复 {i}</strong>" in body for i in range(templates))
