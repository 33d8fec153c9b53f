"""Shared by the services of the cases app: access checks, locks, the one history."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Table
from agencies.permissions import Capability, TableAccess, table_access
from core.audit import record_event
from core.exceptions import InvalidTransition

from .. import live
from ..models import (
    AgendaItem,
    Meeting,
    RiskFactor,
    Situation,
    StatusChange,
)
from ..pii import validate_deidentified

# Plausible dates, checked in the services so that the UI, the API and commands agree: a meeting
# dated 0001-01-01 or a task due 9999-12-31 is a typo, and breaks date arithmetic downstream.
EARLIEST_MEETING = datetime.date(2000, 1, 1)
MAX_MEETING_YEARS_AHEAD = 5
MAX_TASK_DAYS_AHEAD = 2 * 366


# --- helpers ----------


def _guard(text: str, situation) -> None:
    """The de-identification guard, told the names of the situation's own people.

    Only the consent app can decrypt them: this is the Filter 3 link between the two apps, stated
    in the import contract (pyproject.toml, [tool.importlinter]).
    """
    from consent.services import own_names

    names = own_names(situation) if situation is not None and situation.pk and text else ()
    validate_deidentified(text, own_names=names)


def _access(actor, table: Table, capability: Capability) -> TableAccess:
    access = table_access(actor, table.pk)
    if access is None or not access.can(capability):
        raise PermissionDenied(_("You may not do this on this table."))
    return access


def _lock(situation: Situation) -> Situation:
    return Situation.objects.select_for_update().get(pk=situation.pk)


def _require_status(situation: Situation, allowed: Iterable[str], message: str) -> None:
    if situation.status not in allowed:
        raise InvalidTransition(message % {"status": situation.get_status_display()})


# Free text never enters the append-only chain (it could not be purged with its retention):
# the chain holds codes and ids, the timeline row the rest (a withdrawal's typed reason).
_NOT_IN_THE_CHAIN = {"situation.withdrawn": frozenset({"reason"})}


def _record(
    situation, *, actor, event, from_status, meeting=None, decision=None, **data
) -> StatusChange:
    """One history: the audit chain's event, the situation timeline's row and, for a decision,
    the minutes' ``Decision`` row (both projections of the event, checked against it by
    ``cases.audit_checks``), in the caller's transaction. ``decision`` is unsaved; it is saved
    here with the event's id."""
    chained = {
        "from": from_status,
        "to": situation.status,
        "meeting": meeting.pk if meeting is not None else None,
        **{k: v for k, v in data.items() if k not in _NOT_IN_THE_CHAIN.get(event, ())},
    }
    if decision is not None:
        chained["decision"] = decision.kind
    entry = record_event(
        actor=actor, event=event, table=situation.table, obj=situation, data=chained
    )
    if decision is not None:
        decision.audit_event_id = entry.pk
        decision.save()
    # Followers of the meeting (and of any open meeting showing this situation) refetch.
    live.meeting_changed(meeting.pk if meeting is not None else None, situation=situation)
    return StatusChange.objects.create(
        situation=situation,
        from_status=from_status,
        to_status=situation.status,
        event=event,
        data=data,
        actor=actor,
        meeting=meeting,
        audit_event_id=entry.pk,
    )


def _meeting_event(meeting: Meeting, *, actor, event: str, **data) -> None:
    record_event(actor=actor, event=event, table=meeting.table, obj=meeting, data=data)
    live.meeting_changed(meeting.pk)


def _check_meeting(meeting: Meeting | None, situation: Situation) -> None:
    if meeting is not None and meeting.table_id != situation.table_id:
        raise ValidationError({"meeting": _("This meeting belongs to another table.")})


def _mark_discussed(meeting: Meeting | None, situation: Situation) -> None:
    if meeting is not None:
        AgendaItem.objects.filter(meeting=meeting, situation=situation).update(
            discussed_at=timezone.now()
        )


def _table_agencies(table: Table, agencies: Iterable[Agency], field: str) -> list[Agency]:
    agencies = list(agencies)
    ids = {a.pk for a in agencies}
    known = set(table.agencies.filter(pk__in=ids).values_list("pk", flat=True))
    if ids - known:
        raise ValidationError({field: _("Choose agencies that sit at this table.")})
    return agencies


def _validate_risk_factors(risk_factors) -> list[RiskFactor]:
    factors = list(risk_factors)
    if not factors:
        raise ValidationError({"risk_factors": _("Choose at least one risk factor.")})
    if any(not f.is_active for f in factors):
        raise ValidationError({"risk_factors": _("A chosen risk factor has been retired.")})
    return factors


def _next_number(table: Table, year: int) -> tuple[int, str]:
    # Lock the table row so two intakes at the same moment cannot take the same number.
    Table.objects.select_for_update().get(pk=table.pk)
    last = Situation.objects.filter(table=table, year=year).aggregate(m=Max("sequence"))["m"]
    sequence = (last or 0) + 1
    return sequence, f"{table.code}-{year}-{sequence:04d}"
