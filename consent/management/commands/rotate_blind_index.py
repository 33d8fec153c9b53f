"""Recompute every blind index under the current BLIND_INDEX_KEY (resumable).

Key rotation: set BLIND_INDEX_KEY to the new value, restart the site, then run this command.
Until it finishes, a new record may not be matched to older ones ("seen before?"). It prints the
last id of each batch; ``--after-id`` resumes there (a plain rerun also skips finished rows).
"""

from django.core.management.base import BaseCommand, CommandError

from consent.blind_index_rotation import rotate_blind_index


class Command(BaseCommand):
    help = "Recompute the blind index of every identifying-information row under BLIND_INDEX_KEY."

    def add_arguments(self, parser):
        parser.add_argument("--after-id", type=int, default=0, help="Resume after this row id.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--dry-run", action="store_true", help="Count only; change nothing.")

    def handle(self, *args, after_id, batch_size, dry_run, **options):
        if after_id < 0 or not 1 <= batch_size <= 10_000:
            raise CommandError("--after-id must be 0 or more and --batch-size 1 to 10000.")

        def progress(report):
            self.stderr.write(f"… up to id {report.last_id}: {report.updated} updated")

        report = rotate_blind_index(
            after_id=after_id, batch_size=batch_size, dry_run=dry_run, progress=progress
        )
        verb = "Would update" if dry_run else "Updated"
        self.stdout.write(
            f"{verb} {report.updated} of {report.checked} blind indexes "
            f"({report.unreadable} unreadable, left unchanged)."
        )
        if report.unreadable:
            raise CommandError(
                f"{report.unreadable} rows could not be decrypted with FIELD_ENCRYPTION_KEYS."
            )
