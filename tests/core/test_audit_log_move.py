"""The audit log moved from consent to core (state only): on a copy of the demo database the
migrations run backwards and forwards with every row, the chain and the triggers intact."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from consent.audit_checks import verify_chain
from core.audit import record_event
from core.models import AuditEvent

BEFORE = [("consent", "0005_keyed_audit_chain"), ("core", "0001_idempotency_keys")]


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_every_row_of_the_demo_database_and_its_chain():
    call_command("seed_demo", "--quiet-logins")
    rows = AuditEvent.objects.count()
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    assert rows > 20 and verify_chain().ok

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # back to "the audit log belongs to consent"
    old = executor.loader.project_state(BEFORE).apps.get_model("consent", "AuditEvent")
    assert old.objects.count() == rows
    assert old._meta.db_table == AuditEvent._meta.db_table == "consent_auditevent"

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert AuditEvent.objects.count() == rows
    assert AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() == head
    record_event(actor=None, event="test.after_move")
    assert verify_chain().ok and verify_chain().checked == rows + 1
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=AuditEvent.objects.first().pk).delete()
