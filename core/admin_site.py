"""The Django admin as platform admins reach it (product §2, §6).

Platform admins sign in where everybody does, through allauth's sign-in with its rate limits, and
with a TOTP second factor (``accounts.middleware.SecondFactorMiddleware``). The admin's own
sign-in form is never served: ``/admin/login/`` sends an anonymous visitor to the portal's
sign-in and back. A signed-in person who is not platform staff gets "not found" on every admin
page, recorded in the audit log, as on any page that is not theirs.
"""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .models import AuditEntry


def _refuse(request: HttpRequest) -> Http404:
    audit_record(
        request.user,
        AuditEntry.Action.NOT_FOUND,
        request.path,
        AuditEntry.Outcome.DENIED,
        request,
        target_type="admin_page",
    )
    return Http404("No such page.")


class PortalAdminSite(admin.AdminSite):
    site_header = _("ODR 12315 administration")
    site_title = _("ODR 12315 administration")

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.is_authenticated and not self.has_permission(request):
                raise _refuse(request)
            return inner(request, *args, **kwargs)

        # admin_view's own attributes (csrf_exempt, admin_site) travel with the view.
        guarded.__dict__.update(inner.__dict__)
        return guarded

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Never the admin's own form: the portal's sign-in, then back to the admin."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect("admin:index")
            raise _refuse(request)
        back = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("admin:index")
        return redirect_to_login(back, login_url=reverse("account_login"))
