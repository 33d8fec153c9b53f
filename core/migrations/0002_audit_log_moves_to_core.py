"""The audit log moves from the consent app to core: state only.

The tables keep their names (``consent_auditevent``, ``consent_audithead``), their rows and the
PostgreSQL append-only triggers; only Django's idea of which app owns them changes.
"""

import django.utils.timezone
from django.db import migrations, models

STATE = [
    migrations.CreateModel(
        name="AuditEvent",
        fields=[
            (
                "id",
                models.BigAutoField(
                    auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                ),
            ),
            ("at", models.DateTimeField(default=django.utils.timezone.now)),
            ("actor_id", models.BigIntegerField(blank=True, null=True)),
            ("actor_label", models.CharField(blank=True, max_length=150)),
            ("table_id", models.BigIntegerField(blank=True, null=True)),
            ("event", models.CharField(db_index=True, max_length=60)),
            ("object_type", models.CharField(blank=True, max_length=40)),
            ("object_id", models.CharField(blank=True, max_length=40)),
            ("data", models.JSONField(blank=True, default=dict)),
            ("prev_hash", models.CharField(max_length=64)),
            ("hash", models.CharField(max_length=64, unique=True)),
        ],
        options={
            "verbose_name": "audit event",
            "verbose_name_plural": "audit events",
            "ordering": ["id"],
            "db_table": "consent_auditevent",
            "indexes": [
                models.Index(fields=["table_id", "-id"], name="consent_aud_table_i_e1c869_idx")
            ],
        },
    ),
    migrations.CreateModel(
        name="AuditHead",
        fields=[
            (
                "singleton",
                models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
            ),
            ("last_id", models.BigIntegerField(default=0)),
            ("last_hash", models.CharField(default="0" * 64, max_length=64)),
        ],
        options={"verbose_name": "audit chain head", "db_table": "consent_audithead"},
    ),
]


def create_head(apps, schema_editor):
    """The chain head row (also restored by the test suite after a flush)."""
    apps.get_model("core", "AuditHead").objects.get_or_create(singleton=1)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_idempotency_keys"),
        ("consent", "0005_keyed_audit_chain"),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
