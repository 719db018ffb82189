"""The consumer portal (product §2): filing a complaint step by step, and my cases."""

import uuid

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from formtools.wizard.views import SessionWizardView

from cases.models import Remedy, Status
from cases.selectors import (
    case_deadlines,
    case_get_for_user,
    case_list_for_consumer,
    case_moved_on,
    filing_warnings,
)
from cases.services import Business, complaint_intake
from core.calendar import current_calendar
from core.db import retry_once_on_conflict
from core.decorators import role_required
from core.errors import ValidationFailed
from core.paging import keyset_page
from core.ratelimits import evidence_upload_wait, evidence_uploads_at_once, wait_words
from core.regions import region_full_name
from merchants.selectors import merchant_search

from .forms import ComplaintDetailsForm, ConsentForm, RespondentForm

PAGE_SIZE = 20
MY_CASES_FILTERS = {"open": False, "closed": True}


@role_required("consumer")
def home(request: HttpRequest, membership) -> HttpResponse:
    """My cases: newest first, open or closed, each with its next deadline; keyset pages."""
    shown = request.GET.get("show", "")
    cases = case_list_for_consumer(request.user, closed=MY_CASES_FILTERS.get(shown))
    page = keyset_page(
        cases, field="filed_at", descending=True, cursor=request.GET.get("after"), size=PAGE_SIZE
    )
    now, calendar = timezone.now(), current_calendar()
    rows = [
        {"case": case, "next": next(iter(case_deadlines(case, now, calendar)), None)}
        for case in page.rows
    ]
    return render(
        request,
        "consumers/home.html",
        {"rows": rows, "page": page, "shown": shown if shown in MY_CASES_FILTERS else ""},
    )


@require_GET
@role_required("consumer")
def merchant_results(request: HttpRequest, membership) -> HttpResponse:
    """The respondent search, as the consumer types (htmx): known businesses to choose from."""
    query = request.GET.get("business-search", "")
    return render(
        request,
        "consumers/filing/_merchant_results.html",
        {
            "merchants": _described(merchant_search(query)),
            "searched": bool(query.strip()),
        },
    )


def _described(merchants) -> list[dict]:
    return [{"merchant": m, "region": region_full_name(m.region_code)} for m in merchants]


STEPS = [
    ("business", RespondentForm),
    ("complaint", ComplaintDetailsForm),
    ("confirm", ConsentForm),
]


