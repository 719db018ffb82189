"""The office's dashboard (product §2) and the exports of its tables and lists (CSV, XLSX)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_record
from core.dates import local_date, week_start
from core.decorators import role_required
from core.exports import FORMATS, export_response
from core.forms import PeriodForm
from core.models import AuditEntry

from ..selectors import QUEUES, in_subtree, office_cases, office_dashboard, office_open_referrals


def _period(request: HttpRequest) -> tuple[PeriodForm, dict]:
    """The weeks asked for (their Mondays), or the default period's."""
    form, start, end = PeriodForm.period(request.GET, today=local_date(timezone.now()))
    return form, {"first_week": week_start(start), "last_week": week_start(end)}


@role_required("regulator")
def dashboard(request: HttpRequest, membership) -> HttpResponse:
    office = membership.office
    form, period = _period(request)
    figures = office_dashboard(
        office, period["first_week"], period["last_week"], now=timezone.now()
    )
    chart = {
        "labels": [w["week"].isoformat() for w in figures["weekly"]],
        "counts": [w["filed"] for w in figures["weekly"]],
        "label": str(_("Complaints filed per week")),
    }
    rates = {
        "labels": chart["labels"],
        "counts": [round((w["settled_directly_rate"] or 0) * 100) for w in figures["weekly"]],
        "label": str(_("Share settled directly by merchants, in percent of what they received")),
    }
    return render(
        request,
        "regulators/dashboard.html",
        {
            "office": office,
            "form": form,
            "figures": figures,
            "chart": chart,
            "rates": rates,
            "query": request.GET.urlencode(),
            "formats": FORMATS,
        },
    )


# Each table a regulator can export: its columns (header, key of the dashboard's rows).
TABLE_COLUMNS = [
    (gettext_lazy("Complaints"), "filed"),
    (gettext_lazy("Received by ODR merchants"), "to_merchant"),
    (gettext_lazy("Settled directly by merchants"), "settled_directly"),
    (gettext_lazy("Reached the regulator"), "escalated"),
    (gettext_lazy("Accepted"), "accepted"),
    (gettext_lazy("Not accepted"), "not_accepted"),
    (gettext_lazy("Mediated to an agreement"), "mediated"),
    (gettext_lazy("Acknowledged on time"), "acknowledged_on_time"),
    (gettext_lazy("Acknowledged late"), "acknowledged_late"),
    (gettext_lazy("Settlement deadline missed"), "settle_late"),
    (gettext_lazy("Accepted or refused on time"), "intake_on_time"),
    (gettext_lazy("Accepted or refused late"), "intake_late"),
    (gettext_lazy("Recovered for consumers (CNY)"), "recovered"),
]
TABLES = {
    "offices": ("by_office", gettext_lazy("Office"), "name"),
    "industries": ("by_industry", gettext_lazy("Industry"), "industry"),
    "merchants": ("by_merchant", gettext_lazy("Merchant"), "merchant__name"),
    "weeks": ("weekly", gettext_lazy("Week"), "week"),
}


@role_required("regulator")
def export(request: HttpRequest, membership, table: str, fmt: str) -> HttpResponse:
    """A dashboard table or a queue of the subtree as CSV or XLSX; every export is audited."""
    if fmt not in FORMATS or (table not in TABLES and table not in LISTS):
        raise Http404("No such export.")
    office = membership.office
    if table in TABLES:
        _form, period = _period(request)
        figures = office_dashboard(
            office, period["first_week"], period["last_week"], now=timezone.now(), top=1000
        )
        key, first_header, first_key = TABLES[table]
        rows = [[row[first_key], *(row[k] for _h, k in TABLE_COLUMNS)] for row in figures[key]]
        header = [str(first_header), *(str(h) for h, _k in TABLE_COLUMNS)]
        count, personal = len(rows), False
    else:
        header, rows, count = LISTS[table](office)
        personal = True
    audit_record(
        request.user,
        AuditEntry.Action.EXPORT,
        table,
        AuditEntry.Outcome.SUCCESS,
        request,
        target_type="export",
        detail={"format": fmt, "rows": count, "personal_data": personal, "office": office.pk},
    )
    stamp = local_date(timezone.now()).strftime("%Y%m%d")
    return export_response(f"{table}-{stamp}", header, rows, fmt)


def _queue_rows(name: str):
    status, deadline = QUEUES[name]

    def rows(office):
        cases = office_cases(office).filter(status=status).order_by(deadline, "pk")
        header = [
            str(h)
            for h in (
                _("Case number"),
                _("Subject"),
                _("Merchant"),
                _("Office"),
                _("Consumer"),
                _("Contact phone"),
                _("Deadline"),
                _("Filed"),
            )
        ]
        values = cases.values_list(
            "number",
            "subject",
            "merchant__name",
            "office__name",
            "consumer__name",
            "contact_phone",
            deadline,
            "filed_at",
        )
        return header, values.iterator(chunk_size=2000), cases.count()

    return rows


def _referral_rows(office):
    referrals = in_subtree(office_open_referrals(), office).order_by("decide_due_at", "pk")
    header = [
        str(h)
        for h in (_("Case number"), _("Merchant"), _("Suspected violation of"), _("Decide by"))
    ]
    values = referrals.values_list("case__number", "case__merchant__name", "law", "decide_due_at")
    return header, values.iterator(chunk_size=2000), referrals.count()


LISTS = {
    "intake": _queue_rows("intake"),
    "mediation": _queue_rows("mediation"),
    "referrals": _referral_rows,
}
