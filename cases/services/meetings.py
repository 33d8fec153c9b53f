"""Meetings and their agenda: scheduling, filling, attendance, starting and closing, and the
live meeting's pointer and check-ins."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Table
from agencies.permissions import Capability
from core.exceptions import InvalidTransition

from ..models import (
    ACTIVE_AER_STATUSES,
    AgendaItem,
    AgendaSection,
    Attendance,
    CheckIn,
    Meeting,
    MeetingKind,
    Situation,
    Status,
)
from ..pii import validate_deidentified
from ._base import (
    EARLIEST_MEETING,
    MAX_MEETING_YEARS_AHEAD,
    _access,
    _meeting_event,
    _table_agencies,
)

# --- Meetings and agenda ----------


def _check_meeting_date(scheduled_at) -> None:
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": _("Give the meeting's date and time.")})
    day = scheduled_at.date() if isinstance(scheduled_at, datetime.datetime) else scheduled_at
    latest = timezone.localdate() + datetime.timedelta(days=366 * MAX_MEETING_YEARS_AHEAD)
    if not EARLIEST_MEETING <= day <= latest:
        raise ValidationError(
            {"scheduled_at": _("Give a meeting date between 2000 and five years from now.")}
        )


@transaction.atomic
def create_meeting(
    *,
    actor,
    table: Table,
    scheduled_at: datetime.datetime,
    kind: str = MeetingKind.REGULAR,
    location: str = "",
    video_link: str = "",
    notes: str = "",
) -> Meeting:
    _access(actor, table, Capability.MANAGE_MEETINGS)
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Choose a weekly or an emergency meeting.")})
    _validate_meeting_notes(notes)
    _check_meeting_date(scheduled_at)
    meeting = Meeting.objects.create(
        table=table,
        scheduled_at=scheduled_at,
        kind=kind,
        location=location,
        video_link=video_link,
        notes=notes,
        created_by=actor,
    )
    _meeting_event(
        meeting, actor=actor, event="meeting.created", kind=kind, at=scheduled_at.isoformat()
    )
    return meeting


@transaction.atomic
def schedule_meeting(*, actor, table: Table, **fields) -> tuple[Meeting, int]:
    """Schedule a meeting and fill its agenda, as the UI and the API both do.

    Returns the meeting and how many situations went on its agenda (see ``fill_agenda``).
    """
    meeting = create_meeting(actor=actor, table=table, **fields)
    return meeting, fill_agenda(actor=actor, meeting=meeting)


def _validate_meeting_notes(notes: str) -> None:
    # Meeting notes are read by every member of the table, so they are held to the same
    # de-identification rule as a narrative (DESIGN §2a: every free-text field passes the guard).
    try:
        validate_deidentified(notes)
    except ValidationError as exc:
        raise ValidationError({"notes": exc.messages}) from exc


@transaction.atomic
def update_meeting(*, actor, meeting: Meeting, **fields) -> Meeting:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    for name in fields:
        if name not in {"scheduled_at", "kind", "location", "video_link", "notes"}:
            raise ValueError(f"update_meeting cannot change {name}")
    if "notes" in fields:
        _validate_meeting_notes(fields["notes"])
    if "scheduled_at" in fields:
        _check_meeting_date(fields["scheduled_at"])
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.save()
    _meeting_event(meeting, actor=actor, event="meeting.updated", fields=sorted(fields))
    return meeting


def _section_for(situation: Situation) -> str | None:
    if situation.status == Status.PRESENTED:
        return AgendaSection.NEW
    if situation.status in ACTIVE_AER_STATUSES:
        return AgendaSection.RETURNING
    return None


def _lock_meeting(meeting: Meeting) -> Meeting:
    """Lock the meeting row for the rest of the transaction. Two "Fill agenda" clicks (or two
    adds) then run one after the other: the second sees the first's items, so it neither breaks
    ``agenda_item_once`` (a 500) nor hands out the same position twice."""
    return Meeting.objects.select_for_update().select_related("table").get(pk=meeting.pk)


@transaction.atomic
def add_to_agenda(*, actor, meeting: Meeting, situation: Situation) -> AgendaItem:
    """Put a situation on a meeting's agenda: F1-attested ones as new presentations, accepted ones
    as returning (report-back)."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if situation.table_id != meeting.table_id:
        raise ValidationError({"situation": _("This situation belongs to another table.")})
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    section = _section_for(situation)
    if section is None:
        raise InvalidTransition(
            _("Only F1-attested or accepted situations go on an agenda (this one is %(status)s).")
            % {"status": situation.get_status_display()}
        )
    last = meeting.agenda_items.filter(section=section).aggregate(m=Max("position"))["m"]
    item, created = AgendaItem.objects.get_or_create(
        meeting=meeting,
        situation=situation,
        defaults={"section": section, "position": (last or 0) + 1},
    )
    if created:
        _meeting_event(
            meeting,
            actor=actor,
            event="meeting.agenda.added",
            situation=situation.pk,
            section=section,
            position=item.position,
        )
    return item


