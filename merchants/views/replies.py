"""Reply templates (product §3): the owners keep them, all staff insert them on the case page."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.errors import DomainError

from ..models import ReplyTemplate
from ..replies import REPLY_VARIABLES
from ..services import reply_template_delete, reply_template_save


class ReplyTemplateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The variables below are filled in for each case."),
    )


def _owner(membership) -> None:
    """Agents work cases but do not manage what the business shares: 404 for them."""
    if not membership.is_owner:
        raise Http404


@role_required("merchant")
def reply_templates(request: HttpRequest, membership, pk: int | None = None) -> HttpResponse:
    """The list of templates, with the form to add one (or to change the one at ``pk``)."""
    _owner(membership)
    merchant = membership.merchant
    template = get_object_or_404(ReplyTemplate, pk=pk, merchant=merchant) if pk else None
    initial = {"title": template.title, "body": template.body} if template else None
    form = ReplyTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reply_template_save(
                merchant=merchant, actor=request.user, template=template, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The template is saved."))
            return redirect("merchants:reply_templates")
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "merchants/reply_templates.html",
        {
            "form": form,
            "editing": template,
            "templates": ReplyTemplate.objects.filter(merchant=merchant).order_by("title"),
            "variables": REPLY_VARIABLES.items(),
        },
        status=status,
    )


@require_POST
@role_required("merchant")
def reply_template_remove(request: HttpRequest, membership, pk: int) -> HttpResponse:
    _owner(membership)
    template = get_object_or_404(ReplyTemplate, pk=pk, merchant=membership.merchant)
    reply_template_delete(template=template, actor=request.user)
    messages.success(request, _("The template is deleted."))
    return redirect("merchants:reply_templates")
