"""The chain resists the database's owner: a keyed hash, signed checkpoints outside the database,
and the access log inside the chain (core/audit.py, consent/audit_checks.py). Each attack below
is played with the
database's own powers (no key): truncation with a reset head, a rewrite with the trigger off and
the chain recomputed, a deleted tail with the head moved back, deleted access-log rows."""

import hashlib
import importlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from consent.audit_checks import verify_chain, write_checkpoint
from consent.models import AccessEvent
from core.audit import (
    GENESIS,
    _content,
    _signed,
    checkpoint_path,
    latest_checkpoint,
    record_event,
)
from core.models import AuditEvent, AuditHead
from tests.consent.test_audit_chain import make_chain, without_append_only_guard


def set_head(last_id, last_hash):
    AuditHead.objects.filter(singleton=1).update(last_id=last_id, last_hash=last_hash)


def sha256_chain(rows):
    """What an attacker without the key can compute: the old unkeyed SHA-256 chain."""
    previous = GENESIS
    for row in rows:
        canonical = json.dumps(_content(row), sort_keys=True, separators=(",", ":"), default=str)
        row.prev_hash, row.hash = (
            previous,
            hashlib.sha256((previous + canonical).encode()).hexdigest(),
        )
        previous = row.hash
    return previous


def test_a_checkpoint_is_signed_and_matches_the_chain(db):
    rows = make_chain(4)
    checkpoint = write_checkpoint()

    assert checkpoint["count"] == 4 and checkpoint["last_id"] == rows[-1].pk
    assert checkpoint["head"] == rows[-1].hash and len(checkpoint["signature"]) == 64
    assert checkpoint_path().read_text().count("\n") == 1
    report = verify_chain()
    assert report.ok and report.checkpoint == checkpoint
    make_chain(2)  # the chain may grow past its checkpoint
    assert verify_chain().ok


def test_truncating_the_table_and_resetting_the_head_is_detected(db):
    make_chain(5)
    write_checkpoint()
    without_append_only_guard("DELETE FROM consent_auditevent", [])  # TRUNCATE on SQLite
    set_head(0, GENESIS)

    report = verify_chain()

    assert not report.ok
    assert "fewer than the 5 of the checkpoint" in report.problem
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_audit_chain")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="TRUNCATE and triggers: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_truncate_on_postgresql_is_detected():
    make_chain(3)
    write_checkpoint()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE consent_auditevent")  # row triggers do not fire on TRUNCATE
    set_head(0, GENESIS)

    assert not verify_chain().ok


def test_rewriting_with_the_trigger_off_and_recomputing_the_chain_is_detected(db):
    rows = make_chain(4)
    write_checkpoint()
    rows = list(AuditEvent.objects.order_by("id"))
    rows[1].data = {"i": "forged"}
    head = sha256_chain(rows)
    for row in rows:
        without_append_only_guard(
            "UPDATE consent_auditevent SET data = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(row.data), row.prev_hash, row.hash, row.pk],
        )
    set_head(rows[-1].pk, head)

    report = verify_chain()

    assert not report.ok
    assert report.first_broken_id == rows[0].pk  # no row verifies without the key
    assert report.problem == "content does not match its hash"


def test_deleting_the_tail_and_moving_the_head_back_is_detected(db):
    rows = make_chain(5)
    write_checkpoint()
    without_append_only_guard("DELETE FROM consent_auditevent WHERE id >= %s", [rows[3].pk])
    set_head(rows[2].pk, rows[2].hash)  # internally consistent again

    report = verify_chain()

    assert not report.ok
    assert "fewer than the 5" in report.problem


def test_a_forged_or_edited_checkpoint_file_is_refused(db):
    make_chain(2)
    write_checkpoint()
    path = checkpoint_path()
    line = json.loads(path.read_text())
    line["count"] = 1
    path.write_text(json.dumps(line) + "\n")

    checkpoint, problem = latest_checkpoint()

    assert checkpoint is None and "wrong signature" in problem
    assert not verify_chain().ok


