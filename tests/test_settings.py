"""Production settings refuse to start without secrets, and pass ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7!kq2Lm#9vB$wZ4pR8tY1uE6oI3aS5dF0gH2jK7lM9nB4vC8xZ1qW3eR5tY7u",
    "ALLOWED_HOSTS": "table.example.ca",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "blind-index-key-for-tests-0123456789abcdef",
    "AUDIT_CHAIN_KEY": "audit-chain-key-for-tests-0123456789abcdef",
}


def run_manage(*args, env_overrides=None, drop=()):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never would.
    drop = {*drop, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_fails_with_clear_message():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]
    result = run_manage("check", env_overrides=env, drop=("SECRET_KEY",))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production" in result.stderr


def test_production_without_allowed_hosts_fails():
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": ""}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_production_without_encryption_keys_fails():
    env = {**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": ""}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_production_check_deploy_reports_no_warnings():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_refuses_to_run_in_production():
    result = run_manage("seed_demo", env_overrides=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "refuses to run with DJANGO_ENV=production" in result.stderr


def test_embedded_default_runs_celery_eagerly_without_redis():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "situation_table.settings"
    env["DJANGO_ENV"] = "development"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
    ]
