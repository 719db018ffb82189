"""Production settings pass Django's deployment checklist (`manage.py check --deploy`)."""

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "odr.example.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "ODR_MFA_ENCRYPTION_KEY": Fernet.generate_key().decode(),
}
# Variables that would weaken the checked configuration if the caller's shell had them.
UNSET = ("SECURE_COOKIES", "SILENCED_SYSTEM_CHECKS")


def deploy_check(tmp_path, values: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the deployment checks in a process whose environment holds ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET and k not in PRODUCTION}
    env.update(values, ODR_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="odr.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = deploy_check(tmp_path, PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_without_a_secret_key(tmp_path):
    without_key = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = deploy_check(tmp_path, without_key)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_the_mfa_key(tmp_path):
    values = {k: v for k, v in PRODUCTION.items() if k != "ODR_MFA_ENCRYPTION_KEY"}
    result = deploy_check(tmp_path, values)
    assert result.returncode == 1
    assert "ODR_MFA_ENCRYPTION_KEY" in result.stderr
