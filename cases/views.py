from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.calendar import load_calendar

from .deadlines import working_days_left
from .forms import TrackForm
from .models import WORKING_DAYS
from .rules import case_available_actions
from .selectors import case_get_for_tracking, case_get_for_user, case_thread_for
from .timers import live_deadlines


def _deadlines(case) -> list[dict]:
    now, calendar = timezone.now(), load_calendar()
    return [
        {
            "key": kind.key,
            "due_at": due,
            "provisional": kind.is_provisional(case),
            "working_days_left": working_days_left(now, due, calendar)
            if kind.unit == WORKING_DAYS
            else None,
            "overdue": now > due,
        }
        for kind, due in live_deadlines(case)
    ]


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    case, party = case_get_for_user(request.user, number)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "party": party,
            "thread": case_thread_for(case, party),
            "actions": sorted(case_available_actions(case, request.user, party=party)),
            "deadlines": _deadlines(case),
        },
    )


def track(request: HttpRequest) -> HttpResponse:
    """Public tracking: the case number and the consumer's phone together show the status."""
    form = TrackForm(request.POST or None)
    case = None
    if request.method == "POST" and form.is_valid():
        case = case_get_for_tracking(form.cleaned_data["number"], form.cleaned_data["phone"])
        if case is None:
            form.add_error(None, form.not_found_message)
    return render(
        request,
        "cases/track.html",
        {"form": form, "case": case, "deadlines": _deadlines(case) if case else []},
    )
