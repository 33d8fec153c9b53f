"""The cases app's part of verifying the audit chain: the situation timeline and the minutes'
decisions are projections of it.

Every ``StatusChange`` written since the chain held the history names its audit event; the two
must agree (situation, event code, from and to status), and no situation event of the chain may
be missing from the timeline. Every ``Decision`` (what meeting summaries print) written since the
minutes were tied to the chain names its event too: situation, meeting and kind must agree, and
no decision the chain recorded may be missing. Editing or deleting a timeline row or a decision is
then detected like an edit of the chain itself.
"""

from core.models import AuditEvent

from .models import Decision, StatusChange


def timeline_problem(upto: int) -> tuple[str, int | None]:
    chain = {
        pk: (object_id, event, data)
        for pk, object_id, event, data in AuditEvent.objects.filter(
            object_type="cases.situation", event__startswith="situation.", id__lte=upto
        ).values_list("pk", "object_id", "event", "data")
    }
    rows = StatusChange.objects.filter(audit_event_id__lte=upto).values_list(
        "audit_event_id", "situation_id", "event", "from_status", "to_status"
    )
    seen = set()
    for audit_id, situation_id, event, from_status, to_status in rows.iterator(chunk_size=5000):
        seen.add(audit_id)
        recorded = chain.get(audit_id)
        if recorded is None:
            return "a timeline entry names no audit event of the chain", audit_id
        object_id, chained_event, data = recorded
        data = data if isinstance(data, dict) else {}
        if (
            object_id != str(situation_id)
            or chained_event != event
            or data.get("from") != from_status
            or data.get("to") != to_status
        ):
            return "a timeline entry differs from its audit event (edited?)", audit_id
    # Events written with a projection (they carry "to") must all still have their row.
    missing = [
        pk for pk, (_o, _e, data) in chain.items() if "to" in (data or {}) and pk not in seen
    ]
    if missing:
        return (
            f"{len(missing)} timeline entries recorded in the chain are missing (deleted?)",
            min(missing),
        )
    return "", None


def decisions_problem(upto: int) -> tuple[str, int | None]:
    chain = {
        pk: (object_id, data)
        for pk, object_id, data in AuditEvent.objects.filter(
            object_type="cases.situation", event__startswith="situation.", id__lte=upto
        )
        .filter(data__has_key="decision")
        .values_list("pk", "object_id", "data")
    }
    rows = Decision.objects.filter(audit_event_id__lte=upto).values_list(
        "audit_event_id", "situation_id", "meeting_id", "kind"
    )
    seen = set()
    for audit_id, situation_id, meeting_id, kind in rows.iterator(chunk_size=5000):
        seen.add(audit_id)
        recorded = chain.get(audit_id)
        if recorded is None:
            return "a decision of the minutes names no decision of the chain", audit_id
        object_id, data = recorded
        if (
            object_id != str(situation_id)
            or data.get("decision") != kind
            or data.get("meeting") != meeting_id
        ):
            return "a decision of the minutes differs from its audit event (edited?)", audit_id
    missing = [pk for pk in chain if pk not in seen]
    if missing:
        return (
            f"{len(missing)} decisions recorded in the chain are missing from the minutes "
            "(deleted?)",
            min(missing),
        )
    return "", None
