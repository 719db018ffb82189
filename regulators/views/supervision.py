"""Supervision of merchants (product §3): the applications and the onboarded merchants of the
office's regions, each with its figures over twelve months, and the decisions on them (approve,
reject, suspend, reinstate, dynamic exit 动态退出) through ``merchants.services``."""

from collections.abc import Callable
from typing import NamedTuple

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.decorators import role_required
from core.downloads import download_response
from core.errors import DomainError
from merchants import services as merchant_services
from merchants.models import ODR_TRANSITIONS, Merchant, MerchantEvent
from merchants.selectors import merchant_owners

from ..forms import MerchantDecisionForm
from ..selectors import (
    SUPERVISED_STATUSES,
    merchant_figures,
    office_merchant_counts,
    office_merchant_get,
    office_merchant_page,
    twelve_months_start,
)

# How much of a merchant's history its supervision page shows.
HISTORY_SHOWN = 50


class Decision(NamedTuple):
    event: str  # the history action that records it (ODR_TRANSITIONS' key)
    label: Promise
    service: Callable
    danger: bool


A = MerchantEvent.Action
# The regulator's decisions, by the name in their URL, in the order the page offers them.
DECISIONS: dict[str, Decision] = {
    "approve": Decision(
        A.APPROVED,
        gettext_lazy("Approve the application"),
        merchant_services.merchant_approve,
        False,
    ),
    "reject": Decision(
        A.REJECTED, gettext_lazy("Reject the application"), merchant_services.merchant_reject, True
    ),
    "reinstate": Decision(
        A.REINSTATED, gettext_lazy("Reinstate"), merchant_services.merchant_reinstate, False
    ),
    "suspend": Decision(
        A.SUSPENDED, gettext_lazy("Suspend"), merchant_services.merchant_suspend, True
    ),
    "exit": Decision(
        A.EXITED,
        gettext_lazy("Take out of ODR (dynamic exit)"),
        merchant_services.merchant_exit,
        True,
    ),
}
del A


def _decisions_for(merchant: Merchant) -> list[str]:
    """The decisions the merchant's ODR status allows now."""
    return [name for name, d in DECISIONS.items() if d.event in merchant.odr_actions()]


def _form(name: str, data=None) -> MerchantDecisionForm:
    required = ODR_TRANSITIONS[DECISIONS[name].event].reason_required
    return MerchantDecisionForm(data, reason_required=required, prefix=name)


@role_required("regulator")
def merchants(request: HttpRequest, membership) -> HttpResponse:
    """The office's merchants in one ODR status (applications by default), with their figures."""
    office = membership.office
    status = request.GET.get("status", "")
    if status not in SUPERVISED_STATUSES:
        status = Merchant.OdrStatus.APPLIED
    page = office_merchant_page(office, status, cursor=request.GET.get("after"))
    figures = merchant_figures([m.pk for m in page.rows], since=twelve_months_start(timezone.now()))
    counts = office_merchant_counts(office)
    labels = dict(Merchant.OdrStatus.choices)
    return render(
        request,
        "regulators/supervision/list.html",
        {
            "office": office,
            "status": status,
            "tabs": [(s, labels[s], counts.get(s, 0)) for s in SUPERVISED_STATUSES],
            "rows": [{"merchant": m, "figures": figures[m.pk]} for m in page.rows],
            "page": page,
            "query_string": f"status={status}",
        },
    )


def _merchant_page(
    request: HttpRequest, membership, merchant: Merchant, bound: MerchantDecisionForm | None = None
) -> HttpResponse:
    names = _decisions_for(merchant)
    forms = [
        {
            "name": name,
            "label": DECISIONS[name].label,
            "danger": DECISIONS[name].danger,
            "form": bound if bound is not None and bound.prefix == name else _form(name),
        }
        for name in names
    ]
    figures = merchant_figures([merchant.pk], since=twelve_months_start(timezone.now()))
    history = merchant.history.select_related("actor").order_by("-created_at", "-pk")
    return render(
        request,
        "regulators/supervision/detail.html",
        {
            "office": membership.office,
            "merchant": merchant,
            "figures": figures[merchant.pk],
            "decisions": forms,
            "history": history[:HISTORY_SHOWN],
            "owners": merchant_owners(merchant),
            "complaints_now": merchant.cases.count(),
            "refused": bound if bound is not None and bound.prefix not in names else None,
        },
        status=422 if bound is not None else 200,
    )


@role_required("regulator")
def merchant_detail(request: HttpRequest, pk: int, membership) -> HttpResponse:
    """One merchant of the office's regions: its details, figures, history and the decisions its
    status allows."""
    return _merchant_page(request, membership, office_merchant_get(membership.office, pk))


@require_GET
@role_required("regulator")
def merchant_licence(request: HttpRequest, pk: int, membership) -> HttpResponse:
    """The business licence an application carried, for the office that reviews it."""
    merchant = office_merchant_get(membership.office, pk)
    if not merchant.business_licence:
        raise Http404("No licence on file.")
    return download_response(
        merchant.business_licence,
        merchant.business_licence_download_name,
        merchant.business_licence_type,
    )


@require_POST
@role_required("regulator")
def merchant_act(request: HttpRequest, pk: int, action: str, membership) -> HttpResponse:
    """Take one decision on a merchant: parse the reason, call its one service, and show a refusal
    beside the reason with what was typed."""
    merchant = office_merchant_get(membership.office, pk)
    if action not in DECISIONS:
        raise Http404("No such decision.")
    form = _form(action, request.POST)
    if form.is_valid():
        try:
            DECISIONS[action].service(merchant, request.user, form.cleaned_data["reason"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("Recorded for %(merchant)s: %(decision)s.")
                % {"merchant": merchant.name, "decision": DECISIONS[action].label},
            )
            back = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                back = reverse("regulators:merchant", args=[merchant.pk])
            return redirect(back)
    merchant.refresh_from_db()
    return _merchant_page(request, membership, merchant, bound=form)
