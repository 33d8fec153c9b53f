"""Key the audit chain: every row's hash becomes HMAC-SHA256 with AUDIT_CHAIN_KEY.

The existing (unkeyed SHA-256) chain is verified first; a broken chain is refused, not laundered
into a keyed one. On PostgreSQL the append-only trigger is lifted for the rewrite, inside this
migration's transaction, and restored. The canonical content is frozen here, as it was hashed.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64
TRIGGER = "consent_auditevent_append_only"


def _canonical(row) -> str:
    content = {
        "at": row.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "table_id": row.table_id,
        "event": row.event,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "data": row.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def unkeyed(prev_hash: str, row) -> str:
    return hashlib.sha256((prev_hash + _canonical(row)).encode()).hexdigest()


def keyed(prev_hash: str, row) -> str:
    key = f"chain:{settings.AUDIT_CHAIN_KEY}".encode()
    return hmac.new(key, (prev_hash + _canonical(row)).encode(), hashlib.sha256).hexdigest()


def rekey(apps, schema_editor):
    AuditEvent = apps.get_model("consent", "AuditEvent")
    AuditHead = apps.get_model("consent", "AuditHead")
    # Appends by a worker of the previous release wait for this migration (stop worker and beat
    # before upgrading: README, "Audit chain").
    AuditHead.objects.select_for_update().get_or_create(singleton=1)
    rows = list(AuditEvent.objects.order_by("id"))
    if not rows:
        return
    previous = GENESIS
    for row in rows:
        if row.prev_hash != previous or unkeyed(previous, row) != row.hash:
            raise RuntimeError(
                f"The audit chain is broken at row #{row.pk}; it is not re-keyed. Investigate "
                "with `manage.py verify_audit_chain` on the previous release first."
            )
        previous = row.hash
    head = AuditHead.objects.filter(singleton=1).first()
    if head and (head.last_id != rows[-1].pk or head.last_hash != previous):
        raise RuntimeError("The audit chain head does not match its newest row; not re-keyed.")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE consent_auditevent DISABLE TRIGGER {TRIGGER}")
    previous = GENESIS
    for row in rows:
        row.prev_hash = previous
        row.hash = keyed(previous, row)
        previous = row.hash
    # Unique hashes: write new values in one statement so no intermediate state collides.
    AuditEvent.objects.bulk_update(rows, ["prev_hash", "hash"], batch_size=500)
    if postgres:
        schema_editor.execute(f"ALTER TABLE consent_auditevent ENABLE TRIGGER {TRIGGER}")
    AuditHead.objects.update_or_create(
        singleton=1, defaults={"last_id": rows[-1].pk, "last_hash": previous}
    )


def refuse_to_unkey(apps, schema_editor):
    raise RuntimeError(
        "The audit chain cannot be un-keyed: the previous release would report it broken. "
        "Restore the backup taken before the upgrade instead."
    )


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_repeat_markers_from_identifying_info")]
    operations = [migrations.RunPython(rekey, refuse_to_unkey)]