def test_no_checkpoint_over_a_broken_chain(db, caplog):
    rows = make_chain(3)
    without_append_only_guard(
        "UPDATE consent_auditevent SET data = %s WHERE id = %s", ['{"i": 7}', rows[0].pk]
    )

    assert write_checkpoint() is None
    assert not checkpoint_path().exists()
    assert "audit checkpoint not written" in caplog.text
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit_checkpoint")


def test_deleting_access_log_rows_is_detected(db, cast):
    from consent import services
    from tests.consent.test_access_ground import PERSON, disclose, named_at_filter3

    situation = named_at_filter3(cast)
    services.record_identifying_info(actor=cast.rep_police, situation=situation, **PERSON)
    disclose(cast, situation, [cast.housing])
    services.reveal_identifying_info(actor=cast.rep_housing, situation=situation)
    [access] = AccessEvent.objects.filter(situation=situation)
    viewed = AuditEvent.objects.get(event="identifying_info.viewed")
    assert viewed.data["access_event"] == access.pk
    assert verify_chain().ok

    AccessEvent.objects.filter(pk=access.pk).delete()

    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == viewed.pk
    assert "access-log entries recorded in the chain are missing" in report.problem


def state_at_0005():
    """The models as migration 0005 sees them (the audit log still in the consent app)."""
    loader = MigrationLoader(connection)
    return loader.project_state(("consent", "0005_keyed_audit_chain")).apps


class Editor:
    """What the migration uses of its schema editor: the connection, and raw SQL."""

    connection = connection

    def execute(self, sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_the_migration_re_keys_a_sound_legacy_chain_and_refuses_a_broken_one(db):
    migration = importlib.import_module("consent.migrations.0005_keyed_audit_chain")
    rows = make_chain(3)
    rows = list(AuditEvent.objects.order_by("id"))
    head = sha256_chain(rows)  # the chain as the previous release wrote it
    for row in rows:
        without_append_only_guard(
            "UPDATE consent_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [row.prev_hash, row.hash, row.pk],
        )
    set_head(rows[-1].pk, head)
    assert not verify_chain().ok  # legacy hashes are not keyed

    migration.rekey(state_at_0005(), Editor())
    assert verify_chain().ok and verify_chain().checked == 3

    without_append_only_guard(
        "UPDATE consent_auditevent SET data = %s WHERE id = %s", ['{"i": 5}', rows[1].pk]
    )
    with pytest.raises(RuntimeError, match="broken at row"):
        migration.rekey(state_at_0005(), Editor())


def test_checkpoints_of_another_database_are_ignored(db, settings):
    make_chain(2)
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = write_checkpoint()
    other = {**checkpoint, "database": "another"}
    del other["signature"]
    with path.open("a") as out:
        out.write(json.dumps(_signed({**other, "count": 99})) + "\n")
    assert verify_chain().ok
    assert record_event(actor=None, event="test.event") and verify_chain().ok


def test_a_checkpoint_of_the_empty_chain_does_not_break_later_verification(db):
    AuditEvent.objects.all().delete() if connection.vendor != "postgresql" else None
    if AuditEvent.objects.exists():
        pytest.skip("the database already holds audit rows")
    checkpoint = write_checkpoint()
    assert checkpoint["count"] == 0
    make_chain(2)
    assert verify_chain().ok
    assert write_checkpoint()["count"] == 2


def test_rows_appended_after_the_head_was_read_are_left_for_the_next_check(db):
    rows = make_chain(3)
    # As if another transaction appended a row between our reading the head and the rows: the
    # head still names rows[1]; rows[2] is newer than what this verification covers.
    set_head(rows[1].pk, rows[1].hash)
    report = verify_chain()
    assert report.ok and report.checked == 2 and report.head_id == rows[1].pk


def test_the_hourly_task_checks_the_access_log_and_the_timeline_before_writing(cast):
    from cases.models import StatusChange
    from consent.tasks import write_audit_checkpoint
    from situation_table.celery import app
    from tests.cases.factories import bring_to

    bring_to("accepted", cast=cast)
    assert write_audit_checkpoint.apply().get()["written"]
    assert app.conf.beat_schedule["audit-checkpoint"]["task"] == write_audit_checkpoint.name
    StatusChange.objects.filter(pk=StatusChange.objects.order_by("-id").first().pk).delete()
    assert write_audit_checkpoint.apply().get() == {"written": False, "count": 0}
