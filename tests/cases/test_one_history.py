"""One history (issue 14, part 2): every public service of ``cases.services`` writes its audit
event through ``core.audit.record_event`` in its own transaction — the dotted code, the actor,
the table and the object — and the situation timeline is a verified projection of the chain."""

import pytest

from cases import services
from consent.audit_checks import verify_chain
from core.models import AuditEvent
from tests.cases.transitions.test_other_table import EVERY_SERVICE, world  # noqa: F401 - the fixture

# What each service writes to the chain, in order. One event each; a composite service lists
# the events of the services it is made of.
EVENTS = {
    "create_situation": ["situation.created"],
    "update_situation": ["situation.edited"],
    "attest_filter1": ["situation.f1.attested"],
    "withdraw_situation": ["situation.withdrawn"],
    "record_filter2_decision": ["situation.f2.accepted"],
    "record_filter3": ["situation.f3.agencies_named"],
    "plan_intervention": ["situation.f4.planned"],
    "add_task": ["situation.task.added"],
    "complete_task": ["situation.task.done"],
    "record_report_back": ["situation.f4.report_back"],
    "conclude_situation": ["situation.concluded"],
    "create_meeting": ["meeting.created"],
    "schedule_meeting": ["meeting.created", "meeting.agenda.filled"],
    "update_meeting": ["meeting.updated"],
    "add_to_agenda": ["meeting.agenda.added"],
    "remove_from_agenda": ["meeting.agenda.removed"],
    "fill_agenda": ["meeting.agenda.filled"],
    "record_attendance": ["meeting.attendance"],
    "start_meeting": ["meeting.started"],
    "close_meeting": ["meeting.closed"],
    "reopen_meeting": ["meeting.reopened"],
    "set_current_item": ["meeting.current_item"],
    "check_in": ["meeting.check_in"],
}
# The originating agency's representative acts on its own situations; the chair does the rest.
ORIGINATOR_SERVICES = {
    "create_situation",
    "update_situation",
    "attest_filter1",
    "withdraw_situation",
}


def test_every_public_service_is_listed():
    assert set(EVENTS) == set(EVERY_SERVICE)


@pytest.mark.parametrize("service", sorted(EVERY_SERVICE))
def test_each_service_writes_its_audit_events(cast, world, service):  # noqa: F811
    actor = cast.rep_police if service in ORIGINATOR_SERVICES else cast.chair
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    EVERY_SERVICE[service](cast, world, actor)

    new = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [e.event for e in new] == EVENTS[service]
    for event in new:
        assert event.actor_id == actor.pk and event.table_id == cast.table.pk
        assert event.object_type in {"cases.situation", "cases.meeting"} and event.object_id
    assert verify_chain().ok


def test_a_refused_service_writes_nothing(cast, world):  # noqa: F811
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with pytest.raises(services.InvalidTransition):
        services.attest_filter1(actor=cast.rep_police, situation=world.presented)
    assert AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() == last


def test_the_timeline_is_checked_against_the_chain(cast, world):  # noqa: F811
    from cases.models import StatusChange

    assert verify_chain().ok
    change = StatusChange.objects.filter(situation=world.accepted).order_by("-id").first()
    assert change.audit_event_id
    StatusChange.objects.filter(pk=change.pk).update(to_status="rejected")
    report = verify_chain()
    assert not report.ok and "differs from its audit event" in report.problem

    StatusChange.objects.filter(pk=change.pk).delete()
    report = verify_chain()
    assert not report.ok and "timeline entries recorded in the chain are missing" in report.problem


def test_free_text_stays_out_of_the_append_only_chain(cast, world):  # noqa: F811
    reason = "The family moved to another city last week."
    services.withdraw_situation(actor=cast.rep_police, situation=world.presented, reason=reason)
    event = AuditEvent.objects.get(event="situation.withdrawn")
    assert reason not in str(event.data)
    assert world.presented.status_changes.get(event="situation.withdrawn").data["reason"] == reason
