"""Existing identifying information gets its repeat markers.

For every person of a situation that has passed Filter 1 (attested, or past draft) and has no
marker yet: decrypt with the configured keys (rows no key opens are skipped), compute the repeat
token and store a marker dated the day the situation was presented. Drafts get none: theirs are
computed at Filter 1 attestation. Reversing removes every marker and the "computed" flags.
"""

import datetime

from django.db import migrations
from django.utils import timezone


def _presented_on(situation) -> datetime.date:
    moment = situation.f1_attested_at or situation.created_at
    return timezone.localdate(moment) if moment else timezone.localdate()


def create_markers(apps, schema_editor):
    from consent import crypto

    IdentifyingInfo = apps.get_model("consent", "IdentifyingInfo")
    RepeatMarker = apps.get_model("consent", "RepeatMarker")
    now = timezone.now()
    rows = (
        IdentifyingInfo.objects.filter(repeat_marker_at__isnull=True)
        .exclude(situation__status="draft", situation__f1_attested_at__isnull=True)
        .select_related("situation")
        .order_by("id")
    )
    markers, done = [], []
    for person in rows.iterator(chunk_size=500):
        try:
            data = crypto.decrypt_json(person.ciphertext)
        except crypto.DecryptionError:
            continue
        done.append(person.pk)
        token = crypto.repeat_token(
            person.situation.table_id,
            data.get("given_name", ""),
            data.get("family_name", ""),
            data.get("date_of_birth", ""),
        )
        if token:
            markers.append(
                RepeatMarker(
                    table_id=person.situation.table_id,
                    token=token,
                    presented_on=_presented_on(person.situation),
                    created_at=now,
                )
            )
    RepeatMarker.objects.bulk_create(markers, batch_size=500)
    for start in range(0, len(done), 500):
        IdentifyingInfo.objects.filter(pk__in=done[start : start + 500]).update(
            repeat_marker_at=now
        )


def remove_markers(apps, schema_editor):
    apps.get_model("consent", "RepeatMarker").objects.all().delete()
    apps.get_model("consent", "IdentifyingInfo").objects.update(repeat_marker_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_repeat_marker_and_revocation"),
        ("cases", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_markers, remove_markers)]
