"""Verifying the whole audit chain (``core.audit``) with the apps' projections of it: the consent
app's access log, and the cases app's situation timeline (``cases.audit_checks``).

Each reveal writes an ``AccessEvent`` and an audit event naming it, so deleting access-log rows
is detected. ``verify_chain`` and ``write_checkpoint`` here are the chain's checks with the
consent app's added; every caller in the project uses these.
"""

from cases.audit_checks import decisions_problem, timeline_problem
from core import audit

from .models import AccessEvent


def access_log_problem(upto: int) -> tuple[str, int | None]:
    """Every access-log row named by a reveal's audit event must still exist."""
    named = {}
    events = audit.AuditEvent.objects.filter(event="identifying_info.viewed", id__lte=upto)
    for pk, data in events.values_list("pk", "data"):
        if isinstance(data, dict) and data.get("access_event"):
            named[int(data["access_event"])] = pk
    if not named:
        return "", None
    present = set(AccessEvent.objects.filter(pk__in=named).values_list("pk", flat=True))
    missing = sorted(set(named) - present)
    if missing:
        return (
            f"{len(missing)} access-log entries recorded in the chain are missing (deleted?)",
            named[missing[0]],
        )
    return "", None


CHECKS = (access_log_problem, timeline_problem, decisions_problem)


def verify_chain() -> audit.ChainReport:
    return audit.verify_chain(CHECKS)


def write_checkpoint() -> dict | None:
    return audit.write_checkpoint(CHECKS)
