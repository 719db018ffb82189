"""Known-secret TOTP authenticators, for tests and the demo data.

Regulator staff must sign in with a TOTP second factor (product §2). Tests and the demo need a
regulator whose authenticator they can compute codes for, so this module gives a user a TOTP
authenticator with a chosen secret and computes its current code. Both go through allauth's own
MFA internals so that the stored authenticator is exactly what allauth's activation flow writes:
the secret encrypted by the portal's MFA adapter (accounts.mfa).
"""

import base64
import binascii

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.db import transaction
from django.utils import timezone


@transaction.atomic
def totp_activate_with_secret(user, secret: str) -> Authenticator:
    """Give ``user`` a TOTP authenticator with the base32 ``secret``, unless they have one already.

    Like allauth's own activation, recovery codes are set up alongside when they are supported.
    Return the user's TOTP authenticator (the existing one if there was one: idempotent).
    """
    try:
        base64.b32decode(secret, casefold=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not a base32 TOTP secret: {error}") from error
    # Lock the user row so that two concurrent calls cannot both create an authenticator.
    type(user)._default_manager.select_for_update().get(pk=user.pk)
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    authenticator = TOTP.activate(user, secret).instance
    if Authenticator.Type.RECOVERY_CODES in mfa_settings.SUPPORTED_TYPES:
        RecoveryCodes.activate(user)  # itself a no-op when the user has recovery codes
    return authenticator


def totp_code(secret: str, *, at=None) -> str:
    """Return the TOTP code for the base32 ``secret`` at the instant ``at`` (default: now)."""
    moment = at or timezone.now()
    counter = int(moment.timestamp()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def totp_secret_of(user) -> str | None:
    """Return the secret of ``user``'s TOTP authenticator, decrypted by the MFA adapter, or None
    when they have none."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return decrypt(authenticator.data["secret"])
