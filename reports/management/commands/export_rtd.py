"""``manage.py export_rtd --table NST --from 2026-01-01 --to 2026-03-31 --output rtd.csv``

The same streaming export as the download, for scheduled jobs and for operators. It writes
de-identified data only; it runs with the operator's database access, scoped to one table.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from agencies.models import Table
from cases.models import Situation
from reports import exports
from reports.forms import DateRangeForm


class Command(BaseCommand):
    help = "Write the RTD-compatible CSV of one table for a date range (Filter 2 discussion date)."

    def add_arguments(self, parser):
        parser.add_argument("--table", required=True, help="Table code (e.g. NST) or id.")
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD.")
        parser.add_argument(
            "--output", required=True, help="File to write, or - for standard output."
        )
        parser.add_argument(
            "--lang",
            choices=["en", "fr"],
            help="Write readable labels in this language instead of stable codes. "
            "The header keeps its stable codes.",
        )

    def handle(self, *args, **options):
        table = self._table(options["table"])
        form = DateRangeForm({"from": options["start"], "to": options["end"]})
        period = form.resolve()
        if period is None:
            problems = "; ".join(
                f"--{field}: {' '.join(messages)}"
                for field, messages in form.error_messages_by_field().items()
            )
            raise CommandError(f"Invalid date range. {problems}")

        # Operators hold database access anyway; the scope is still exactly one table.
        situations = exports.rtd_situations(Situation.objects.filter(table=table), period)
        with translation.override(options["lang"] or "en"):
            lines = exports.csv_lines(
                exports.RTD_COLUMNS,
                exports.rtd_rows(situations, labels=bool(options["lang"])),
            )
            count = self._write(lines, options["output"])
        self.stderr.write(
            self.style.SUCCESS(
                f"Wrote {count} situations of {table.code} "
                f"({period.start.isoformat()} to {period.end.isoformat()})."
            )
        )

    def _table(self, value: str) -> Table:
        lookup = {"pk": int(value)} if value.isdigit() else {"code__iexact": value}
        try:
            return Table.objects.get(**lookup)
        except Table.DoesNotExist:
            raise CommandError(f"No table with code or id {value!r}.") from None

    def _write(self, lines, output: str) -> int:
        rows = -1  # the header line
        if output == "-":
            for block in lines:
                sys.stdout.write(block)
                rows += block.count("\n")
            return rows
        try:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                for block in lines:
                    handle.write(block)
                    rows += block.count("\n")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
        return rows
