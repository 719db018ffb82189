"""Second-factor secrets encrypted at rest and never shown (product §6, "Privacy"): the MFA
adapter (accounts.mfa), key rotation, the migration of the secrets stored before, the admin,
and the key required in production."""

import importlib
import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from accounts import mfa
from accounts.totp import totp_activate_with_secret, totp_secret_of
from tests import factories as f
from tests.conftest import sign_in as signed_in
from tests.core.test_deploy_check import PRODUCTION, deploy_check
from tests.factories import PASSWORD

from .helpers import REGULATOR_SECRET, fresh_totp_code

migration = importlib.import_module("accounts.migrations.0004_encrypt_mfa_secrets")


def authenticator(user, kind: str) -> Authenticator:
    return Authenticator.objects.get(user=user, type=kind)


def recovery_seed(user) -> str:
    return mfa.decrypt(authenticator(user, Authenticator.Type.RECOVERY_CODES).data["seed"])


def test_the_totp_secret_and_the_recovery_seed_are_stored_encrypted_and_decrypt_back(olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)

    stored = authenticator(olivia, Authenticator.Type.TOTP).data["secret"]
    assert stored != REGULATOR_SECRET and REGULATOR_SECRET not in stored
    assert mfa.decrypt(stored) == REGULATOR_SECRET == totp_secret_of(olivia)
    seeds = authenticator(olivia, Authenticator.Type.RECOVERY_CODES).data
    seed = recovery_seed(olivia)
    assert len(seed) == 80 and seed not in json.dumps(seeds)


def sign_in_with_second_factor(client, user, code: str):
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return client.post(reverse("mfa_authenticate"), {"code": code})


