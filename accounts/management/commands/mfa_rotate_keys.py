"""Re-encrypt every second-factor secret with the first key of ODR_MFA_ENCRYPTION_KEY.

Rotating the key: put the new key first in ODR_MFA_ENCRYPTION_KEY (the old one after it, so that
the secrets it encrypted still decrypt), restart, run this, then remove the old key. Safe to run
while people sign in: each row is locked while it is rewritten.
"""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand

from accounts.mfa import rewrite_authenticators, rotated_data


class Command(BaseCommand):
    help = (
        "Re-encrypt every TOTP secret and recovery-code seed with the first key of "
        "ODR_MFA_ENCRYPTION_KEY."
    )

    def handle(self, *args, **options) -> None:
        changed = rewrite_authenticators(Authenticator.objects.all(), rotated_data)
        self.stdout.write(f"re-encrypted the secrets of {changed} authenticators")
