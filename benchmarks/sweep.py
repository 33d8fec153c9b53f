"""Benchmark: the notification sweep with 10,000 due tasks across 50 tables.

Prints the number of queries and the seconds the sweep takes for 1,000 and for 10,000 due tasks
(first sweep: everything is new; then a steady-state sweep: nothing new), and their ratios. The
query count must not change with the data; the 10,000-task sweep should take well under 2 s.

It builds a throw-away database (dropped at the end), so it never touches your data:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/situation_table DJANGO_ENV=test \\
        .venv/bin/python benchmarks/sweep.py

Messages go to Celery's in-memory broker unless BENCH_BROKER_URL names a real one (e.g.
redis://127.0.0.1:6379/13); the sweep publishes ids in batches of NOTIFICATION_BATCH_SIZE.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "situation_table.settings")
os.environ.setdefault("DJANGO_ENV", "test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

TABLES = 50
AGENCIES_PER_TABLE = 5
SITUATIONS_PER_TABLE = 20


def build_people():
    from agencies.models import Agency, Membership, Role, Sector, Table

    sector = Sector.objects.get(code="community")
    User = get_user_model()
    tables = Table.objects.bulk_create(
        Table(name=f"Bench table {t}", code=f"B{t:03d}") for t in range(TABLES)
    )
    agencies = Agency.objects.bulk_create(
        Agency(name=f"Bench agency {t}-{a}", short_name=f"A{t}{a}", sector=sector)
        for t in range(TABLES)
        for a in range(AGENCIES_PER_TABLE)
    )
    Through = Table.agencies.through
    Through.objects.bulk_create(
        Through(table_id=tables[i // AGENCIES_PER_TABLE].pk, agency_id=agency.pk)
        for i, agency in enumerate(agencies)
    )
    users = User.objects.bulk_create(
        User(username=f"bench-{i}", email=f"bench-{i}@example.invalid")
        for i in range(TABLES * (AGENCIES_PER_TABLE + 1))
    )
    memberships = []
    for t, table in enumerate(tables):
        table_agencies = agencies[t * AGENCIES_PER_TABLE : (t + 1) * AGENCIES_PER_TABLE]
        seat = t * (AGENCIES_PER_TABLE + 1)
        memberships.append(
            Membership(user=users[seat], table=table, agency=table_agencies[0], role=Role.CHAIR)
        )
        for a, agency in enumerate(table_agencies):
            memberships.append(
                Membership(
                    user=users[seat + 1 + a], table=table, agency=agency, role=Role.REPRESENTATIVE
                )
            )
    Membership.objects.bulk_create(memberships)
    return tables, agencies


def build_cases(tables, agencies, n_tasks, now):
    """Situations in intervention and ``n_tasks`` open tasks due tomorrow or overdue; one
    meeting per table tomorrow."""
    from cases.models import Meeting, Situation, Status, Task

    today = timezone.localdate(now)
    situations = Situation.objects.bulk_create(
        Situation(
            table=table,
            number=f"{table.code}-2026-{s:04d}",
            year=2026,
            sequence=s,
            originating_agency=agencies[t * AGENCIES_PER_TABLE],
            lead_agency=agencies[t * AGENCIES_PER_TABLE],
            age_group="18-24",
            gender="female",
            narrative="Benchmark.",
            status=Status.INTERVENTION,
            f2_decided_at=now - datetime.timedelta(days=10),
            # Half of them never recorded a first contact: those notices are due too.
            first_intervention_at=None if s % 2 else now - datetime.timedelta(days=9),
        )
        for t, table in enumerate(tables)
        for s in range(SITUATIONS_PER_TABLE)
    )
    Task.objects.bulk_create(
        Task(
            situation=situations[i % len(situations)],
            owner_agency=agencies[
                (i % len(situations)) // SITUATIONS_PER_TABLE * AGENCIES_PER_TABLE
                + i % AGENCIES_PER_TABLE
            ],
            description="Benchmark task",
            due_date=today + datetime.timedelta(days=1)
            if i % 2
            else today - datetime.timedelta(i % 7 + 1),
        )
        for i in range(n_tasks)
    )
    Meeting.objects.bulk_create(
        Meeting(table=table, scheduled_at=now + datetime.timedelta(hours=20)) for table in tables
    )


def clear_cases():
    from cases.models import Meeting, Situation, Task
    from notifications.models import Notification

    Notification.objects.all().delete()
    Task.objects.all().delete()
    Meeting.objects.all().delete()
    Situation.objects.all().delete()


REPEAT = 3


def measure(n_tasks, tables, agencies, now):
    """Best and median of REPEAT runs (the machine may be busy), then the query counts."""
    from notifications import services
    from notifications.models import Notification

    clear_cases()
    build_cases(tables, agencies, n_tasks, now)
    first_runs, steady_runs = [], []
    for _ in range(REPEAT):
        Notification.objects.all().delete()
        started = time.perf_counter()
        first = services.sweep(now=now)
        first_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        steady = services.sweep(now=now + datetime.timedelta(minutes=5))
        steady_runs.append(time.perf_counter() - started)
        assert steady.created_total == 0 and steady.enqueued == 0

    # Query counts in a separate pass (capturing SQL costs time of its own).
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as first_queries:
        services.sweep(now=now)
    with CaptureQueriesContext(connection) as steady_queries:
        services.sweep(now=now + datetime.timedelta(minutes=5))
    return {
        "tasks": n_tasks,
        "created": first.created_total,
        "enqueued": first.enqueued,
        "first_queries": len(first_queries.captured_queries),
        "first_seconds": min(first_runs),
        "first_median": statistics.median(first_runs),
        "steady_queries": len(steady_queries.captured_queries),
        "steady_seconds": min(steady_runs),
    }


def main():
    from situation_table.celery import app

    broker = os.environ.get("BENCH_BROKER_URL", "memory://")
    app.conf.broker_url = broker
    app.conf.task_always_eager = False  # publish, as with a real broker; never send email here
    app.close()

    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})["NAME"] = f"bench_sweep_{os.getpid()}"
    if connection.vendor == "sqlite":
        settings_dict["TEST"]["NAME"] = str(ROOT / f"bench_sweep_{os.getpid()}.sqlite3")
    old_name = settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        now = timezone.now()
        tables, agencies = build_people()
        small = measure(1_000, tables, agencies, now)
        large = measure(10_000, tables, agencies, now)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if not broker.startswith("memory"):
            app.control.purge()  # the published batches point at a database that is gone

    print(f"Notification sweep: {TABLES} tables, {connection.vendor}, broker {broker}")
    print(f"(seconds: best of {REPEAT}, median in brackets; steady = the next sweep, nothing new)")
    print(
        f"{'due tasks':>10} {'created':>8} {'queries':>8} {'seconds':>16}   "
        f"{'steady queries':>14} {'steady seconds':>14}"
    )
    for row in (small, large):
        timing = f"{row['first_seconds']:.3f} ({row['first_median']:.3f})"
        print(
            f"{row['tasks']:>10,} {row['created']:>8,} {row['first_queries']:>8} {timing:>16}   "
            f"{row['steady_queries']:>14} {row['steady_seconds']:>14.3f}"
        )
    print(
        "ratio 10,000 / 1,000 tasks:"
        f" queries {large['first_queries'] / small['first_queries']:.2f},"
        f" seconds {large['first_seconds'] / small['first_seconds']:.2f}"
        f" (steady state {large['steady_seconds'] / small['steady_seconds']:.2f})"
    )
    ok = large["first_queries"] == small["first_queries"] and large["first_seconds"] < 2.0
    print("OK: constant query count, under 2 s" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
