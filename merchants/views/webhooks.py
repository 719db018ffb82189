"""Webhooks (product §3, docs/webhooks.md): owners register their integration's URLs, see each
endpoint's delivery log, redeliver, disable and enable. Agents and everyone else get 404."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.errors import DomainError
from core.forms import DomainErrorForm
from core.paging import keyset_page

from ..models import MerchantMembership, WebhookDelivery, WebhookEndpoint
from ..webhooks import (
    SIGNATURE_HEADER,
    webhook_deliveries_for_endpoint,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_enable,
    webhook_endpoint_get,
    webhook_endpoints_for_merchant,
    webhook_redeliver,
    webhook_target,
)

LOG_PAGE_SIZE = 25


class WebhookForm(DomainErrorForm):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "Where we send the events: an https:// address of your system on the internet."
        ),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"), max_length=200, required=False
    )

    def clean_url(self) -> str:
        # Where the address points (https, a public host) is told now, with the other errors.
        url = self.cleaned_data["url"].strip()
        self.engine_check(webhook_target, url)
        return url


def _endpoint(request: HttpRequest, membership: MerchantMembership, pk: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_get(membership.merchant, pk)
    if endpoint is None:
        raise Http404("No such page.")
    return endpoint


@never_cache  # the page that shows a new secret must not be kept by the browser
@role_required("merchant", owners_only=True)
def webhooks(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The merchant's endpoints, and the form to register one (whose secret is shown once)."""
    form = WebhookForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = webhook_endpoint_create(
                merchant=membership.merchant, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            form = WebhookForm()
    return render(
        request,
        "merchants/webhooks/list.html",
        {
            "membership": membership,
            "merchant": membership.merchant,
            "endpoints": webhook_endpoints_for_merchant(membership.merchant),
            "form": form,
            "created": created,
            "secret": secret,
            "signature_header": SIGNATURE_HEADER,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@role_required("merchant", owners_only=True)
def webhook_detail(request: HttpRequest, membership: MerchantMembership, pk: int) -> HttpResponse:
    """One endpoint: its settings and its delivery log, newest first, in keyset pages."""
    endpoint = _endpoint(request, membership, pk)
    page = keyset_page(
        webhook_deliveries_for_endpoint(endpoint),
        field="created_at",
        descending=True,
        cursor=request.GET.get("after"),
        size=LOG_PAGE_SIZE,
        nulls=False,
    )
    return render(
        request,
        "merchants/webhooks/detail.html",
        {
            "membership": membership,
            "merchant": membership.merchant,
            "endpoint": endpoint,
            "page": page,
            "statuses": WebhookDelivery.Status,
        },
    )


@require_POST
@role_required("merchant", owners_only=True)
def webhook_enable(request: HttpRequest, membership: MerchantMembership, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, membership, pk)
    enabled = request.POST.get("enabled") == "1"
    webhook_endpoint_enable(endpoint=endpoint, actor=request.user, enabled=enabled)
    messages.success(
        request, _("The webhook is enabled.") if enabled else _("The webhook is disabled.")
    )
    return redirect("merchants:webhook", pk=endpoint.pk)


@require_POST
@role_required("merchant", owners_only=True)
def webhook_remove(request: HttpRequest, membership: MerchantMembership, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, membership, pk)
    webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("The webhook is deleted."))
    return redirect("merchants:webhooks")


@require_POST
@role_required("merchant", owners_only=True)
def webhook_redeliver_one(
    request: HttpRequest, membership: MerchantMembership, pk: int, delivery_id: int
) -> HttpResponse:
    endpoint = _endpoint(request, membership, pk)
    delivery = webhook_deliveries_for_endpoint(endpoint).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such page.")
    webhook_redeliver(delivery=delivery, actor=request.user)
    messages.success(request, _("The delivery is queued again."))
    return redirect("merchants:webhook", pk=endpoint.pk)
