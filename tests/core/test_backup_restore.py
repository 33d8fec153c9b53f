"""Backup and restore drill: an encrypted, compressed pg_dump restores into a fresh database
where 100 % of the identifying information decrypts with the configured keys and the audit chain
verifies. Without the backup key the file is unreadable; it holds no plaintext name."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Status
from consent import services as consent
from consent.models import IdentifyingInfo
from tests.cases.factories import bring_to

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [
    {"given_name": "Jordan", "family_name": "Castellanos", "address": "18 Birchwood Crescent"},
    {"given_name": "Amira", "family_name": "Okonkwo-Delacroix", "phone": "705-555-0199"},
]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"),
]


@pytest.fixture
def backup_key(settings):
    settings.BACKUP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    return settings.BACKUP_ENCRYPTION_KEY


@pytest.fixture
def fresh_database():
    name = f"st_restore_drill_{uuid.uuid4().hex[:10]}"
    admin = {k: v for k, v in connection.get_connection_params().items() if k != "dbname"}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def target_url(name):
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def test_restore_drill_decrypts_everything_and_the_audit_chain_verifies(
    cast, backup_key, fresh_database, tmp_path
):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    for person in PEOPLE:
        consent.record_identifying_info(actor=cast.rep_police, situation=situation, **person)
    assert IdentifyingInfo.objects.count() == len(PEOPLE)

    backup = tmp_path / "backup.stb"
    call_command("backup_database", str(backup))
    content = backup.read_bytes()
    for person in PEOPLE:
        for value in person.values():
            assert value.encode() not in content
    call_command("restore_database", str(backup), "--target", target_url(fresh_database))

    env = {**os.environ, "DATABASE_URL": target_url(fresh_database), "DJANGO_ENV": "test"}
    drill = subprocess.run(
        [sys.executable, "manage.py", "verify_restore"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert drill.returncode == 0, drill.stderr[-2000:]
    assert f"identifying information decrypted: {len(PEOPLE)}/{len(PEOPLE)}" in drill.stdout
    assert "audit chain: intact" in drill.stdout
    for person in PEOPLE:
        for value in person.values():
            assert value not in drill.stdout + drill.stderr


def test_a_backup_cannot_be_restored_without_its_key(cast, backup_key, tmp_path, settings):
    backup = tmp_path / "backup.stb"
    call_command("backup_database", str(backup))
    settings.BACKUP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("restore_database", str(backup), "--target", target_url("unused"))


def test_restored_data_does_not_decrypt_with_other_field_keys(
    cast, backup_key, fresh_database, tmp_path
):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    consent.record_identifying_info(actor=cast.rep_police, situation=situation, **PEOPLE[0])
    backup = tmp_path / "backup.stb"
    call_command("backup_database", str(backup))
    call_command("restore_database", str(backup), "--target", target_url(fresh_database))
    env = {
        **os.environ,
        "DATABASE_URL": target_url(fresh_database),
        "DJANGO_ENV": "test",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    drill = subprocess.run(
        [sys.executable, "manage.py", "verify_restore"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert drill.returncode != 0
    assert "identifying information decrypted: 0/1" in drill.stdout
