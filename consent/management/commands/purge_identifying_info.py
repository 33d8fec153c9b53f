import argparse

from django.core.management.base import BaseCommand

from consent.services import purge_identifying_info


def days_count(value: str) -> int:
    """A whole number of days, 0 or more: a negative period would purge what is still needed."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days") from None
    if days < 0:
        raise argparse.ArgumentTypeError("--days cannot be negative")
    return days


class Command(BaseCommand):
    help = (
        "Delete identifying information past retention (concluded + N days, rejected or "
        "withdrawn at once). De-identified data and statistics stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; delete nothing.")
        parser.add_argument(
            "--days",
            type=days_count,
            default=None,
            help="Override every table's retention period (days, 0 or more).",
        )

    def handle(self, *args, dry_run, days, **options):
        report = purge_identifying_info(actor=None, dry_run=dry_run, days=days)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} identifying information of {report.people} people in "
            f"{len(report.situations)} situations, and {report.markers_expired} repeat markers "
            "older than 12 months."
        )
