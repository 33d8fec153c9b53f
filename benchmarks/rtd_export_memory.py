"""Peak memory of the streaming RTD export at 10,000 and 100,000 situations, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/situation_table \\
        .venv/bin/python benchmarks/rtd_export_memory.py [--sizes 10000 100000]

It creates a throwaway database (``test_<name>``, dropped at the end), generates situations with
``bulk_create`` (tests/reports/bulk.py: risk factors, flags, agencies, affected persons), then runs
the export exactly as the download does — the coordinator's scoped selector, the row generator and
the CSV writer — and reads every line while ``tracemalloc`` records the peak. The peak must stay
flat as the table grows: that is what streaming buys. For contrast it also measures the naive
approach (all rows in a list) at the smallest size.

``--table CODE`` measures an existing table instead (``make bench`` uses it on the ``seed_bulk``
databases): no throwaway database, the whole history exported by a member who may export, and
``--json`` prints the result as one JSON line.
"""

import argparse
import datetime
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")
os.environ.setdefault("DJANGO_ENV", "test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--table", help="measure this existing table (its code) instead")
    parser.add_argument("--json", action="store_true", help="with --table: one JSON line")
    args = parser.parse_args()
    sizes = sorted(args.sizes)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False  # no query log: it would grow with every chunk's queries
    if connection.vendor != "postgresql":
        print("Set DATABASE_URL to a PostgreSQL database; this benchmark is about PostgreSQL.")
        return 2

    if args.table:
        return measure_table(args.table, as_json=args.json)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        return run(sizes)
    finally:
        teardown_databases(old_config, verbosity=0)


def measure(produce) -> tuple[int, int, float]:
    """Peak traced memory, data rows and seconds of ``produce()`` (which returns CSV lines)."""
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    lines = produce()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, lines - 1, elapsed


def streamed_export(access, period) -> int:
    """The download's code path: scoped selector, row generator, CSV writer; returns the lines."""
    from cases.selectors import situations_visible_to
    from reports import exports

    situations = exports.rtd_situations(situations_visible_to(access), period)
    rows = exports.rtd_rows(situations)
    return sum(block.count("\n") for block in exports.csv_lines(exports.RTD_COLUMNS, rows))


def measure_table(code: str, *, as_json: bool) -> int:
    """Export the whole history of an existing table, as a member who may export."""
    import json

    from django.utils import timezone

    from agencies.models import Membership, Table
    from agencies.permissions import Capability, get_table_access
    from reports.forms import EARLIEST, DateRange

    table = Table.objects.get(code=code)
    access = next(
        access
        for membership in Membership.objects.filter(table=table, is_active=True).order_by("id")
        if (access := get_table_access(membership.user, table.pk)).can(Capability.EXPORT)
    )
    today = timezone.localdate()
    streamed_export(access, DateRange(today - datetime.timedelta(days=31), today))  # warm-up
    peak, rows, elapsed = measure(lambda: streamed_export(access, DateRange(EARLIEST, today)))
    result = {"table": code, "rows": rows, "peak_bytes": peak, "seconds": elapsed}
    if as_json:
        print(json.dumps(result))
    else:
        print(f"RTD export of {code}: {rows:,} rows, peak {peak / 1024:,.0f} KiB, {elapsed:.1f} s")
    return 0


def run(sizes: list[int]) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from agencies.models import Agency, Membership, Role, Sector, Table
    from agencies.permissions import get_table_access
    from cases.selectors import situations_visible_to
    from reports import exports
    from reports.forms import DateRange
    from tests.reports.bulk import bulk_situations

    table = Table.objects.create(name="Benchmark Table", code="BEN")
    agencies = [
        Agency.objects.create(name=f"Benchmark {code}", short_name=code.upper(), sector=sector)
        for code, sector in (
            ("police", Sector.objects.get(code="police")),
            ("housing", Sector.objects.get(code="housing")),
            ("health", Sector.objects.get(code="health-care")),
        )
    ]
    table.agencies.add(*agencies)
    user = get_user_model().objects.create(username="benchmark-coordinator")
    Membership.objects.create(user=user, table=table, agency=agencies[0], role=Role.COORDINATOR)
    access = get_table_access(user, table.pk)
    period = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))

    def situations():
        return exports.rtd_situations(situations_visible_to(access), period)

    def streamed():
        return streamed_export(access, period)

    def as_list():
        rows = list(exports.rtd_rows(situations()))
        return len(rows) + 1

    version = connection.pg_version // 10000
    print(f"RTD export memory, PostgreSQL {version}, chunk size {exports.CHUNK_SIZE}")
    results = []
    created = 0
    for size in sizes:
        started = time.perf_counter()
        created += bulk_situations(table, size - created, agencies=agencies, offset=created)
        with connection.cursor() as cursor:
            # Fresh planner statistics, as autovacuum would have gathered on a live database;
            # without them PostgreSQL may scan whole link tables for each chunk.
            cursor.execute("ANALYZE")
        print(f"  generated {created:>7,} situations in {time.perf_counter() - started:5.1f} s")
        if not results:
            measure(streamed)  # warm-up: first-use imports and caches are not the export's
        peak, rows, elapsed = measure(streamed)
        if rows != size:
            raise SystemExit(f"exported {rows} rows for {size} situations")
        results.append((size, peak))
        print(
            f"  streamed {rows:>7,} rows: peak {peak / 1024:8.0f} KiB, {elapsed:5.1f} s "
            f"({rows / elapsed:,.0f} rows/s)"
        )
        if len(results) == 1:
            list_peak, _rows, _elapsed = measure(as_list)
            print(f"  (for contrast, the same rows as a list: peak {list_peak / 1024:8.0f} KiB)")
    (small_n, small), (large_n, large) = results[0], results[-1]
    ratio = large / small
    print(f"peak ratio {large_n:,} / {small_n:,} situations: {ratio:.2f}")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
