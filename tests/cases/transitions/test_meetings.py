"""Meetings, agendas and attendance in ``cases.services``.

The coordinator (or chair) schedules a table's meetings, fills the agenda — presented situations
as *new*, accepted ones as *returning*, each once — records attendance once per agency, starts
and closes the meeting. Reps do not manage meetings, and a closed meeting refuses every change.
Every refused action is a :class:`~.helpers.Refusal` in ``REFUSALS``: it must raise a clear error
and leave the meeting, its agenda and attendance — or the whole database — as they were.
"""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.models import AgendaItem, AgendaSection, Attendance, Meeting, Status
from core.exceptions import InvalidTransition
from tests.factories import AgencyFactory

from ..factories import MeetingFactory, SituationFactory, bring_to
from .helpers import IN_A_WEEK, Refusal, assert_refused, error_on, nothing_created, refusals

pytestmark = pytest.mark.django_db


def test_coordinator_schedules_a_meeting(cast):
    when = timezone.now() + IN_A_WEEK

    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=when, kind="emergency"
    )

    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.table, meeting.scheduled_at, meeting.kind) == (cast.table, when, "emergency")
    assert meeting.created_by == cast.coordinator


def test_agenda_takes_presented_situations_as_new_and_accepted_ones_as_returning(cast, meeting):
    presented = bring_to(Status.PRESENTED, cast=cast)
    presented_too = bring_to(Status.PRESENTED, cast=cast, actor=cast.rep_housing)
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    intervention = bring_to(Status.INTERVENTION, cast=cast)

    for situation in (presented, accepted, presented_too, intervention):
        services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=situation)

    items = {
        item.situation_id: (item.section, item.position)
        for item in AgendaItem.objects.filter(meeting=meeting)
    }
    assert items == {
        presented.pk: (AgendaSection.NEW, 1),
        presented_too.pk: (AgendaSection.NEW, 2),
        accepted.pk: (AgendaSection.RETURNING, 1),
        intervention.pk: (AgendaSection.RETURNING, 2),
    }
    # Returning situations are taken first.
    assert [i.section for i in meeting.agenda_items.all()] == ["returning"] * 2 + ["new"] * 2


def test_adding_a_situation_twice_keeps_one_agenda_item(cast, meeting):
    situation = bring_to(Status.PRESENTED, cast=cast)

    first = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=situation)
    again = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=situation)

    assert first.pk == again.pk
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1


def test_fill_agenda_adds_every_candidate_once(cast, meeting):
    presented = bring_to(Status.PRESENTED, cast=cast)
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    intervention = bring_to(Status.INTERVENTION, cast=cast)
    already_there = bring_to(Status.PRESENTED, cast=cast)
    services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=already_there)
    for status in (Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.CONCLUDED):
        bring_to(status, cast=cast)
    foreign = SituationFactory(actor=cast.outsider, table=cast.other_table)
    services.attest_filter1(actor=cast.outsider, situation=foreign)

    added = services.fill_agenda(actor=cast.coordinator, meeting=meeting)

    assert added == 3
    items = {
        item.situation_id: (item.section, item.position)
        for item in AgendaItem.objects.filter(meeting=meeting)
    }
    assert items == {
        already_there.pk: (AgendaSection.NEW, 1),
        presented.pk: (AgendaSection.NEW, 2),
        accepted.pk: (AgendaSection.RETURNING, 1),
        intervention.pk: (AgendaSection.RETURNING, 2),
    }

    assert services.fill_agenda(actor=cast.coordinator, meeting=meeting) == 0
    assert AgendaItem.objects.filter(meeting=meeting).count() == 4


def test_attendance_is_recorded_once_per_agency_and_updated_on_a_second_call(cast, meeting):
    services.record_attendance(
        actor=cast.coordinator, meeting=meeting, agency=cast.police, present=True
    )

    services.record_attendance(actor=cast.chair, meeting=meeting, agency=cast.police, present=False)

    [attendance] = Attendance.objects.filter(meeting=meeting)
    assert attendance.agency == cast.police
    assert attendance.present is False
    assert attendance.recorded_by == cast.chair


def test_meeting_starts_once_and_closing_sets_both_times(cast, meeting):
    services.start_meeting(actor=cast.chair, meeting=meeting)
    meeting.refresh_from_db()
    started = meeting.started_at
    services.start_meeting(actor=cast.chair, meeting=meeting)

    services.close_meeting(actor=cast.chair, meeting=meeting)

    meeting.refresh_from_db()
    assert meeting.started_at == started
    assert meeting.closed_at is not None


# --- Refused, and nothing changed ----------------------------------------------------------------


def a_meeting(cast, _):
    """A ``setup``: an upcoming meeting of the cast's table (the subject of the call)."""
    return MeetingFactory(table=cast.table)


def only_the_one_meeting_and_nothing_on_it(cast, meeting):
    assert Meeting.objects.count() == 1
    assert not AgendaItem.objects.exists()
    assert not Attendance.objects.exists()


# What a rep may not do with a meeting: (cast, meeting, actor) -> calls the service.
MEETING_MANAGEMENT = {
    "create-meeting": lambda cast, meeting, actor: services.create_meeting(
        actor=actor, table=cast.table, scheduled_at=timezone.now()
    ),
    "fill-agenda": lambda cast, meeting, actor: services.fill_agenda(actor=actor, meeting=meeting),
    "record-attendance": lambda cast, meeting, actor: services.record_attendance(
        actor=actor, meeting=meeting, agency=cast.police, present=True
    ),
}


