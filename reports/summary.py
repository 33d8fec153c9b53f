"""The meeting summary: what the table decided, in a shape both the PDF and the CSV render.

De-identified by construction: it is built from situation numbers, codes, agency names, task
descriptions and decision notes only. Narratives are left out (minimum necessary), and so are the
names of the staff who recorded things. Free-text notes pass the PII guard's patterns once more
before they are printed: a Filter 2 reason is typed live in the meeting and is not screened when
it is saved, and a summary travels further than the screen (email, print, shared drives).
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cases import selectors, visibility
from cases.models import DecisionKind, F2Disposition, Meeting, Status
from cases.pii import find_identifiers

from .labels import agency_label, sector_label


@dataclass
class SummaryTask:
    owner: str
    description: str
    due_date: datetime.date
    state: str  # done | open | overdue
    state_label: str
    assigned_here: bool


@dataclass
class SummaryDecision:
    kind: str
    label: str
    note: str


@dataclass
class SummaryItem:
    number: str
    section: str
    section_label: str
    status: str
    status_label: str
    originating_agency: str
    f2_decision: str
    f2_decision_label: str
    f2_date: datetime.date | None
    lead_agency: str
    assisting_agencies: list[str]
    decisions: list[SummaryDecision]
    tasks: list[SummaryTask]
    conclusion: str
    conclusion_label: str
    conclusion_date: datetime.date | None


@dataclass
class SummaryAttendance:
    agency: str
    short_name: str
    sector: str
    state: str  # present | absent | not_recorded
    state_label: str


@dataclass
class MeetingSummary:
    table_name: str
    table_code: str
    meeting: Meeting
    kind_label: str
    attendance: list[SummaryAttendance]
    items: list[SummaryItem]
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def present_count(self) -> int:
        return sum(1 for a in self.attendance if a.state == "present")

    @property
    def decisions_count(self) -> int:
        return sum(len(item.decisions) for item in self.items)

    @property
    def tasks_count(self) -> int:
        return sum(len(item.tasks) for item in self.items)


def guarded(text: str) -> str:
    """The note, or a placeholder when it looks like it carries identifying information."""
    text = (text or "").strip()
    if text and find_identifiers(text):
        return _("[Note withheld: it may contain identifying information.]")
    return text


def _local_date(value):
    return timezone.localdate(value) if value else None


ATTENDANCE_LABELS = {
    "present": lambda: pgettext("attendance", "Present"),
    "absent": lambda: pgettext("attendance", "Absent"),
    "not_recorded": lambda: pgettext("attendance", "Not recorded"),
}


def _status_at(s, moment) -> str:
    """The situation's status at ``moment`` (a closed meeting's end), from its own dates."""
    if s.f2_decided_at is not None and s.f2_decided_at > moment:
        return Status.PRESENTED
    if s.concluded_at is not None and s.concluded_at > moment:
        return Status.INTERVENTION if s.f3_at is not None and s.f3_at <= moment else Status.ACCEPTED
    if s.status == Status.INTERVENTION and s.f3_at is not None and s.f3_at > moment:
        return Status.ACCEPTED
    return s.status


def build_meeting_summary(access, meeting: Meeting) -> MeetingSummary:
    """Everything the summary shows, in a fixed number of queries (the agenda selector's)."""
    cutoff = meeting.closed_at or timezone.now()
    today = timezone.localdate()
    attendance = []
    for agency, record in selectors.attendance_for(meeting):
        state = "not_recorded" if record is None else ("present" if record.present else "absent")
        attendance.append(
            SummaryAttendance(
                agency=agency.name,
                short_name=agency.short_name,
                sector=sector_label(agency.sector.code, agency.sector.name),
                state=state,
                state_label=ATTENDANCE_LABELS[state](),
            )
        )

    items = []
    for item in selectors.agenda(access, meeting):
        s = item.situation
        view = item.sight  # the reader's share of this situation (cases.visibility)
        decisions = [
            SummaryDecision(
                kind=d.kind, label=str(DecisionKind(d.kind).label), note=guarded(d.summary)
            )
            for d in visibility.visible_decisions(view, s.decisions.all())
            if d.meeting_id == meeting.pk
        ]
        tasks = []
        for t in s.tasks.all() if view.f4_detail else ():
            assigned_here = t.meeting_id == meeting.pk
            # Tasks set at this meeting, and those still open from before it: what the table
            # followed up on. Tasks created after the meeting belong to a later summary.
            if not (assigned_here or (t.done_at is None and t.created_at <= cutoff)):
                continue
            if t.done_at is not None:
                state, label = "done", pgettext("task", "Done")
            elif t.due_date < today:
                state, label = "overdue", pgettext("task", "Overdue")
            else:
                state, label = "open", pgettext("task", "Open")
            tasks.append(
                SummaryTask(
                    owner=agency_label(t.owner_agency),
                    description=guarded(t.description),
                    due_date=t.due_date,
                    state=state,
                    state_label=label,
                    assigned_here=assigned_here,
                )
            )
        # A closed meeting's minutes are frozen: the state as it stood when the meeting closed,
        # so a conclusion recorded a week later belongs to that later meeting's summary.
        status = _status_at(s, meeting.closed_at) if meeting.closed_at else s.status
        decided = not meeting.closed_at or (
            s.f2_decided_at is not None and s.f2_decided_at <= meeting.closed_at
        )
        concluded = status == Status.CONCLUDED and view.decisions
        items.append(
            SummaryItem(
                number=s.number,
                section=item.section,
                section_label=item.get_section_display(),
                status=status,
                status_label=str(Status(status).label),
                originating_agency=agency_label(s.originating_agency),
                f2_decision=s.f2_disposition if view.decisions and decided else "",
                f2_decision_label=(
                    str(F2Disposition(s.f2_disposition).label)
                    if s.f2_disposition and view.decisions and decided
                    else _("Not decided yet")
                ),
                f2_date=_local_date(s.f2_decided_at) if view.decisions and decided else None,
                lead_agency=agency_label(s.lead_agency) if s.lead_agency and view.decisions else "",
                assisting_agencies=(
                    sorted(agency_label(a) for a in s.assisting_agencies.all())
                    if view.decisions
                    else []
                ),
                decisions=decisions,
                tasks=tasks,
                conclusion=s.conclusion_reason if concluded else "",
                conclusion_label=s.get_conclusion_reason_display() if concluded else "",
                conclusion_date=_local_date(s.concluded_at) if concluded else None,
            )
        )
    return MeetingSummary(
        table_name=access.table.name,
        table_code=access.table.code,
        meeting=meeting,
        kind_label=meeting.get_kind_display(),
        attendance=attendance,
        items=items,
    )