class FilingWizard(SessionWizardView):
    """Three short steps, each validated on its own with every error shown at once; going back
    keeps what was typed; nothing is filed until the last step. Evidence files are never kept
    between requests: they are checked when chosen and stored when the complaint is filed."""

    form_list = STEPS
    template_name = "consumers/filing/step.html"
    # formtools asks for a storage for file fields; evidence files never reach it (see
    # get_form_step_files), so nothing is written to disk before the engine has checked it.
    file_storage = None

    def get_form_initial(self, step):
        if step == "complaint":
            return {"contact_phone": self.request.user.phone}
        return {}

    def get_form_step_files(self, form):
        return {}

    def post(self, *args, **kwargs):
        """Evidence files (the last step checks each as it arrives) are first counted against
        the person's upload limit (``ODR_RATE_LIMIT_EVIDENCE``): over it, none is read and the
        step is shown again with the error beside the files, answered 429."""
        files = self.request.FILES.getlist("confirm-files")
        if files and not self.request.POST.get("wizard_goto_step"):
            at_once = evidence_uploads_at_once()
            if at_once is not None and len(files) > at_once:
                return self._files_refused(
                    _("Attach at most %(count)d files at a time; add the others on the case page.")
                    % {"count": at_once}
                )
            wait = evidence_upload_wait(self.request, len(files))
            if wait:
                return self._files_refused(
                    _(
                        "Many files were attached from your account in a short time. Wait "
                        "%(wait)s, then attach them again."
                    )
                    % {"wait": wait_words(wait)},
                    wait=wait,
                )
        return super().post(*args, **kwargs)

    def _files_refused(self, message: str, wait: int = 0) -> HttpResponse:
        self.storage.current_step = "confirm"
        form = self.get_form(step="confirm", data=self.request.POST)  # without the files
        form.is_valid()
        form.add_error("files", message)
        response = self.render(form)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    def get(self, request, *args, **kwargs):
        """Opening the page again (a reload, or back from elsewhere) continues where the person
        was; ``?restart=1`` starts a new complaint."""
        if request.GET.get("restart") or self.storage.current_step is None:
            self.storage.reset()
            self.storage.current_step = self.steps.first
        data = self.storage.get_step_data(self.steps.current)
        return self.render(self.get_form(data=data))

    def render_goto_step(self, goto_step, **kwargs):
        """Going back keeps what was typed on this step, even before it is complete."""
        form = self.get_form(data=self.request.POST, files=self.request.FILES)
        self.storage.set_step_data(self.steps.current, self.process_step(form))
        return super().render_goto_step(goto_step, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context["step_titles"] = STEP_TITLES
        if step == "business":
            # Shown again (an error, or back from a later step): the chosen business and what the
            # search typed found, so that nothing needs typing twice.
            chosen = form.chosen()
            found = merchant_search(form["search"].value() or "")
            shown = ([chosen] if chosen else []) + [m for m in found if m != chosen]
            context["chosen"] = chosen
            context["results"] = _described(shown)
        if step == "confirm":
            context.update(self._summary())
            self._filing_key()  # from the moment it can be sent
        return context

    def _summary(self) -> dict:
        business = self.get_cleaned_data_for_step("business") or {}
        complaint = self.get_cleaned_data_for_step("complaint") or {}
        merchant = business.get("merchant")
        return {
            "business": business,
            "business_region": region_full_name(
                merchant.region_code if merchant else business.get("region") or ""
            ),
            "complaint": complaint,
            "claim_remedy": Remedy(complaint["claim_remedy"]).label if complaint else "",
            "warnings": filing_warnings(
                self.request.user, merchant, complaint.get("purchase_date"), timezone.now()
            ),
        }

    def render_done(self, form, **kwargs):
        """File the complaint. If the engine refuses it, show the step it concerns with the
        error, keeping everything typed (the wizard is reset only once the case exists)."""
        forms = {}
        for step in self.get_form_list():
            bound = self.get_form(step=step, data=self.storage.get_step_data(step))
            if not bound.is_valid():
                return self.render_revalidation_failure(step, bound, **kwargs)
            forms[step] = bound
        try:
            # Files are read from the start each time (Django's ``chunks``): a retry sees them.
            case = retry_once_on_conflict(self._file)(
                forms, self.request.FILES.getlist("confirm-files")
            )
        except ValidationFailed as error:
            step = STEP_OF_FIELD.get(error.field, "confirm")
            bound = forms[step] if step != "confirm" else form
            field = FORM_FIELD.get(error.field, error.field)
            bound.add_error(field if field in bound.fields else None, error.message)
            self.storage.current_step = step
            return self.render(bound)
        self.storage.reset()
        return redirect("consumers:filed", case.number)

    def _file(self, forms: dict, files: list):
        business = forms["business"].cleaned_data
        complaint = forms["complaint"].cleaned_data
        consents = forms["confirm"].cleaned_data
        return complaint_intake(
            respondent=business["merchant"]
            or Business(
                name=business["name"],
                region_code=business["region"],
                credit_code=business["credit_code"],
                address=business["address"],
            ),
            consumer=self.request.user,
            evidence=files,
            consent_contact=consents["consent_contact"],
            consent_disclosure=consents["consent_disclosure"],
            filing_key=self._filing_key(),
            **complaint,
        )

    def _filing_key(self) -> str:
        """The key of the complaint being written, made when it is first sent: sending it again
        (after an error, a timeout, a reload of the last step) returns the case already filed.
        A new complaint (the wizard reset once a case exists) gets a new key."""
        extra = self.storage.extra_data
        if not extra.get("filing_key"):
            self.storage.extra_data = {**extra, "filing_key": uuid.uuid4().hex}
        return self.storage.extra_data["filing_key"]


STEP_TITLES = {
    "business": _("The business"),
    "complaint": _("What happened"),
    "confirm": _("Evidence and sending"),
}
# Where an engine error about a field is shown: its step, and the field's name in that step.
STEP_OF_FIELD = {
    "merchant": "business",
    "name": "business",
    "region_code": "business",
    "credit_code": "business",
    **{name: "complaint" for name in ComplaintDetailsForm.base_fields},
    "file": "confirm",
}
FORM_FIELD = {"merchant": "name", "region_code": "region", "file": "files"}


@role_required("consumer")
def complaint_new(request: HttpRequest, membership) -> HttpResponse:
    return FilingWizard.as_view()(request)


@role_required("consumer")
def filed(request: HttpRequest, number: str, membership) -> HttpResponse:
    """Right after filing: the case number, who has the case now and until when, and what
    happens if they do nothing."""
    case, _party = case_get_for_user(request.user, number, request)
    deadlines = {d["key"]: d for d in case_deadlines(case, timezone.now(), current_calendar())}
    at_merchant = case.status == Status.SUBMITTED
    # An old link to this page of a case that has moved on: the case page says where it is now.
    if case_moved_on(case) or ("settle" if at_merchant else "intake") not in deadlines:
        return redirect("cases:detail", number=case.number)
    return render(
        request,
        "consumers/filed.html",
        {"case": case, "deadlines": deadlines, "at_merchant": at_merchant},
    )
