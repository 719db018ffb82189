from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .audit import audit_record
from .models import AuditEntry
from .views import bad_request


class ChineseFirstLocaleMiddleware:
    """Show the portal in Chinese unless the person chose another language with the switcher;
    answer the API in the language its request asks for.

    Django's LocaleMiddleware would follow the browser's Accept-Language header; the portal is
    Chinese first (docs/product.md), so for pages only the language cookie set by the switcher
    counts. A program calling the API has no switcher: under ``/api/`` the Accept-Language
    header decides (docs/api.md, "Errors"; a browser's switcher cookie first, when it sends
    one), Chinese when it names no language the portal has.
    """

    API_PREFIX = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        if request.path_info.startswith(self.API_PREFIX):
            # The switcher's cookie, else the first language of Accept-Language that the portal
            # has ("en-GB" is English, "zh-CN" Chinese), else Chinese (LANGUAGE_CODE).
            language = translation.get_language_from_request(request)
            varies_on = ("Accept-Language", "Cookie")
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in self.available else settings.LANGUAGE_CODE
            varies_on = ("Cookie",)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, varies_on)
        response.headers.setdefault("Content-Language", language)
        return response


class RefuseNulCharactersMiddleware:
    """Answer 400 (the portal's page, or the API's JSON error) when the address or its query
    holds a NUL character: no database can compare text holding one, and no one types it.

    Form fields are left to their forms, which refuse it beside the field (Django's
    ``ProhibitNullCharactersValidator`` on every text field); the API's JSON to its serializers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return bad_request(request)
        return self.get_response(request)


class NotFoundAuditMiddleware:
    """Record in the audit log every 404 answered to a signed-in person that the view did not
    record itself (product §6): a page of another role, another office's merchant, a URL that
    does not exist. Probing for what exists leaves a trace whichever door was tried."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.user.is_authenticated
            and not getattr(request, "odr_not_found_recorded", False)
        ):
            audit_record(
                request.user,
                AuditEntry.Action.NOT_FOUND,
                request.path,
                AuditEntry.Outcome.DENIED,
                request,
                target_type="page",
            )
        return response
