"""What the API answers outside its endpoints."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .errors import not_found_body


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/ that is no endpoint: the API's JSON 404."""
    return JsonResponse(not_found_body(), status=404)