def test_a_recovery_code_made_from_the_encrypted_seed_signs_in_once(client, olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    codes = RecoveryCodes(authenticator(olivia, Authenticator.Type.RECOVERY_CODES))
    code = codes.generate_codes()[0]

    assert sign_in_with_second_factor(client, olivia, code)["Location"] == reverse("home")
    client.logout()
    again = sign_in_with_second_factor(client, olivia, code)
    assert again.status_code == 200 and "_auth_user_id" not in client.session


# --- Keys --------------------------------------------------------------------------------------


def test_a_new_key_first_still_reads_the_old_secrets_and_rotation_moves_them_to_it(
    olivia, settings
):
    old = settings.ODR_MFA_ENCRYPTION_KEY
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    seed = recovery_seed(olivia)
    new = [Fernet.generate_key().decode()]

    settings.ODR_MFA_ENCRYPTION_KEY = new + old
    assert totp_secret_of(olivia) == REGULATOR_SECRET
    call_command("mfa_rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.ODR_MFA_ENCRYPTION_KEY = new  # the old key removed
    assert totp_secret_of(olivia) == REGULATOR_SECRET
    assert recovery_seed(olivia) == seed
    settings.ODR_MFA_ENCRYPTION_KEY = old  # nothing is left that the old key reads
    with pytest.raises(mfa.SecretNotDecryptable):
        totp_secret_of(olivia)


def test_a_secret_that_no_key_decrypts_is_refused_not_taken_as_it_stands(client, olivia):
    # Someone who can write to the table puts a secret of their own in the clear.
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    Authenticator.objects.filter(user=olivia, type=Authenticator.Type.TOTP).update(
        data={"secret": REGULATOR_SECRET}
    )

    with pytest.raises(mfa.SecretNotDecryptable):
        sign_in_with_second_factor(client, olivia, fresh_totp_code(REGULATOR_SECRET))
    assert "_auth_user_id" not in client.session


# --- The migration of the secrets stored in the clear before ------------------------------------


def test_the_migration_encrypts_secrets_in_the_clear_and_leaves_encrypted_ones(olivia, sam):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    totp_activate_with_secret(sam, REGULATOR_SECRET)
    sams_seed = recovery_seed(sam)
    # olivia's rows as allauth's own adapter wrote them, before this one: in the clear.
    seed = recovery_seed(olivia)
    Authenticator.objects.filter(user=olivia, type="totp").update(data={"secret": REGULATOR_SECRET})
    Authenticator.objects.filter(user=olivia, type="recovery_codes").update(
        data={"seed": seed, "used_mask": 2}
    )
    sams = {a.pk: a.data for a in Authenticator.objects.filter(user=sam)}

    migration.encrypt_secrets(apps, None)
    once = {a.pk: a.data for a in Authenticator.objects.all()}
    migration.encrypt_secrets(apps, None)  # again: nothing changes

    assert {a.pk: a.data for a in Authenticator.objects.all()} == once
    assert {pk: once[pk] for pk in sams} == sams  # already encrypted: left alone
    assert recovery_seed(sam) == sams_seed
    assert authenticator(olivia, "totp").data["secret"] != REGULATOR_SECRET
    assert totp_secret_of(olivia) == REGULATOR_SECRET
    assert recovery_seed(olivia) == seed
    assert authenticator(olivia, "recovery_codes").data["used_mask"] == 2

    migration.decrypt_secrets(apps, None)  # undone: allauth's own adapter reads them again
    assert authenticator(olivia, "totp").data == {"secret": REGULATOR_SECRET}
    assert authenticator(sam, "recovery_codes").data["seed"] == sams_seed


def test_the_migration_also_encrypts_imported_recovery_codes(olivia):
    Authenticator.objects.create(
        user=olivia,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"migrated_codes": ["12345678", "87654321"], "used_mask": 0},
    )

    migration.encrypt_secrets(apps, None)

    stored = authenticator(olivia, "recovery_codes")
    assert "12345678" not in json.dumps(stored.data)
    assert RecoveryCodes(stored).get_unused_codes() == ["12345678", "87654321"]


# --- The admin ---------------------------------------------------------------------------------


def test_the_admin_shows_who_has_which_authenticator_but_never_its_secret(client, olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    signed_in(client, f.UserFactory(email="root@odr.cn", is_staff=True, is_superuser=True))
    secrets = [REGULATOR_SECRET, recovery_seed(olivia)]
    secrets += [a.data.get("secret") or a.data["seed"] for a in Authenticator.objects.all()]

    pages = [client.get(reverse("admin:mfa_authenticator_changelist"))]
    for row in Authenticator.objects.filter(user=olivia):
        pages.append(client.get(reverse("admin:mfa_authenticator_change", args=[row.pk])))

    assert [page.status_code for page in pages] == [200, 200, 200]
    for page in pages:
        html = page.content.decode()
        assert str(olivia) in html
        assert not any(secret in html for secret in secrets)
        assert 'name="data"' not in html
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403


def test_the_admin_may_delete_an_authenticator_for_someone_who_lost_their_phone(client, olivia):
    totp_activate_with_secret(olivia, REGULATOR_SECRET)
    signed_in(client, f.UserFactory(email="root@odr.cn", is_staff=True, is_superuser=True))
    row = authenticator(olivia, Authenticator.Type.TOTP)

    client.post(reverse("admin:mfa_authenticator_delete", args=[row.pk]), {"post": "yes"})

    assert not Authenticator.objects.filter(pk=row.pk).exists()


# --- The key in production ---------------------------------------------------------------------


def test_production_refuses_to_start_without_the_key_and_passes_the_checks_with_one(tmp_path):
    key = Fernet.generate_key().decode()

    without = deploy_check(tmp_path, {**PRODUCTION, "ODR_MFA_ENCRYPTION_KEY": ""})
    malformed = deploy_check(tmp_path, {**PRODUCTION, "ODR_MFA_ENCRYPTION_KEY": "not-a-key"})
    old = Fernet.generate_key().decode()
    rotated = deploy_check(tmp_path, {**PRODUCTION, "ODR_MFA_ENCRYPTION_KEY": f"{key},{old}"})

    assert without.returncode != 0
    assert "Set ODR_MFA_ENCRYPTION_KEY" in without.stderr
    assert malformed.returncode != 0
    assert "32 url-safe base64-encoded bytes" in malformed.stderr
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "System check identified no issues" in rotated.stdout
