"""What the API answers outside its endpoints."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .errors import error_body, not_found_body

READ_METHODS = ("GET", "HEAD", "OPTIONS")


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that is no endpoint: the API's JSON 404."""
    return JsonResponse(not_found_body(), status=404)


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the API that is only read (the schema and its documentation): any other method
    gets the API's JSON 405, not the page's own format."""

    @wraps(view)
    @csrf_exempt
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in READ_METHODS:
            body = error_body("method_not_allowed", _("This address is only read (GET)."))
            return JsonResponse(body, status=405, headers={"Allow": ", ".join(READ_METHODS)})
        return view(request, *args, **kwargs)

    return wrapped
