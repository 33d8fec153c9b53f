from django.core.management.base import BaseCommand, CommandError

from consent.audit_checks import write_checkpoint
from core.audit import checkpoint_path


class Command(BaseCommand):
    help = (
        "Verify the audit chain and append a signed checkpoint (row count + head) to "
        "AUDIT_CHECKPOINT_DIR; ship that file somewhere the database's owner cannot write."
    )

    def handle(self, *args, **options):
        checkpoint = write_checkpoint()
        if checkpoint is None:
            raise CommandError("The audit chain does not verify: no checkpoint written.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint written to {checkpoint_path()}: {checkpoint['count']} rows, "
                f"head {checkpoint['head'][:16]}…"
            )
        )
