"""Encrypt the second-factor secrets stored before the MFA adapter encrypted them (accounts.mfa).

Idempotent: a secret that already decrypts with one of the keys of ODR_MFA_ENCRYPTION_KEY is left
as it is. Undoing it puts every secret back in the clear, for allauth's own adapter.
"""

from django.db import migrations


def encrypt_secrets(apps, schema_editor):
    from accounts.mfa import encrypted_data, rewrite_authenticators

    Authenticator = apps.get_model("mfa", "Authenticator")
    rewrite_authenticators(Authenticator.objects.all(), encrypted_data)


def decrypt_secrets(apps, schema_editor):
    from accounts.mfa import decrypted_data, rewrite_authenticators

    Authenticator = apps.get_model("mfa", "Authenticator")
    rewrite_authenticators(Authenticator.objects.all(), decrypted_data)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_phone_verified_email_optional"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
