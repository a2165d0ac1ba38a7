"""Settings parse strictly and production keeps its security defaults."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command


def _settings_value(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='payportal.settings';"
        f"django.setup(); from django.conf import settings; print({expression})"
    )
    environment = {**os.environ, **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True
    )


def test_settings_refuse_a_debug_value_that_is_not_a_boolean(tmp_path):
    result = _settings_value(
        "settings.DEBUG", PAYPORTAL_DEBUG="maybe", PAYPORTAL_DATA_DIR=str(tmp_path)
    )

    assert result.returncode != 0
    assert "PAYPORTAL_DEBUG" in result.stderr


def test_settings_production_hashes_with_full_cost_argon2id(tmp_path):
    result = _settings_value(
        "settings.PASSWORD_HASHERS[0]", PAYPORTAL_DATA_DIR=str(tmp_path)
    )

    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_settings_generate_and_keep_a_secret_key_in_the_data_dir(tmp_path):
    first = _settings_value("settings.SECRET_KEY", PAYPORTAL_DATA_DIR=str(tmp_path))
    second = _settings_value("settings.SECRET_KEY", PAYPORTAL_DATA_DIR=str(tmp_path))

    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_read_email_url_with_tls(tmp_path):
    result = _settings_value(
        "settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, "
        "settings.EMAIL_HOST_USER",
        PAYPORTAL_DATA_DIR=str(tmp_path),
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
    )

    assert result.stdout.strip() == "smtp.example.com 587 True mailer"


@pytest.mark.django_db
def test_settings_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
