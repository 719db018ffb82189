from django.contrib import admin
from django.urls import include, path

from core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", core_views.landing, name="landing"),
    path("home/", core_views.home, name="home"),
    path("merchant/", include("merchants.urls")),
    path("regulator/", include("regulators.urls")),
    path("my/", include("consumers.urls")),
    path("cases/", include("cases.urls")),
]
