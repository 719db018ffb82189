"""Abnormal complainants (职业索赔, 牟利性投诉; product §6): the consumers the subtree's
complaints of the last twelve months single out, with the evidence, and the regulator's recorded
decision.
Merchants bring a complaint to the regulator's attention by flagging it (``complaint_flag``);
only a regulator decides."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.rules import Party
from cases.selectors import case_get_for_user
from core.audit import audit_record
from core.decorators import role_required
from core.errors import DomainError
from core.models import AuditEntry

from ..forms import ComplainantReviewForm, ComplaintFlagForm
from ..models import ComplainantFlag
from ..selectors import (
    abnormal_complainant_page,
    abnormal_thresholds,
    complainant_case_page,
    complainant_get_for_office,
    complainant_reviews,
    complainant_summary,
    office_subtree_ids,
)
from ..services import complainant_flag, complainant_review


@role_required("regulator")
def complainants(request: HttpRequest, membership) -> HttpResponse:
    """The complainants singled out in the subtree, most complaints first, with the latest
    decision on each by an office of the jurisdiction chain."""
    office = membership.office
    page = abnormal_complainant_page(office, now=timezone.now(), cursor=request.GET.get("after"))
    reviews = complainant_reviews(office, [consumer.pk for consumer in page.rows])
    if page.rows:  # the list shows full names: recorded with the people it listed (product §6)
        audit_record(
            request.user,
            AuditEntry.Action.CONTACT_UNMASKED,
            "complainants",
            AuditEntry.Outcome.SUCCESS,
            request,
            target_type="complainant_list",
            detail={"complainants": [consumer.pk for consumer in page.rows]},
        )
    return render(
        request,
        "regulators/abnormal/list.html",
        {
            "office": office,
            "page": page,
            "rows": [{"consumer": c, "reviews": reviews[c.pk]} for c in page.rows],
            "limits": abnormal_thresholds(),
            "query_string": "",
        },
    )


@role_required("regulator")
def complainant(request: HttpRequest, pk: int, membership) -> HttpResponse:
    """One complainant: the counts, the evidence (their cases in the subtree over twelve months,
    with the merchants' flags and claims), the decisions so far, and the form to decide."""
    office = membership.office
    subtree_ids = office_subtree_ids(office)
    consumer = complainant_get_for_office(office, pk, subtree_ids=subtree_ids)
    form = ComplainantReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complainant_review(
                consumer=consumer,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The decision has been recorded."))
            return redirect("regulators:complainant", pk=consumer.pk)
    now = timezone.now()
    page = complainant_case_page(
        office, consumer, now=now, cursor=request.GET.get("after"), subtree_ids=subtree_ids
    )
    audit_record(
        request.user,
        AuditEntry.Action.CONTACT_UNMASKED,
        consumer.login_name,
        AuditEntry.Outcome.SUCCESS,
        request,
        target_type="complainant",
    )
    return render(
        request,
        "regulators/abnormal/detail.html",
        {
            "office": office,
            "consumer": consumer,
            "summary": complainant_summary(office, consumer, now=now, subtree_ids=subtree_ids),
            "limits": abnormal_thresholds(),
            "page": page,
            "reviews": complainant_reviews(office, [consumer.pk])[consumer.pk],
            "form": form,
            "query_string": "",
        },
        status=422 if form.errors else 200,
    )


@role_required("merchant")
def complaint_flag(request: HttpRequest, number: str, membership) -> HttpResponse:
    """Merchant staff flag a complaint against their merchant as suspected profit-seeking, with
    the reason, for the regulator to look at; a complaint is flagged once."""
    case, party = case_get_for_user(request.user, number, request)
    if party != Party.MERCHANT:
        raise Http404("No such case.")
    flag = ComplainantFlag.objects.filter(case=case).select_related("flagged_by").first()
    form = ComplaintFlagForm(request.POST or None)
    if request.method == "POST" and flag is None and form.is_valid():
        try:
            complainant_flag(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, _("The complaint has been flagged for the regulator office to look at.")
            )
            return redirect("cases:detail", number=case.number)
    return render(
        request,
        "regulators/abnormal/flag.html",
        {"case": case, "flag": flag, "form": form},
        status=422 if form.errors else 200,
    )
