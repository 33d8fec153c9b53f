"""The tamper-evident audit chain: append and verify.

hash = SHA-256(previous hash + canonical JSON of the row's content). Appends serialize on the
``AuditHead`` row (``select_for_update``), so two transactions cannot fork the chain.
Audit data holds ids, codes and counts — never identifying information.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


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


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    canonical = json.dumps(_content(event), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


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


def verify_chain() -> ChainReport:
    previous = GENESIS
    checked = 0
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return ChainReport(
                False, checked, event.pk, "previous hash does not match (a row was removed?)"
            )
        if compute_hash(previous, event) != event.hash:
            return ChainReport(False, checked, event.pk, "content does not match its hash")
        previous = event.hash
        last_id = event.pk
        checked += 1
    head = AuditHead.objects.filter(singleton=1).first()
    if head and (head.last_hash != previous or head.last_id != last_id):
        return ChainReport(
            False, checked, head.last_id, "the newest row is missing or was replaced"
        )
    return ChainReport(True, checked)
