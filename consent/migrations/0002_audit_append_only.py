"""The audit log is append-only: on PostgreSQL, triggers refuse UPDATE and DELETE of its rows.
The chain head row is created here so concurrent first appends serialize on it."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION consent_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_auditevent_append_only
    BEFORE UPDATE OR DELETE ON consent_auditevent
    FOR EACH ROW EXECUTE FUNCTION consent_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS consent_auditevent_append_only ON consent_auditevent;
DROP FUNCTION IF EXISTS consent_audit_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


def create_head(apps, schema_editor):
    apps.get_model("consent", "AuditHead").objects.get_or_create(singleton=1)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
