"""The audit log now belongs to core (``core/migrations/0002``): state only, the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0005_keyed_audit_chain"),
        ("core", "0002_audit_log_moves_to_core"),
    ]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="AuditHead"),
            ]
        )
    ]