@transaction.atomic
def remove_from_agenda(*, actor, item: AgendaItem) -> None:
    _access(actor, item.meeting.table, Capability.MANAGE_MEETINGS)
    # The current row, locked: the caller's copy may predate the meeting's closing.
    meeting = _lock_meeting(item.meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    situation_id = item.situation_id
    item.delete()
    _meeting_event(meeting, actor=actor, event="meeting.agenda.removed", situation=situation_id)


@transaction.atomic
def fill_agenda(*, actor, meeting: Meeting) -> int:
    """Add every returning (accepted, in intervention) and every new (F1-attested) situation of
    the table that is not yet on this agenda. Returns how many were added."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    candidates = (
        Situation.objects.filter(
            table=meeting.table,
            status__in=[Status.PRESENTED, *ACTIVE_AER_STATUSES],
        )
        .exclude(agenda_items__meeting=meeting)
        .order_by("created_at", "id")
    )
    positions = {
        section: (
            meeting.agenda_items.filter(section=section).aggregate(m=Max("position"))["m"] or 0
        )
        for section in AgendaSection.values
    }
    items = []
    for situation in candidates:
        section = _section_for(situation)
        positions[section] += 1
        items.append(
            AgendaItem(
                meeting=meeting,
                situation=situation,
                section=section,
                position=positions[section],
            )
        )
    AgendaItem.objects.bulk_create(items)
    _meeting_event(
        meeting,
        actor=actor,
        event="meeting.agenda.filled",
        situations=[item.situation_id for item in items],
    )
    return len(items)


@transaction.atomic
def record_attendance(*, actor, meeting: Meeting, agency: Agency, present: bool) -> Attendance:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    _table_agencies(meeting.table, [agency], "agency")
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting, agency=agency, defaults={"present": present, "recorded_by": actor}
    )
    _meeting_event(
        meeting, actor=actor, event="meeting.attendance", agency=agency.pk, present=present
    )
    return attendance


@transaction.atomic
def start_meeting(*, actor, meeting: Meeting) -> Meeting:
    """The chair or the coordinator opens the meeting; the first agenda item becomes the current
    item that followers see."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    if not meeting.started_at:
        meeting.started_at = timezone.now()
        meeting.current_item = meeting.current_item or meeting.agenda_items.first()
        meeting.save(update_fields=["started_at", "current_item"])
        _meeting_event(meeting, actor=actor, event="meeting.started")
    return meeting


@transaction.atomic
def close_meeting(*, actor, meeting: Meeting) -> Meeting:
    """Closing freezes the minutes: the services refuse decisions at a closed meeting, and its
    summary shows the state as it stood when it closed."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is already closed."))
    meeting.closed_at = timezone.now()
    meeting.started_at = meeting.started_at or meeting.closed_at
    meeting.save(update_fields=["closed_at", "started_at"])
    _meeting_event(meeting, actor=actor, event="meeting.closed")
    return meeting


@transaction.atomic
def reopen_meeting(*, actor, meeting: Meeting, reason: str) -> Meeting:
    """Re-open a closed meeting to correct its minutes: with a reason, audited."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the meeting is re-opened.")})
    validate_deidentified(reason)
    meeting = _lock_meeting(meeting)
    if not meeting.closed_at:
        raise InvalidTransition(_("This meeting is not closed."))
    closed_at = meeting.closed_at
    meeting.closed_at = None
    meeting.save(update_fields=["closed_at"])
    # The reason is free text: it stays out of the append-only chain, in the meeting's notes.
    meeting.notes = "\n".join(
        filter(None, [meeting.notes, _("Re-opened: %(reason)s") % {"reason": reason[:300]}])
    )
    meeting.save(update_fields=["notes"])
    _meeting_event(meeting, actor=actor, event="meeting.reopened", closed_at=closed_at.isoformat())
    return meeting


@transaction.atomic
def set_current_item(*, actor, meeting: Meeting, item: AgendaItem) -> Meeting:
    """The chair or the minute-taker moves the pointer every follower's screen shows."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    meeting = _lock_meeting(meeting)
    if item.meeting_id != meeting.pk:
        raise ValidationError({"item": _("This item is not on this meeting's agenda.")})
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    if not meeting.started_at:
        raise InvalidTransition(_("Start the meeting first."))
    if meeting.current_item_id != item.pk:
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
        _meeting_event(meeting, actor=actor, event="meeting.current_item", item=item.pk)
    return meeting


@transaction.atomic
def check_in(*, actor, meeting: Meeting) -> CheckIn:
    """A member says, from the follow view, that they are here for their agency. The agency's
    attendance is recorded when the chair or the coordinator confirms it."""
    access = _access(actor, meeting.table, Capability.VIEW_SITUATIONS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    entry, created = CheckIn.objects.get_or_create(
        meeting=meeting, user=actor, defaults={"agency": access.agency}
    )
    if created:
        _meeting_event(meeting, actor=actor, event="meeting.check_in", agency=access.agency.pk)
    return entry
