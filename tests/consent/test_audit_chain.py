"""The audit log is append-only and tamper-evident."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from consent.audit_checks import verify_chain
from core.audit import record_event
from core.models import AuditEvent, AuditHead


def make_chain(n=5):
    return [record_event(actor=None, event="test.event", data={"i": i}) for i in range(n)]


def without_append_only_guard(sql, params):
    """Play the attacker: someone with database access edits the table around the trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE consent_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE consent_auditevent ENABLE TRIGGER USER")


def test_each_row_chains_to_the_previous(db):
    rows = make_chain(3)
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert AuditHead.objects.get().last_hash == rows[2].hash
    report = verify_chain()
    assert report.ok and report.checked == 3
    call_command("verify_audit_chain")


def test_altering_one_row_breaks_the_chain_and_names_it(db):
    rows = make_chain()
    without_append_only_guard(
        "UPDATE consent_auditevent SET data = %s WHERE id = %s", ['{"i": 99}', rows[2].pk]
    )
    with pytest.raises(CommandError, match=f"BROKEN at row #{rows[2].pk}"):
        call_command("verify_audit_chain")


def test_deleting_a_middle_row_breaks_the_chain(db):
    rows = make_chain()
    without_append_only_guard("DELETE FROM consent_auditevent WHERE id = %s", [rows[1].pk])
    report = verify_chain()
    assert not report.ok and report.first_broken_id == rows[2].pk


def test_deleting_the_newest_row_is_detected(db):
    rows = make_chain()
    without_append_only_guard("DELETE FROM consent_auditevent WHERE id = %s", [rows[-1].pk])
    report = verify_chain()
    assert not report.ok
    assert "newest row" in report.problem


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="trigger is PostgreSQL-only")
def test_database_refuses_update_and_delete(db):
    rows = make_chain(2)
    for statement in (
        "UPDATE consent_auditevent SET event = 'x'",
        "DELETE FROM consent_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.count() == len(rows)
