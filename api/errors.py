"""Every error of the API as one JSON shape, ``{"code": ..., "message": ..., "field": ...}``.

The codes of the case engine's domain errors (``core.errors``) pass through unchanged; DRF's own
errors keep DRF's codes (``not_authenticated``, ``throttled``, ``required``, …). A refusal that
would tell an outsider a case exists is answered exactly like a case that does not exist (404,
``not_found``).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import (
    ActionNotAllowed,
    DomainError,
    InvalidTransition,
    ValidationFailed,
    error_body,
)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("Stable, for programs."))
    message = serializers.CharField(help_text=gettext_lazy("For people, in their language."))
    field = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("The input the error is about, if any.")
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=gettext_lazy("Every invalid input with its messages (validation errors)."),
    )


# The codes of ``ActionNotAllowed`` that mean "this is no business of yours": answered 404, as for
# a case that does not exist.
NOT_YOURS = {"not_your_case"}
# Refusals of an action the person may not take in the case's current state: a conflict with the
# state, not a lack of rights.
CONFLICTS = {"action_not_available", "no_open_offer", "ticket_taken"}


def _domain_status(error: DomainError) -> int:
    if isinstance(error, ValidationFailed):
        return status.HTTP_400_BAD_REQUEST
    if isinstance(error, InvalidTransition):
        return status.HTTP_409_CONFLICT
    if isinstance(error, ActionNotAllowed):
        if error.code in NOT_YOURS:
            return status.HTTP_404_NOT_FOUND
        if error.code in CONFLICTS:
            return status.HTTP_409_CONFLICT
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


def not_found_body() -> dict:
    return error_body("not_found", _("Not found."))


def _flatten(detail, prefix: str = "") -> list[tuple[str | None, exceptions.ErrorDetail]]:
    """Every (field, error) of a DRF validation error, nested fields joined with dots."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found += _flatten(value, "" if key == "non_field_errors" else name)
        return found
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, prefix)]
    return [(prefix or None, detail)]


def exception_handler(exc, context):
    """Answer every error raised in an API view with ``{code, message, field}``."""
    if isinstance(exc, DomainError):
        code = _domain_status(exc)
        if code == status.HTTP_404_NOT_FOUND:
            return Response(not_found_body(), status=code)
        return Response(error_body(exc.code, exc.message, exc.field), status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail) or [(None, exceptions.ErrorDetail(_("Invalid input.")))]
        field, first = errors[0]
        body = error_body(getattr(first, "code", "invalid"), first, field)
        grouped: dict[str, list[str]] = {}
        for name, error in errors:
            grouped.setdefault(name or "non_field_errors", []).append(str(error))
        body["errors"] = grouped
    elif isinstance(exc, exceptions.NotFound):
        body = not_found_body()
    elif isinstance(exc, exceptions.Throttled):
        body = error_body(
            "throttled",
            _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": exc.wait or 1}
            if exc.wait is not None
            else _("Too many requests. Try again later."),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = error_body(getattr(detail, "code", None) or "error", detail)
    response.data = body
    return response


ERROR_DESCRIPTIONS = {
    400: "The input is invalid (`field` names it) or the engine refused it.",
    401: "No credentials, or a token that is unknown, revoked (`token_invalid`) or expired "
    "(`token_expired`).",
    403: "The credentials may not do this: a read-only token writing (`token_read_only`), a "
    "token of another kind (`token_scope`), a CSRF failure with a session.",
    404: "No such object, or none of yours: the two are answered alike (`not_found`).",
    409: "Not possible in the case's current state (`action_not_available`, `no_open_offer`, "
    "`ticket_taken`).",
    415: "The body is not of a type this operation takes (files go as multipart/form-data).",
    429: "Too many requests (`throttled`); `Retry-After` says how many seconds to wait.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# What every authenticated operation may answer besides its own errors.
COMMON_ERRORS = (401, 403, 404, 429)
