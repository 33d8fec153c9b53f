"""Every Filter 2 discussion becomes a ``Discussion`` row.

Before, a situation kept only its last Filter 2 decision in its own fields; the ``Decision`` rows
(kind ``f2_accepted``/``f2_rejected``/``f2_returned``) kept each one. A situation returned and
accepted later therefore yields two discussions. Situations with a disposition but no decision
row (imported history) get one discussion from their own fields.
"""

from django.db import migrations

KINDS = {"f2_accepted": "accepted", "f2_rejected": "rejected", "f2_returned": "returned"}


def forwards(apps, schema_editor):
    Decision = apps.get_model("cases", "Decision")
    Discussion = apps.get_model("cases", "Discussion")
    Situation = apps.get_model("cases", "Situation")
    rows = []
    with_decision = set()
    decisions = (
        Decision.objects.filter(kind__in=KINDS)
        .select_related("situation")
        .order_by("decided_at", "id")
    )
    for d in decisions.iterator(chunk_size=2000):
        s = d.situation
        with_decision.add(s.pk)
        rows.append(
            Discussion(
                table_id=s.table_id,
                situation_id=s.pk,
                meeting_id=d.meeting_id,
                disposition=KINDS[d.kind],
                decided_at=d.decided_at,
                decided_by_id=d.decided_by_id,
                originating_agency_id=s.originating_agency_id,
                subject_type=s.subject_type,
                age_group=s.age_group,
                gender=s.gender,
            )
        )
    for s in (
        Situation.objects.exclude(f2_disposition="")
        .filter(f2_decided_at__isnull=False)
        .exclude(pk__in=with_decision)
        .iterator(chunk_size=2000)
    ):
        rows.append(
            Discussion(
                table_id=s.table_id,
                situation_id=s.pk,
                disposition=s.f2_disposition,
                decided_at=s.f2_decided_at,
                originating_agency_id=s.originating_agency_id,
                subject_type=s.subject_type,
                age_group=s.age_group,
                gender=s.gender,
            )
        )
    Discussion.objects.bulk_create(rows, batch_size=2000)


def backwards(apps, schema_editor):
    apps.get_model("cases", "Discussion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_discussions_and_detail")]
    operations = [migrations.RunPython(forwards, backwards)]
