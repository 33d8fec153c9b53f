"""The tamper-evident audit chain: append, verify, and checkpoints that leave the database.

hash = HMAC-SHA256(``AUDIT_CHAIN_KEY``, previous hash + canonical JSON of the row's content).
The key lives outside the database (like the encryption keys), so someone with the database's
own credentials who disables the append-only trigger cannot recompute the chain over an edited
or forged row. Appends serialize on the ``AuditHead`` row (``select_for_update``), so two
transactions cannot fork the chain. Audit data holds ids, codes and counts — never identifying
information.

**Checkpoints** (``write_checkpoint``, hourly from beat and ``manage.py audit_checkpoint``):
a signed line {count, last id, head hash, time} appended to a file in ``AUDIT_CHECKPOINT_DIR``,
which the operator ships elsewhere. Truncating the table, deleting its newest rows or rolling the
database back leaves fewer rows than, or no row matching, the last checkpoint, and
``verify_chain`` says so (the "signed tree head" idea of RFC 6962, for a linear chain).

Apps add their own consistency checks by calling ``verify_chain(extra_checks=[...])``: the consent
app checks that every access-log row named in the chain still exists (``consent.audit_checks``).
"""

import datetime
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
CHECKPOINT_FILE = "checkpoints.jsonl"


def _content(event: AuditEvent) -> dict:
    at = event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return {
        "at": at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "table_id": event.table_id,
        "event": event.event,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _mac(purpose: str, message: str) -> str:
    key = f"{purpose}:{settings.AUDIT_CHAIN_KEY}".encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return _mac("chain", prev_hash + _canonical(_content(event)))


@transaction.atomic
def record_event(*, actor, event: str, table=None, obj=None, data: dict | None = None):
    head, _created = AuditHead.objects.select_for_update().get_or_create(singleton=1)
    entry = AuditEvent(
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_label=getattr(actor, "username", "") or ("system" if actor is None else ""),
        table_id=getattr(table, "pk", None),
        event=event,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
        prev_hash=head.last_hash,
    )
    # Round-trip the JSON so the hash covers exactly what the database will return.
    entry.data = json.loads(json.dumps(entry.data, default=str))
    entry.hash = compute_hash(entry.prev_hash, entry)
    entry.save()
    head.last_id = entry.pk
    head.last_hash = entry.hash
    head.save(update_fields=["last_id", "last_hash"])
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""
    checkpoint: dict | None = None  # the last signed checkpoint the chain was compared with
    head_id: int = 0  # the newest row verified (everything after it was appended meanwhile)
    head_hash: str = GENESIS


def verify_chain(extra_checks=()) -> ChainReport:
    """Verify every row up to the chain head as read at the start, then the last signed
    checkpoint, then each ``extra_checks`` callable: ``check(upto)`` returns ``(problem, first
    broken audit id)`` for the rows with ids up to ``upto`` (an empty problem means sound).

    Bounding everything by the head read first means rows appended while the check runs (the
    application keeps writing) are never mistaken for tampering; the next check covers them.
    """
    report = _verify_rows()
    if not report.ok:
        return report
    checkpoint, problem = latest_checkpoint()
    if problem:
        return ChainReport(False, report.checked, None, problem)
    if checkpoint is not None:
        problem = _against_checkpoint(checkpoint, report.checked)
        if problem:
            return ChainReport(False, report.checked, checkpoint["last_id"], problem, checkpoint)
    for check in extra_checks:
        problem, broken = check(report.head_id)
        if problem:
            return ChainReport(False, report.checked, broken, problem, checkpoint)
    report.checkpoint = checkpoint
    return report


def _verify_rows() -> ChainReport:
    # The head first: rows committed after it belong to the next verification.
    head = AuditHead.objects.filter(singleton=1).first()
    head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
    previous = GENESIS
    checked = 0
    last_id = 0
    rows = AuditEvent.objects.filter(id__lte=head_id).order_by("id")
    for event in rows.iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return ChainReport(
                False, checked, event.pk, "previous hash does not match (a row was removed?)"
            )
        if compute_hash(previous, event) != event.hash:
            return ChainReport(False, checked, event.pk, "content does not match its hash")
        previous = event.hash
        last_id = event.pk
        checked += 1
    if head_hash != previous or head_id != last_id:
        return ChainReport(False, checked, head_id, "the newest row is missing or was replaced")
    if head is None and AuditEvent.objects.exists():
        return ChainReport(False, 0, None, "the chain head is missing")
    return ChainReport(True, checked, head_id=head_id, head_hash=head_hash)


def _against_checkpoint(checkpoint: dict, checked: int) -> str:
    if checkpoint["count"] == 0:
        return ""  # a checkpoint of the empty chain vouches for nothing
    at = checkpoint["at"][:16].replace("T", " ")
    if checked < checkpoint["count"]:
        return (
            f"{checked} rows, fewer than the {checkpoint['count']} of the checkpoint of {at} UTC "
            "(rows were removed or the database was rolled back)"
        )
    row = AuditEvent.objects.filter(pk=checkpoint["last_id"]).only("hash").first()
    if row is None or row.hash != checkpoint["head"]:
        return (
            f"the row the checkpoint of {at} UTC ends at is missing or different "
            "(the chain was rewritten or rolled back)"
        )
    return ""


# --- Checkpoints -------------------------------------------------------------------------------


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / CHECKPOINT_FILE


def _signed(body: dict) -> dict:
    return {**body, "signature": _mac("checkpoint", _canonical(body))}


def write_checkpoint(extra_checks=()) -> dict | None:
    """Append a signed checkpoint of the current chain to the checkpoint file.

    Refuses (returns None, logs an ERROR) when the chain does not verify: a checkpoint over a
    broken chain would vouch for it.
    """
    report = verify_chain(extra_checks)
    if not report.ok:
        logger.error("audit checkpoint not written: chain broken at %s", report.first_broken_id)
        return None
    body = {
        "database": _database(),
        "at": timezone.now().astimezone(datetime.UTC).isoformat(timespec="seconds"),
        "count": report.checked,
        "last_id": report.head_id,
        "head": report.head_hash,
    }
    checkpoint = _signed(body)
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(_canonical(checkpoint) + "\n")
    return checkpoint


def _database() -> str:
    return str(connection.settings_dict["NAME"])


def latest_checkpoint() -> tuple[dict | None, str]:
    """The newest checkpoint of this database on file, and a problem if a line is not genuine."""
    path = checkpoint_path()
    if not path.exists():
        return None, ""
    latest = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            checkpoint = json.loads(line)
            body = {k: checkpoint[k] for k in ("database", "at", "count", "last_id", "head")}
        except (ValueError, KeyError, TypeError):
            return None, f"checkpoint line {number} is not a checkpoint"
        if not hmac.compare_digest(_signed(body)["signature"], str(checkpoint.get("signature"))):
            return None, f"checkpoint line {number} has a wrong signature"
        if checkpoint["database"] == _database():
            latest = checkpoint
    return latest, ""
