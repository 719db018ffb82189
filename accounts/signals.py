"""Sign-ins, failed sign-ins and sign-outs into the audit log (product §6).

Connected by ``AccountsConfig.ready``. Each receiver only translates the signal's arguments into
one ``audit_record`` call.

- ``allauth.account.signals.user_logged_in``: sent once the whole sign-in is done, so for
  regulator staff after the TOTP step, not after the password.
- ``django.contrib.auth.signals.user_login_failed``: sent by ``authenticate()``, which allauth's
  login and reauthentication forms call; the password arrives already masked by Django. An
  attempt refused by allauth's rate limit never reaches ``authenticate()`` and sends nothing.
- ``allauth.mfa.signals.authentication_failed``: a wrong second-factor code.
- ``user_logged_out`` (Django's, re-exported by allauth).

An account is named by what its owner signs in with (``User.login_name``): the email address, or
the mobile number for someone who signed up with a phone alone.
"""

from allauth.account.signals import user_logged_in, user_logged_out
from allauth.mfa.signals import authentication_failed as second_factor_failed
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from core.audit import audit_record
from core.models import AuditEntry

Action = AuditEntry.Action
Outcome = AuditEntry.Outcome
ACCOUNT = "account"


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def record_sign_in(sender, request, user, **kwargs) -> None:
    audit_record(
        user, Action.SIGN_IN, user.login_name, Outcome.SUCCESS, request, target_type=ACCOUNT
    )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def record_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Someone already signed in who gets their password wrong is reauthenticating. Only a plain
    # Django request is asked: DRF's request would authenticate again to answer `.user`.
    user = getattr(request, "user", None) if isinstance(request, HttpRequest) else None
    login = (
        credentials.get("email") or credentials.get("phone") or credentials.get("username") or ""
    )
    if not login and user is not None and user.is_authenticated:
        login = user.login_name
    audit_record(
        user,
        Action.SIGN_IN_FAILED,
        login,
        Outcome.FAILED,
        request,
        target_type=ACCOUNT,
        actor_label=login,
        detail={"step": "password"},
    )


@receiver(second_factor_failed, dispatch_uid="audit_second_factor_failed")
def record_second_factor_failed(
    sender, request, user, authenticator, reauthentication=False, **kwargs
) -> None:
    # The password was right, but the person is not signed in until the code is.
    audit_record(
        user if reauthentication else None,
        Action.SIGN_IN_FAILED,
        user.login_name,
        Outcome.FAILED,
        request,
        target_type=ACCOUNT,
        actor_label=user.login_name,
        detail={"step": authenticator.type},
    )


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def record_sign_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(
            user,
            Action.SIGN_OUT,
            user.login_name,
            Outcome.SUCCESS,
            request,
            target_type=ACCOUNT,
        )
