from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore an encrypted backup into an existing, empty PostgreSQL database given by URL "
        "(never the running one by accident: the target is always explicit)."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--target", required=True, help="postgres://user@host:port/dbname")

    def handle(self, *args, backup, target, **options):
        config = dj_database_url.parse(target)
        try:
            restore_backup(
                backup,
                database=config["NAME"],
                host=config.get("HOST") or "",
                port=config.get("PORT") or "",
                user=config.get("USER") or "",
                password=config.get("PASSWORD") or "",
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Restored into {config['NAME']}."))
