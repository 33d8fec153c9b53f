"""The minutes are a verified projection of the audit chain (issue 14, part 2): every decision a
meeting summary prints names the audit event it came from, and an edited, forged or deleted
decision breaks ``verify_audit_chain`` like an edit of the chain itself."""

import pytest

from cases.models import Decision, DecisionKind, Status
from consent.audit_checks import verify_chain
from core.models import AuditEvent
from tests.cases.factories import MeetingFactory, bring_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def concluded(cast):
    meeting = MeetingFactory(table=cast.table)
    return bring_to(Status.CONCLUDED, cast=cast, meeting=meeting)


def test_every_decision_names_its_audit_event(cast, concluded):
    decisions = list(Decision.objects.filter(situation=concluded))
    assert {d.kind for d in decisions} >= {
        DecisionKind.F2_ACCEPTED,
        DecisionKind.F3_AGENCIES,
        DecisionKind.CONCLUDED,
    }
    for decision in decisions:
        event = AuditEvent.objects.get(pk=decision.audit_event_id)
        assert event.object_id == str(concluded.pk)
        assert event.data["decision"] == decision.kind
        assert event.data["meeting"] == decision.meeting_id
    assert verify_chain().ok


def test_an_edited_decision_is_detected(concluded):
    decision = Decision.objects.get(situation=concluded, kind=DecisionKind.F2_ACCEPTED)
    Decision.objects.filter(pk=decision.pk).update(kind=DecisionKind.F2_REJECTED)
    report = verify_chain()
    assert not report.ok
    assert "differs from its audit event" in report.problem


def test_a_decision_moved_to_another_meeting_is_detected(cast, concluded):
    other = MeetingFactory(table=cast.table)
    Decision.objects.filter(situation=concluded, kind=DecisionKind.CONCLUDED).update(meeting=other)
    assert "differs from its audit event" in verify_chain().problem


def test_a_deleted_decision_is_detected(concluded):
    Decision.objects.filter(situation=concluded, kind=DecisionKind.CONCLUDED).delete()
    report = verify_chain()
    assert not report.ok
    assert "missing from the minutes" in report.problem


def test_a_forged_decision_is_detected(concluded):
    # A forger can point a made-up decision at a real event that recorded no decision.
    created = AuditEvent.objects.get(event="situation.created", object_id=str(concluded.pk))
    Decision.objects.create(
        situation=concluded, kind=DecisionKind.REPORT_BACK, note="Forged", audit_event_id=created.pk
    )
    assert "names no decision of the chain" in verify_chain().problem