def manage(action, who):
    def call(cast, meeting):
        MEETING_MANAGEMENT[action](cast, meeting, getattr(cast, who))

    return call


def add_to_a_new_agenda(cast, situation):
    services.add_to_agenda(
        actor=cast.coordinator, meeting=MeetingFactory(table=cast.table), situation=situation
    )


def meeting_and_a_situation_of_another_table(cast, _):
    foreign = SituationFactory(actor=cast.outsider, table=cast.other_table)
    services.attest_filter1(actor=cast.outsider, situation=foreign)
    return SimpleNamespace(meeting=MeetingFactory(table=cast.table), situation=foreign)


def meeting_and_an_agency_not_at_the_table(cast, _):
    return SimpleNamespace(
        meeting=MeetingFactory(table=cast.table),
        agency=AgencyFactory(name="Agency Not At This Table"),
    )


def closed_meeting(cast, _):
    """A ``setup``: a meeting with one agenda item and one attendance, then closed, and an
    accepted situation that ``fill_agenda`` would otherwise add."""
    meeting = MeetingFactory(table=cast.table)
    item = services.add_to_agenda(
        actor=cast.chair, meeting=meeting, situation=bring_to(Status.PRESENTED, cast=cast)
    )
    candidate = bring_to(Status.ACCEPTED, cast=cast)
    services.record_attendance(actor=cast.chair, meeting=meeting, agency=cast.police, present=True)
    services.close_meeting(actor=cast.chair, meeting=meeting)
    meeting.refresh_from_db()
    return SimpleNamespace(meeting=meeting, item=item, candidate=candidate)


def meeting_state(closed) -> dict:
    meeting = closed.meeting
    return {
        "meeting": Meeting.objects.filter(pk=meeting.pk).values().get(),
        "agenda": list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True)),
        "attendance": list(
            Attendance.objects.filter(meeting=meeting).values_list("agency", "present")
        ),
    }


# What the chair may not do once the meeting is closed: (cast, closed) -> calls the service.
CLOSED_MEETING_ACTIONS = {
    "add_to_agenda": lambda cast, c: services.add_to_agenda(
        actor=cast.chair, meeting=c.meeting, situation=c.candidate
    ),
    "remove_from_agenda": lambda cast, c: services.remove_from_agenda(
        actor=cast.chair, item=c.item
    ),
    "fill_agenda": lambda cast, c: services.fill_agenda(actor=cast.chair, meeting=c.meeting),
    "update_meeting": lambda cast, c: services.update_meeting(
        actor=cast.chair, meeting=c.meeting, location="Elsewhere"
    ),
    "start_meeting": lambda cast, c: services.start_meeting(actor=cast.chair, meeting=c.meeting),
    "close_meeting": lambda cast, c: services.close_meeting(actor=cast.chair, meeting=c.meeting),
    "record_attendance": lambda cast, c: services.record_attendance(
        actor=cast.chair, meeting=c.meeting, agency=cast.police, present=False
    ),
}


REFUSALS = [
    Refusal(
        "meeting-of-an-unknown-kind",
        None,
        call=lambda cast, _: services.create_meeting(
            actor=cast.chair, table=cast.table, scheduled_at=timezone.now(), kind="party"
        ),
        error=ValidationError,
        check=error_on("kind"),
        after=nothing_created(Meeting),
    ),
    # Reps do not manage meetings.
    *(
        Refusal(
            f"{action}-by-{who}",
            None,
            setup=a_meeting,
            call=manage(action, who),
            error=PermissionDenied,
            after=only_the_one_meeting_and_nothing_on_it,
        )
        for who in ["rep_police", "privacy"]
        for action in MEETING_MANAGEMENT
    ),
    # A situation that is not presented or accepted cannot go on an agenda.
    *(
        Refusal(
            f"agenda-with-a-situation-{status}",
            status,
            call=add_to_a_new_agenda,
            error=InvalidTransition,
            check="Only F1-attested or accepted situations",
            after=nothing_created(AgendaItem),
        )
        for status in [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.CONCLUDED]
    ),
    Refusal(
        "agenda-with-a-situation-of-another-table",
        None,
        setup=meeting_and_a_situation_of_another_table,
        call=lambda cast, w: services.add_to_agenda(
            actor=cast.coordinator, meeting=w.meeting, situation=w.situation
        ),
        error=ValidationError,
        check=error_on("situation"),
        after=nothing_created(AgendaItem),
    ),
    Refusal(
        "attendance-of-an-agency-not-at-the-table",
        None,
        setup=meeting_and_an_agency_not_at_the_table,
        call=lambda cast, w: services.record_attendance(
            actor=cast.coordinator, meeting=w.meeting, agency=w.agency, present=True
        ),
        error=ValidationError,
        check=error_on("agency"),
        after=nothing_created(Attendance),
    ),
    # A closed meeting refuses changes.
    *(
        Refusal(
            f"closed-meeting-{action}",
            None,
            setup=closed_meeting,
            call=call,
            error=InvalidTransition,
            check="closed",
            state=meeting_state,
        )
        for action, call in CLOSED_MEETING_ACTIONS.items()
    ),
]


@pytest.mark.parametrize("case", refusals(REFUSALS))
def test_refused_and_nothing_changed(cast, case):
    assert_refused(cast, case)
