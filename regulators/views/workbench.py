"""The regulator's workbench (product §2, §4): the intake queue (待受理), the mediation room's
cases (云端调解室), open enforcement referrals (诉转案), and complaints registered on a consumer's
behalf. Acting on a case happens on the case page."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.models import DEADLINES, DeadlinePolicy
from cases.selectors import deadline_shown
from cases.services import Business, complaint_intake
from consumers.forms import ComplaintDetailsForm
from core.calendar import current_calendar
from core.decorators import role_required
from core.errors import ValidationFailed
from core.regions import region_full_name
from merchants.selectors import merchant_search

from ..forms import OnBehalfForm
from ..selectors import (
    QUEUES,
    office_queue,
    office_queue_counts,
    office_referrals,
    office_subtree_ids,
)

# The fields of the complaint itself on the registration form (the consumer's phone is above).
COMPLAINT_FIELDS = [name for name in ComplaintDetailsForm.base_fields if name != "contact_phone"]


def _with_deadline(cases, queue: str, now, calendar) -> list[dict]:
    """Each case of a queue with the queue's deadline (the deadline of the same name), shown as
    on every page (``cases.selectors.deadline_shown``)."""
    kind = DEADLINES[queue]
    shown = []
    for case in cases:
        due = kind.due_at(case)
        deadline = deadline_shown(case, kind, due, now, calendar) if due else None
        shown.append({"case": case, "deadline": deadline})
    return shown


@role_required("regulator")
def home(request: HttpRequest, membership) -> HttpResponse:
    """The workbench: the backlog of every office of the subtree, with links to the queues."""
    office = membership.office
    ids = office_subtree_ids(office)
    return render(
        request,
        "regulators/home.html",
        {
            "membership": membership,
            "office": office,
            "backlog": office_queue_counts(office, subtree_ids=ids),
        },
    )


@role_required("regulator")
def queue(request: HttpRequest, membership, name: str) -> HttpResponse:
    """The intake or mediation queue of the subtree, the nearest deadline first."""
    if name not in QUEUES:
        raise Http404("No such queue.")
    office = membership.office
    page = office_queue(office, name, cursor=request.GET.get("after"))
    now, calendar = timezone.now(), current_calendar()
    return render(
        request,
        "regulators/queue.html",
        {
            "office": office,
            "name": name,
            "status": QUEUES[name][0],
            "rows": _with_deadline(page.rows, name, now, calendar),
            "page": page,
            "policy": DeadlinePolicy.cached(),
        },
    )


@role_required("regulator")
def referrals(request: HttpRequest, membership) -> HttpResponse:
    office = membership.office
    page = office_referrals(office, cursor=request.GET.get("after"))
    now = timezone.now()
    rows = [
        {"row": r, "overdue": now > r.decide_due_at, "due_at": r.decide_due_at} for r in page.rows
    ]
    return render(
        request, "regulators/referrals.html", {"office": office, "rows": rows, "page": page}
    )


# The engine's fields as the registration form names them.
REGISTER_FIELDS = {"phone": "contact_phone", "region_code": "region", "merchant": "name"}


@role_required("regulator")
def register(request: HttpRequest, membership) -> HttpResponse:
    """Register a complaint a consumer made by phone, letter, in person or through the 12345
    hotline: the consumer found by phone (or given an account), the business found or described."""
    form = OnBehalfForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = complaint_intake(
                respondent=data["merchant"]
                or Business(
                    name=data["name"],
                    region_code=data["region"],
                    credit_code=data["credit_code"],
                    address=data["address"],
                ),
                consumer_phone=data["contact_phone"],
                consumer_name=data["consumer_name"],
                channel=data["channel"],
                registered_by=request.user,
                fields=REGISTER_FIELDS,
                subject=data["subject"],
                facts=data["facts"],
                claim=data["claim"],
                claim_remedy=data["claim_remedy"],
                amount_claimed=data["amount_claimed"],
                purchase_date=data["purchase_date"],
                order_reference=data["order_reference"],
            )
        except ValidationFailed as error:
            form.add_domain_error(error)
        else:
            return redirect("cases:detail", case.number)
    status = 422 if form.is_bound and form.errors else 200
    chosen = form.chosen()
    return render(
        request,
        "regulators/register.html",
        {
            "form": form,
            "chosen": chosen,
            "chosen_item": _described(chosen) if chosen else None,
            "complaint_fields": COMPLAINT_FIELDS,
        },
        status=status,
    )


def _described(merchant) -> dict:
    return {"merchant": merchant, "region": region_full_name(merchant.region_code)}


@require_GET
@role_required("regulator")
def merchant_results(request: HttpRequest, membership) -> HttpResponse:
    query = request.GET.get("search", "")
    merchants = merchant_search(query)
    return render(
        request,
        "consumers/filing/_merchant_results.html",
        {
            "merchants": [
                {"merchant": m, "region": region_full_name(m.region_code)} for m in merchants
            ],
            "searched": bool(query.strip()),
            "field_name": "merchant",
        },
    )
