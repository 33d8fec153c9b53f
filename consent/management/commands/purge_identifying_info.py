from django.core.management.base import BaseCommand

from consent.services import purge_identifying_info


class Command(BaseCommand):
    help = (
        "Delete identifying information past retention (concluded + N days, rejected or "
        "withdrawn at once). De-identified data and statistics stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; delete nothing.")
        parser.add_argument(
            "--days", type=int, default=None, help="Override every table's retention period."
        )

    def handle(self, *args, dry_run, days, **options):
        report = purge_identifying_info(actor=None, dry_run=dry_run, days=days)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} identifying information of {report.people} people in "
            f"{len(report.situations)} situations, and {report.markers_expired} repeat markers "
            "older than 12 months."
        )
