from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic.base import RedirectView

from core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links; the file is a static one. The URL is
    # resolved per request (lazily) because the static storage names it with a content hash.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("favicon.ico"), permanent=False),
        name="favicon",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("regions/picker/", core_views.region_picker, name="region_picker"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", core_views.landing, name="landing"),
    path("home/", core_views.home, name="home"),
    path("merchant/", include("merchants.urls")),
    path("regulator/", include("regulators.urls")),
    path("my/", include("consumers.urls")),
    path("cases/", include("cases.urls")),
    path("notifications/", include("cases.urls_notifications")),
    path("api/", include("api.urls")),
]

# The portal's own error pages (JSON under /api/); allauth's rate limits answer with handler429.
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler429 = "core.views.too_many_requests"
handler500 = "core.views.server_error"
