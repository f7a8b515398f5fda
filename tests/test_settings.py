"""Settings come from the environment; production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Subprocesses with production settings and no database: nothing here depends on the pass's database, so it runs in
# one pass (the PostgreSQL one in CI).
pytestmark = pytest.mark.one_pass

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "roundtable.example.org",
    "DATABASE_URL": "postgres://roundtable@db.example.org:5432/roundtable",
    "REDIS_URL": "redis://redis.example.org:6379/0",
}


def manage(*args, **env_vars) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith(("DJANGO_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env | env_vars, capture_output=True, text=True
    )


def test_production_settings_pass_the_deployment_checks_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", **(PRODUCTION | {"SECRET_KEY": ""}))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false" in result.stderr


def test_production_refuses_to_start_without_redis():
    result = manage("check", **(PRODUCTION | {"REDIS_URL": ""}))
    assert "REDIS_URL must be set when DEBUG is false" in result.stderr


def test_a_malformed_boolean_fails_loudly():
    result = manage("check", DEBUG="maybe")
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION["SECRET_KEY"] + "\n")
    result = manage("check", "--deploy", **(PRODUCTION | {"SECRET_KEY": "", "SECRET_KEY_FILE": str(secret_file)}))
    assert result.returncode == 0, result.stderr


def test_production_connects_to_postgresql_through_a_bounded_pool():
    code = (
        "from django.conf import settings; database = settings.DATABASES['default']; "
        "print(database['OPTIONS']['pool']['max_size'], database['CONN_MAX_AGE'])"
    )
    result = manage("shell", "--no-imports", "-c", code, **(PRODUCTION | {"DB_POOL_MAX_SIZE": "4"}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "0"]
