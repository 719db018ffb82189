"""The case page that every party works a case on, its live thread, and public tracking."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.calendar import current_calendar
from core.db import retry_once_on_conflict
from core.downloads import download_response
from core.errors import DomainError
from core.ratelimits import evidence_upload_wait, wait_words
from core.templatetags.odr import cny
from merchants.models import ReplyTemplate
from merchants.replies import fill_reply

from .evidence import evidence_download_name
from .forms import ACTION_FORMS, ActionForm, TrackForm
from .models import Case, CaseEvent, Evidence, Status
from .rules import Action, Party, case_party
from .selectors import (
    CaseView,
    case_deadlines,
    case_events_for_tracking,
    case_get_for_tracking,
    case_get_for_user,
    case_read,
    case_thread_for,
    consumer_name_for,
    merchant_next_deadline,
)
from .services.evidence import evidence_precheck
from .tracking import tracking_allowed, tracking_failure_record, tracking_wait_seconds

E = CaseEvent.Type
# Entries that add to the thread without changing what anyone can do.
QUIET_EVENTS = {E.MESSAGE_POSTED, E.NOTE_POSTED, E.EVIDENCE_ADDED, E.REMINDER_SENT}
# Forms shown under the thread (writing to it) rather than among the actions.
COMPOSERS = (Action.POST_MESSAGE, Action.POST_NOTE, Action.ADD_EVIDENCE)


def _form_for(action: Action, case: Case, party: Party, data=None, files=None) -> ActionForm:
    kwargs = {}
    if action == Action.MAKE_OFFER:
        kwargs["proposer_is_mediator"] = party == Party.OFFICE
    return ACTION_FORMS[action](data, files, case=case, **kwargs)


def case_side(view: CaseView, *, bound: ActionForm | None = None) -> dict:
    """The side of the case page: status, deadlines, the open offer or the agreement, and a form
    for every action the engine allows the person now (``bound`` replaces the empty form of its
    action when it came back with errors)."""
    case, party = view.case, view.party
    forms = {
        action: bound
        if bound is not None and bound.action == action
        else _form_for(action, case, party)
        for action in view.actions
        if action in ACTION_FORMS
    }
    return {
        "case": case,
        "party": party,
        "offer": view.offer,
        "agreement": view.agreement,
        "referral": view.referral,
        "deadlines": view.deadlines,
        "forms": forms,
        # An attempt the engine refused and whose form is no longer offered: say why.
        "refused": bound if bound is not None and bound.action not in forms else None,
        "action_forms": [form for action, form in forms.items() if action not in COMPOSERS],
        "replies": reply_choices(case, party) if REPLY_ACTIONS & forms.keys() else [],
    }


# The forms a merchant may fill from a reply template, and the field the text goes into.
REPLY_TARGETS = {Action.POST_MESSAGE: "body", Action.MAKE_OFFER: "text"}
REPLY_ACTIONS = set(REPLY_TARGETS)


def reply_choices(case: Case, party: Party) -> list[dict]:
    """The merchant's reply templates filled in for this case (merchant staff only)."""
    if party != Party.MERCHANT:
        return []
    values = {
        "case_number": case.number,
        "consumer_name": consumer_name_for(case, party),
        "claim": case.claim,
        "deadline": date_format(timezone.localtime(due[1]), "Y-m-d H:i")
        if (due := merchant_next_deadline(case))
        else "",
        "amount": cny(case.amount_claimed),
    }
    templates = ReplyTemplate.objects.filter(merchant_id=case.merchant_id).order_by("title")
    return [{"title": t.title, "text": fill_reply(t.body, values)} for t in templates]


