"""API tokens (product §3; docs/api.md): owners make, name, scope, list and revoke the tokens
their integrations use. A token is shown once, on the page that answers its creation; only its
SHA-256 is stored. Every token acts as the merchant's API user, an agent on the staff."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api.models import ApiToken
from api.selectors import api_token_list_for_merchant
from api.services import api_token_create, api_token_revoke
from api.throttling import TokenCreateThrottle
from core.decorators import role_required
from core.errors import DomainError
from core.forms import DomainErrorForm

from ..models import MerchantMembership


class TokenForm(DomainErrorForm):
    name = forms.CharField(
        label=pgettext_lazy("of a token", "Name"),
        max_length=100,
        help_text=gettext_lazy("Which integration uses it, e.g. “ERP” or “customer service”."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("What it may do"),
        choices=[
            (ApiToken.Scope.READ, gettext_lazy("Read cases only")),
            (ApiToken.Scope.ACT, gettext_lazy("Read cases and act on them")),
        ],
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
    )


def _page(request, membership, form, *, created=None, status=200) -> HttpResponse:
    return render(
        request,
        "merchants/tokens/list.html",
        {
            "membership": membership,
            "merchant": membership.merchant,
            "form": form,
            "tokens": api_token_list_for_merchant(membership.merchant),
            "created": created,
            "now": timezone.now(),
            "days": settings.ODR_API_TOKEN_DAYS,
        },
        status=status,
    )


@never_cache
@role_required("merchant", owners_only=True)
def tokens(request: HttpRequest, membership: MerchantMembership) -> HttpResponse:
    """The merchant's tokens, and a form to make one; a new token's text is shown once."""
    if request.method != "POST":
        return _page(request, membership, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, form, status=422)
    throttle = TokenCreateThrottle()
    if not throttle.allow_request(request, None):
        form.add_error(None, _("Too many tokens made in a short time. Try again later."))
        return _page(request, membership, form, status=429)
    try:
        token, text = api_token_create(
            merchant=membership.merchant,
            actor=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _page(request, membership, form, status=422)
    return _page(request, membership, TokenForm(), created={"token": token, "text": text})


@require_POST
@role_required("merchant", owners_only=True)
def token_revoke(request: HttpRequest, membership: MerchantMembership, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, account__merchant=membership.merchant)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("merchants:tokens")
