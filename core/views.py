import logging
import re
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.roles import Role, role_of

from .cache import cache_state
from .errors import error_body
from .forms import RegionPicker
from .models import Heartbeat
from .ratelimits import wait_seconds, wait_words

logger = logging.getLogger(__name__)

# A form field's name or id, as the region picker sends it back.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "core/landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to the home page of their role."""
    role = role_of(request.user)
    if role == Role.REGULATOR:
        return redirect("regulators:home")
    if role == Role.MERCHANT:
        return redirect("merchants:home")
    if role == Role.ADMIN:
        return redirect("admin:index")
    return redirect("consumers:home")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:  # the project's app (odr.celery)
            conn.ensure_connection(max_retries=0, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker check failed")
        return False


def _beat_state(last_seen) -> str:
    """``ok`` while beat's heartbeat (run by a worker) keeps its schedule; ``late`` once three
    beats were missed; ``not_seen`` before the first one."""
    if last_seen is None:
        return "not_seen"
    allowance = timedelta(seconds=3 * settings.ODR_HEARTBEAT_SECONDS + 30)
    return "ok" if timezone.now() - last_seen <= allowance else "late"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the broker answer and beat keeps its schedule, 503
    otherwise. A shared cache that does not answer is reported (``degraded``: rate limits count
    per process) but fails nothing."""
    database, broker = _database_ok(), _broker_ok()
    body: dict = {"database": "ok" if database else "fail", "broker": "ok" if broker else "fail"}
    beat = "unknown"
    if database:
        last = Heartbeat.objects.filter(name="beat").values_list("last_seen", flat=True).first()
        body["beat_last_seen"] = last.isoformat() if last else None
        beat = _beat_state(last)
    body["beat"] = beat
    body["cache"] = cache_state()
    healthy = database and broker and beat != "late"
    body["status"] = "ok" if healthy else "fail"
    return JsonResponse(body, status=200 if healthy else 503)


@require_GET
def region_picker(request: HttpRequest) -> HttpResponse:
    """The region picker's selects again, for the regions chosen so far (htmx, on every change)."""
    name = request.GET.get("name", "")
    widget_id = request.GET.get("id") or f"id_{name}"
    if not (_NAME.fullmatch(name) and _NAME.fullmatch(widget_id)):
        return HttpResponseBadRequest()
    code = RegionPicker.deepest(request.GET, name)
    return HttpResponse(RegionPicker().render_levels(name, code, widget_id))


# --- Error pages (odr/urls.py names them as Django's handlers) ---------------------------------
# Pages in the portal's layout and the person's language, each with a way back; under /api/ the
# API's JSON error with its stable code instead.


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    title: str,
    message: str,
    *,
    retry_after: int | None = None,
) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(code, message), status=status)
    else:
        context = {"status": status, "title": title, "message": message}
        response = render(request, "errors/error.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(
        request,
        400,
        "bad_request",
        _("This request could not be used"),
        _(
            "Something in the address or the form could not be read (for example a character "
            "that cannot be typed, or far too much text). Go back and try again."
        ),
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(
        request,
        403,
        "permission_denied",
        _("This page is not open to your account"),
        _("Sign in with the account this page belongs to, or go back to your own pages."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "csrf_failed",
        _("This form is out of date"),
        _(
            "The page was open for a long time, or you signed in or out in another window. "
            "Go back, reload the page and send the form again."
        ),
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(
        request,
        404,
        "not_found",
        _("Page not found"),
        _(
            "There is no such page, or it is not open to your account. To follow a case, sign "
            "in with the account that filed it, or track it with its number and your phone."
        ),
    )


def too_many_requests(request: HttpRequest, exception=None) -> HttpResponse:
    """allauth's limits (sign-in, codes sent to a phone) refused the request."""
    seconds = wait_seconds(request, settings.ACCOUNT_RATE_LIMITS)
    return _error(
        request,
        429,
        "throttled",
        _("Too many attempts"),
        _("Wait %(wait)s, then try again.") % {"wait": wait_words(seconds)},
        retry_after=seconds,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Something failed. Rendered without the context processors, which read the database: the
    failure may be the database."""
    title = _("The portal could not finish this")
    message = _(
        "Nothing is wrong with what you did. If you were sending a form, look whether it "
        "arrived (your list of cases shows it) before sending it again; otherwise try again "
        "in a few minutes."
    )
    if request.path.startswith("/api/"):
        message = _("The server could not finish this request. Try again in a few minutes.")
        return JsonResponse(error_body("server_error", message), status=500)
    context = {
        "request": request,
        "csrf_token": get_token(request),
        "status": 500,
        "title": title,
        "message": message,
    }
    return HttpResponse(render_to_string("errors/error.html", context), status=500)