def case_page(
    request: HttpRequest,
    case: Case,
    party: Party,
    *,
    bound: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the whole case page for ``party``."""
    view = case_read(case, party, request.user, timezone.now(), request=request)
    side = case_side(view, bound=bound)
    thread = view.thread
    context = {
        "case": case,
        "party": party,
        "side": side,
        "composers": [side["forms"][a] for a in COMPOSERS if a in side["forms"]],
        "contact": view.contact,
        "thread": thread,
        "last_seq": thread[-1]["event"].seq if thread else 0,
        "live": case.status != Status.CLOSED,
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    case, party = case_get_for_user(request.user, number, request)
    return case_page(request, case, party)


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Take one action on the case: parse the form, call its one service, show what went wrong
    beside the field with everything the person typed."""
    case, party = case_get_for_user(request.user, number, request)
    if action not in ACTION_FORMS:
        raise Http404("No such action.")
    action = Action(action)
    form = _form_for(action, case, party, request.POST, request.FILES)
    status, wait = 422, 0
    if form.is_valid():
        try:
            wait = _upload_wait(request, case, action, form)
            if not wait:
                retry_once_on_conflict(form.run)(actor=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            if not wait:
                return _done(request, case, party, action)
            status = 429
            form.add_error(
                _file_field(form),
                _(
                    "Many files were attached from your account in a short time. Wait "
                    "%(wait)s, then attach this one again."
                )
                % {"wait": wait_words(wait)},
            )
    if request.htmx and action in COMPOSERS:
        response = _composer(request, case, party, form, status=status)
    else:
        case, party = case_get_for_user(request.user, number, request)  # as the attempt left it
        response = case_page(request, case, party, bound=form, status=status)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _done(request: HttpRequest, case: Case, party: Party, action: Action) -> HttpResponse:
    """Where a person goes once their action was taken."""
    if request.htmx and action in COMPOSERS:
        # What was posted is in the thread: an empty composer, and a nudge to fetch it.
        response = _composer(request, case, party, _form_for(action, case, party))
        response["HX-Trigger"] = "thread-refresh"
        return response
    moved = Case.objects.select_related("office").get(pk=case.pk)
    if case_party(moved, request.user) is None:
        # A transfer to an office outside the person's own: done, and no longer theirs.
        messages.success(
            request,
            _("%(action)s: done. Case %(number)s is now with %(office)s.")
            % {"action": action.label, "number": case.number, "office": moved.office.name},
        )
        return redirect("home")
    return redirect(reverse("cases:detail", args=[case.number]) + f"#{action.value}-done")


def _file_field(form: ActionForm) -> str | None:
    """The name of the form's file field, if it has one."""
    return next((n for n, f in form.fields.items() if isinstance(f, forms.FileField)), None)


def _upload_wait(request: HttpRequest, case: Case, action: Action, form: ActionForm) -> int:
    """For a valid form that brings a file, before the file is read: refuse (``DomainError``)
    someone who may not take the action now, then count the file against the person's upload
    limit (``ODR_RATE_LIMIT_EVIDENCE``). Return the seconds to wait when it is used up, else 0."""
    field = _file_field(form)
    if field is None or not form.cleaned_data.get(field):
        return 0
    evidence_precheck(case, request.user, action)
    return evidence_upload_wait(request, 1)


def _composer(
    request: HttpRequest, case: Case, party: Party, form: ActionForm, status: int = 200
) -> HttpResponse:
    """One composer under the thread, as htmx swaps it in after a post."""
    replies = reply_choices(case, party) if form.action in REPLY_ACTIONS else []
    return render(
        request,
        "cases/_composer.html",
        {"form": form, "case": case, "replies": replies},
        status=status,
    )


@login_required
@require_GET
def thread(request: HttpRequest, number: str) -> HttpResponse:
    """The thread entries after ``since`` (htmx polling); polling stops once the case is closed."""
    case, party = case_get_for_user(request.user, number, request)
    try:
        since = max(int(request.GET.get("since", "0")), 0)
    except ValueError:
        since = 0
    entries = case_thread_for(case, party, since=since)
    side = None
    if any(entry["event"].type not in QUIET_EVENTS for entry in entries):
        # The case moved on: what the person can do changed too (no contact, no thread).
        view = case_read(case, party, request.user, timezone.now(), parts={"referral"})
        side = case_side(view)
    return render(
        request,
        "cases/_thread_update.html",
        {
            "case": case,
            "entries": entries,
            "last_seq": entries[-1]["event"].seq if entries else since,
            "live": case.status != Status.CLOSED,
            "side": side,
        },
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, number: str, evidence_id: int) -> FileResponse:
    """Serve an evidence file to someone who can see the case, as a download never rendered by
    the browser."""
    case, _party = case_get_for_user(request.user, number, request)
    evidence = get_object_or_404(Evidence, pk=evidence_id, case=case)
    return download_response(
        evidence.file,
        evidence_download_name(evidence.original_name, evidence.content_type),
        evidence.content_type,
    )


def track(request: HttpRequest) -> HttpResponse:
    """Public tracking: the case number and the consumer's phone together show the merchant, the
    status, the deadlines and the steps of the case, nothing personal (product §6).

    Failed look-ups are limited and audited (``cases.tracking``). A look-up that a limit refuses
    is answered 429 without touching the cases; "no such case" and "wrong phone" are one answer
    from one query.
    """
    form = TrackForm(request.POST or None)
    case, status, retry_after = None, 200, None
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"]
        if not tracking_allowed(request, number):
            tracking_failure_record(request, number, refused=True)
            retry_after = tracking_wait_seconds(request, number)
            form.add_error(None, form.limited_message % {"wait": wait_words(retry_after)})
            status = 429
        else:
            case = case_get_for_tracking(number, form.cleaned_data["phone"])
            if case is None:
                tracking_failure_record(request, number, refused=False)
                form.add_error(None, form.not_found_message)
    context = {"form": form, "case": case, "deadlines": [], "events": []}
    if case is not None:
        context["deadlines"] = case_deadlines(case, timezone.now(), current_calendar())
        context["events"] = case_events_for_tracking(case)
    response = render(request, "cases/track.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
