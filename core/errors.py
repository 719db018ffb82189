"""Domain errors: raised by services, turned into messages by views and JSON by the API."""


class DomainError(Exception):
    """A rule of the product refused the action.

    ``code`` is stable (the API returns it); ``message`` is for people; ``field`` names the input
    the message belongs beside, when there is one.
    """

    code = "domain_error"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code


class ActionNotAllowed(DomainError):
    """The person may not do this (not their case, or not possible in its current state).

    Distinct from Django's ``PermissionDenied``, which views raise to answer 403.
    """

    code = "permission_denied"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    code = "invalid"


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The one shape of an error answered as JSON (the API, and the error pages under /api/)."""
    return {"code": code, "message": str(message), "field": field}
