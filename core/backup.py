"""Encrypted, compressed PostgreSQL backups: ``pg_dump`` wrapped, nothing home-grown.

A backup is ``pg_dump --format=custom`` (compressed by pg_dump, level 6) encrypted with Fernet
under ``BACKUP_ENCRYPTION_KEY``, a key of its own: the backup file is useless to whoever finds
it, and it still holds identifying information only as the ``FIELD_ENCRYPTION_KEYS``
ciphertext. Restoring needs both keys; see README, *Backups and key escrow*.
"""

import os
import subprocess  # nosec B404  # pg_dump and pg_restore, argument lists only
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

MAGIC = b"SITUATION-TABLE-BACKUP-1\n"


class BackupError(Exception):
    pass


def _fernet() -> Fernet:
    key = getattr(settings, "BACKUP_ENCRYPTION_KEY", "")
    if not key:
        raise ImproperlyConfigured("Set BACKUP_ENCRYPTION_KEY (a Fernet key) to make backups.")
    return Fernet(key.encode() if isinstance(key, str) else key)


def _pg_env_and_args(settings_dict) -> tuple[dict, list[str]]:
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    return env, args


def create_backup(output: Path) -> int:
    """Write an encrypted backup of the default database to ``output``; return its size."""
    if connection.vendor != "postgresql":
        raise BackupError("Backups use pg_dump: they need PostgreSQL (DATABASE_URL).")
    env, args = _pg_env_and_args(connection.settings_dict)
    dump = subprocess.run(  # nosec B603 B607  # fixed program, argument list
        [
            "pg_dump",
            "--format=custom",
            "--compress=6",
            "--no-owner",
            "--no-privileges",
            *args,
            "--dbname",
            connection.settings_dict["NAME"],
        ],
        env=env,
        capture_output=True,
        check=False,
    )
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed (exit {dump.returncode}).")
    payload = MAGIC + _fernet().encrypt(dump.stdout)
    output.write_bytes(payload)
    return len(payload)


def restore_backup(source: Path, *, database: str, host="", port="", user="", password="") -> None:
    """Decrypt ``source`` and restore it into the existing, empty database ``database``."""
    payload = source.read_bytes()
    if not payload.startswith(MAGIC):
        raise BackupError("This is not a Situation Table backup.")
    try:
        dump = _fernet().decrypt(payload[len(MAGIC) :])
    except InvalidToken:
        raise BackupError("This backup cannot be decrypted with BACKUP_ENCRYPTION_KEY.") from None
    env, args = _pg_env_and_args({"HOST": host, "PORT": port, "USER": user, "PASSWORD": password})
    with tempfile.NamedTemporaryFile(suffix=".dump") as handle:
        handle.write(dump)
        handle.flush()
        result = subprocess.run(  # nosec B603 B607  # fixed program, argument list
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *args,
                "--dbname",
                database,
                handle.name,
            ],
            env=env,
            capture_output=True,
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed (exit {result.returncode}).")
