"""Every Filter 2 discussion is kept and counted: returned, then accepted = two discussions."""

import datetime
import importlib

from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Decision, Discussion, F2Disposition, Situation, Status
from reports.forms import DateRange
from reports.public import build_public_report
from reports.statistics import compute_statistics
from tests.cases.factories import ALL_AER_ELEMENTS, bring_to

migration = importlib.import_module("cases.migrations.0006_discussions_from_decisions")


def returned_then_accepted(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    services.record_filter2_decision(
        actor=cast.chair, situation=situation, disposition="returned", reason="More detail."
    )
    situation = services.attest_filter1(actor=cast.rep_police, situation=situation)
    return services.record_filter2_decision(
        actor=cast.chair,
        situation=situation,
        disposition=F2Disposition.ACCEPTED,
        aer_elements=ALL_AER_ELEMENTS,
    )


def this_year():
    today = timezone.localdate()
    return DateRange(today - datetime.timedelta(days=30), today)


def test_returned_then_accepted_is_two_discussions_in_statistics_and_the_public_report(cast):
    from agencies.permissions import get_table_access

    returned_then_accepted(cast)
    assert list(Discussion.objects.values_list("disposition", flat=True)) == [
        "returned",
        "accepted",
    ]
    access = get_table_access(cast.chair, cast.table.pk)
    stats = compute_statistics(access, this_year())
    tallies = {t.code: t.value for t in stats.f2}
    assert (tallies["accepted"], tallies["returned"], tallies["rejected"]) == (1, 1, 0)
    report = build_public_report(access, this_year())
    # Small cells are suppressed in the public report; the total of discussions is still 2.
    assert report.by_quarter.total_row[1][-1].value == 2


def test_rtd_export_of_a_returned_then_accepted_situation_yields_two_rows(client, cast):
    situation = returned_then_accepted(cast)
    client.force_login(cast.coordinator)
    today = timezone.localdate()
    response = client.get(
        reverse("reports-rtd-csv", args=[cast.table.pk]),
        {"from": (today - datetime.timedelta(days=3)).isoformat(), "to": today.isoformat()},
    )
    rows = [line for line in b"".join(response.streaming_content).decode().splitlines()[1:]]
    assert len(rows) == 2
    assert all(situation.number in row for row in rows)
    assert ",returned," in rows[0] and ",accepted," in rows[1]


def test_data_migration_builds_discussions_from_decisions_on_the_demo_database(db):
    call_command("seed_demo", "--quiet-logins")
    expected = Decision.objects.filter(kind__startswith="f2_").count()
    assert expected > 0
    # The demo as it was before: decisions, and a situation with a disposition but no decision.
    Discussion.objects.all().delete()
    imported = Situation.objects.filter(status=Status.REJECTED).first()
    Decision.objects.filter(situation=imported, kind__startswith="f2_").delete()
    migration.forwards(apps, None)
    assert Discussion.objects.count() == expected
    row = Discussion.objects.get(situation=imported)
    assert (row.disposition, row.decided_at, row.age_group) == (
        imported.f2_disposition,
        imported.f2_decided_at,
        imported.age_group,
    )
    assert row.table_id == imported.table_id
