"""Second-factor secrets encrypted at rest (product §6, "Privacy").

allauth.mfa keeps what makes a person's codes in ``Authenticator.data``: the base32 ``secret``
of a TOTP authenticator, the ``seed`` that recovery codes are derived from (and, for codes
imported from elsewhere, the ``migrated_codes`` themselves). It passes every one of them through
the MFA adapter's ``encrypt`` and ``decrypt``, which allauth leaves as the identity: anyone who
read the table, a backup or a dump could compute every regulator's codes. ``MFAAdapter``
encrypts them with Fernet (AES-128-CBC with an HMAC-SHA256, from ``cryptography``) under the
keys of ``ODR_MFA_ENCRYPTION_KEY``, which live in the environment, not in the database.

The keys are a list, for rotation (``MultiFernet``): the first one encrypts, every one of them
decrypts. To rotate, put a new key first, run ``manage.py mfa_rotate_keys`` (every secret
re-encrypted with it), then drop the old key. Migration ``accounts.0004`` encrypted the secrets
stored before; it leaves a value that already decrypts alone, so it may run on any database.

A value that no key decrypts is refused (``SecretNotDecryptable``), never taken as it stands:
otherwise whoever can write to the table could give an account a secret of their own choosing.
"""

from functools import lru_cache

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction

# Where allauth keeps secrets in ``Authenticator.data``, by authenticator type: keys holding one
# string, and keys holding a list of strings.
SECRET_KEYS = {"totp": ("secret",), "recovery_codes": ("seed",)}
SECRET_LIST_KEYS = {"recovery_codes": ("migrated_codes",)}


class SecretNotDecryptable(ValueError):
    """A stored second-factor secret that none of the keys decrypts: a key removed before
    ``mfa_rotate_keys`` ran, or a row written without this adapter."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The keys of ``ODR_MFA_ENCRYPTION_KEY``, the first one encrypting."""
    return _fernet(tuple(settings.ODR_MFA_ENCRYPTION_KEY))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretNotDecryptable(
            "A second-factor secret does not decrypt with any key of ODR_MFA_ENCRYPTION_KEY."
        ) from None


def decrypts(value) -> bool:
    """Whether ``value`` is a token that one of the keys decrypts."""
    if not isinstance(value, str):
        return False
    try:
        decrypt(value)
    except SecretNotDecryptable:
        return False
    return True


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter with the secrets encrypted (``MFA_ADAPTER``)."""

    def encrypt(self, text: str) -> str:
        return encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt(encrypted_text)


# --- Rewriting stored rows (migration accounts.0004, mfa_rotate_keys) ---------------------------


def _rewrite(kind: str, data: dict, one) -> dict | None:
    """Return ``data`` with ``one`` applied to each of its secrets, or None when nothing
    changed."""
    new = dict(data)
    for key in SECRET_KEYS.get(kind, ()):
        if isinstance(new.get(key), str):
            new[key] = one(new[key])
    for key in SECRET_LIST_KEYS.get(kind, ()):
        if isinstance(new.get(key), list):
            new[key] = [one(value) for value in new[key]]
    return new if new != data else None


def encrypted_data(kind: str, data: dict) -> dict | None:
    """``data`` with every secret that is not encrypted yet encrypted (those that decrypt are
    left as they are), or None when there is nothing to do."""
    return _rewrite(kind, data, lambda value: value if decrypts(value) else encrypt(value))


def rotated_data(kind: str, data: dict) -> dict | None:
    """``data`` with every secret encrypted anew with the first key (one not encrypted yet is
    encrypted), or None when there is nothing to do."""

    def rotate(value: str) -> str:
        if not decrypts(value):
            return encrypt(value)
        return fernet().rotate(value.encode()).decode("ascii")

    return _rewrite(kind, data, rotate)


def decrypted_data(kind: str, data: dict) -> dict | None:
    """``data`` with every secret in the clear (to undo migration accounts.0004)."""
    return _rewrite(kind, data, lambda value: decrypt(value) if decrypts(value) else value)


def rewrite_authenticators(authenticators, change) -> int:
    """Apply ``change`` (one of the functions above) to the data of each of ``authenticators``
    (a queryset of allauth's model or of its migration state), each row locked while it is
    rewritten so that a recovery code used meanwhile is not lost; return how many changed."""
    changed = 0
    for pk in authenticators.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            row = authenticators.select_for_update().filter(pk=pk).first()
            if row is None:
                continue
            data = change(row.type, row.data)
            if data is not None:
                row.data = data
                row.save(update_fields=["data"])
                changed += 1
    return changed
