"""Password-reset mail, made and sent by a worker (accounts.forms.ResetPasswordForm).

The reset page hands the address over and answers at once, whether or not an account uses the
address; the worker looks the address up and sends allauth's own mail: the reset link to the
account, or "no account uses this address" (``ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS``). So the answer
does the same work either way and takes as long, and the reset link is made in the worker: the
broker carries the address and the site's origin, never a token.
"""

import io
import logging

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.password_reset import request_password_reset
from allauth.account.internal.userkit import filter_users_by_email
from allauth.core.context import request_context
from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.urls import get_script_prefix, set_script_prefix
from django.utils import translation

logger = logging.getLogger(__name__)

# Published once and, on a broken pooled connection, once more at once: a broker that is down
# must not hold up the page (the mail is then sent from the request instead).
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}


def _origin(request: HttpRequest) -> dict[str, str]:
    """What the mail's links and language are made from: the site as the person reached it."""
    return {
        "scheme": request.scheme,
        "host": request.get_host(),
        "script_prefix": get_script_prefix(),
        "language": translation.get_language() or "",
        "path": request.path_info,
    }


def _request(origin: dict[str, str]) -> WSGIRequest:
    """A request to the site at ``origin``, for allauth's mail (links, the site's name)."""
    domain, port = split_domain_port(origin["host"])
    return WSGIRequest(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": origin["path"],
            "SCRIPT_NAME": "",
            "HTTP_HOST": origin["host"],
            "SERVER_NAME": domain or "localhost",
            "SERVER_PORT": port or ("443" if origin["scheme"] == "https" else "80"),
            "wsgi.url_scheme": origin["scheme"],
            "wsgi.input": io.BytesIO(b""),
        }
    )


def password_reset_mail_send(email: str, origin: dict[str, str]) -> None:
    """Send ``email`` allauth's password-reset mail: the reset link for each active account it
    signs into, else the mail saying that no account uses it."""
    request = _request(origin)
    request.user = AnonymousUser()
    prefix = get_script_prefix()
    set_script_prefix(origin["script_prefix"])
    try:
        with (
            request_context(request),
            translation.override(origin["language"] or settings.LANGUAGE_CODE),
        ):
            lookup = get_adapter(request).clean_email(email.lower())
            users = filter_users_by_email(
                lookup, is_active=True, prefer_verified=True, for_login=True
            )
            request_password_reset(request, email, users, None)
    finally:
        set_script_prefix(prefix)


@shared_task(ignore_result=True)
def password_reset_mail(email: str, origin: dict[str, str]) -> None:
    password_reset_mail_send(email, origin)


def password_reset_mail_later(request: HttpRequest, email: str) -> None:
    """Hand the reset mail of ``email`` to a worker (from the reset page)."""
    origin = _origin(request)
    try:
        password_reset_mail.apply_async(
            (email, origin), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception as error:  # the broker is unreachable: the person still gets their mail
        logger.warning("password reset mail not queued (%s); sent from the request", error)
        password_reset_mail_send(email, origin)
