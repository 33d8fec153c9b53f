"""Explicit Argon2id cost, and the daily clean-up of expired sessions and old sign-in logs."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.hashers import Argon2PasswordHasher as Argon2idHasher
from core.tasks import run_housekeeping

ROOT = Path(__file__).resolve().parents[2]


def test_argon2_uses_the_documented_owasp_parameters():
    hasher = Argon2idHasher()
    encoded = hasher.encode("correct-horse-battery", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("correct-horse-battery", encoded)
    assert not hasher.verify("wrong", encoded)


def test_hashes_made_with_djangos_heavier_default_still_verify_and_are_upgraded():
    old = DjangoArgon2().encode("correct-horse-battery", DjangoArgon2().salt())
    assert "m=102400" in old
    assert Argon2idHasher().verify("correct-horse-battery", old)
    assert Argon2idHasher().must_update(old)


def test_deployments_hash_with_argon2id_first():
    env = {**os.environ, "DJANGO_ENV": "development", "DJANGO_SETTINGS_MODULE": ""}
    env.pop("DJANGO_SETTINGS_MODULE")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='situation_table.settings';"
            "django.setup(); from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "core.hashers.Argon2PasswordHasher"


def test_housekeeping_runs_daily_in_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["housekeeping"]
    assert entry["task"] == "core.tasks.run_housekeeping"
    assert entry["schedule"].hour == {3}


def test_housekeeping_clears_expired_sessions_and_old_sign_in_logs(db):
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - datetime.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="current", session_data="", expire_date=now + datetime.timedelta(hours=1)
    )
    old_log = AccessLog.objects.create(username="a", ip_address="127.0.0.1", user_agent="t")
    new_log = AccessLog.objects.create(username="b", ip_address="127.0.0.1", user_agent="t")
    old_failure = AccessFailureLog.objects.create(
        username="a", ip_address="127.0.0.1", user_agent="t"
    )
    too_old = now - datetime.timedelta(days=settings.SIGN_IN_LOG_RETENTION_DAYS + 1)
    AccessLog.objects.filter(pk=old_log.pk).update(attempt_time=too_old)
    AccessFailureLog.objects.filter(pk=old_failure.pk).update(attempt_time=too_old)

    assert run_housekeeping.delay().get() == 2

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current"]
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [new_log.pk]
    assert not AccessFailureLog.objects.exists()
