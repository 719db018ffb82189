"""The portal's URL conf with views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from odr.urls import handler400, handler403, handler404, handler429, handler500  # noqa: F401
from odr.urls import urlpatterns as portal


def fail(request):
    raise RuntimeError("a failure the person cannot fix")


def deny(request):
    raise PermissionDenied


urlpatterns = [
    path("test/fail/", fail),
    path("test/deny/", deny),
    path("api/test/fail/", fail),
    *portal,
]
