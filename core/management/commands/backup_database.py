from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write an encrypted, compressed pg_dump of the database (BACKUP_ENCRYPTION_KEY)."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path)

    def handle(self, *args, output, **options):
        try:
            size = create_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written: {output} ({size} bytes)."))
