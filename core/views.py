import logging
import re

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.roles import Role, role_of
from odr.celery import app as celery_app

from .forms import RegionPicker
from .models import Heartbeat

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
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker check failed")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the broker answer, 503 otherwise."""
    database, broker = _database_ok(), _broker_ok()
    body: dict = {"status": "ok" if database and broker else "fail"}
    body["database"] = "ok" if database else "fail"
    body["broker"] = "ok" if broker else "fail"
    if database:
        beat = Heartbeat.objects.filter(name="beat").values_list("last_seen", flat=True).first()
        body["beat_last_seen"] = beat.isoformat() if beat else None
    return JsonResponse(body, status=200 if database and broker else 503)


@require_GET
def region_picker(request: HttpRequest) -> HttpResponse:
    """The region picker's selects again, for the regions chosen so far (htmx, on every change)."""
    name = request.GET.get("name", "")
    widget_id = request.GET.get("id") or f"id_{name}"
    if not (_NAME.fullmatch(name) and _NAME.fullmatch(widget_id)):
        return HttpResponseBadRequest()
    code = RegionPicker.deepest(request.GET, name)
    return HttpResponse(RegionPicker().render_levels(name, code, widget_id))
