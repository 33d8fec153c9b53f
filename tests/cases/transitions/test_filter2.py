"""Filter 2 in the four-filter state machine (``cases.services``): the chair records the table's
decision on a presented situation.

Accepting needs all four AER elements and moves the situation to *accepted*; rejecting keeps it
with the agency; returning sends it back to draft, to be edited and attested again. Each is
checked against the database (new state, ``Decision`` row, ``StatusChange`` audit row). Every
refused decision is a :class:`~.helpers.Refusal` in ``REFUSALS``: it must raise a clear error and
leave the situation exactly as it was.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import services
from cases.models import AgendaItem, Decision, DecisionKind, F2Disposition, Status
from core.exceptions import InvalidTransition

from ..factories import ALL_AER_ELEMENTS, MeetingFactory, bring_to
from .helpers import (
    Refusal,
    assert_refused,
    error_on,
    events,
    last_change,
    message_is,
    not_echoed,
    refusals,
)

pytestmark = pytest.mark.django_db


def test_chair_accepts_a_presented_situation_as_aer_at_a_meeting(cast, meeting):
    situation = bring_to(Status.PRESENTED, cast=cast)
    services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=situation)

    services.record_filter2_decision(
        actor=cast.chair,
        situation=situation,
        disposition=F2Disposition.ACCEPTED,
        aer_elements=ALL_AER_ELEMENTS,
        meeting=meeting,
    )

    situation.refresh_from_db()
    assert situation.status == Status.ACCEPTED
    assert situation.f2_disposition == F2Disposition.ACCEPTED
    assert situation.f2_decided_at is not None
    assert situation.aer_significant_interest
    assert situation.aer_probability_of_harm
    assert situation.aer_severity_of_harm
    assert situation.aer_multi_sector
    [decision] = Decision.objects.filter(situation=situation)
    assert decision.kind == DecisionKind.F2_ACCEPTED
    assert decision.decided_by == cast.chair
    assert decision.meeting == meeting
    assert decision.decided_at == situation.f2_decided_at
    accepted = last_change(situation)
    assert accepted.event == "situation.f2.accepted"
    assert (accepted.from_status, accepted.to_status) == (Status.PRESENTED, Status.ACCEPTED)
    assert accepted.actor == cast.chair
    assert accepted.meeting == meeting
    assert accepted.data == ALL_AER_ELEMENTS
    assert AgendaItem.objects.get(meeting=meeting, situation=situation).discussed_at is not None


def test_chair_rejects_a_presented_situation_with_a_reason(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)

    services.record_filter2_decision(
        actor=cast.chair,
        situation=situation,
        disposition=F2Disposition.REJECTED,
        reason="  Single-sector risk; the agency keeps it.  ",
    )

    situation.refresh_from_db()
    assert situation.status == Status.REJECTED
    assert situation.f2_disposition == F2Disposition.REJECTED
    assert situation.f2_reason == "Single-sector risk; the agency keeps it."
    assert not situation.aer_multi_sector
    [decision] = Decision.objects.filter(situation=situation)
    assert decision.kind == DecisionKind.F2_REJECTED
    assert decision.note == "Single-sector risk; the agency keeps it."
    assert decision.meeting is None
    rejected = last_change(situation)
    assert rejected.event == "situation.f2.rejected"
    assert (rejected.from_status, rejected.to_status) == (Status.PRESENTED, Status.REJECTED)
    assert rejected.actor == cast.chair


def test_returned_situation_goes_back_to_draft_and_must_be_attested_again(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)

    services.record_filter2_decision(
        actor=cast.chair,
        situation=situation,
        disposition=F2Disposition.RETURNED,
        reason="Say which services were already tried.",
    )

    situation.refresh_from_db()
    assert situation.status == Status.DRAFT
    assert situation.f2_disposition == F2Disposition.RETURNED
    assert situation.f1_attested_at is None
    assert situation.f1_attested_by is None
    [decision] = Decision.objects.filter(situation=situation)
    assert decision.kind == DecisionKind.F2_RETURNED
    assert decision.note == "Say which services were already tried."
    returned = last_change(situation)
    assert returned.event == "situation.f2.returned"
    assert (returned.from_status, returned.to_status) == (Status.PRESENTED, Status.DRAFT)
    assert returned.actor == cast.chair

    # Back with the agency: it can edit and attest again, then the table decides anew.
    services.update_situation(
        actor=cast.rep_police,
        situation=situation,
        narrative="Adult in their 40s, 2 shelters tried.",
    )
    services.attest_filter1(actor=cast.rep_police, situation=situation)
    situation.refresh_from_db()
    assert situation.status == Status.PRESENTED
    assert events(situation) == [
        "situation.created",
        "situation.f1.attested",
        "situation.f2.returned",
        "situation.edited",
        "situation.f1.attested",
    ]


# --- Refused, and nothing changed ----------------------------------------------------------------


def decide(who="chair", **kwargs):
    """A ``call`` recording a Filter 2 decision as ``cast.<who>``."""

    def call(cast, situation):
        services.record_filter2_decision(actor=getattr(cast, who), situation=situation, **kwargs)

    return call


def accept(who="chair"):
    return decide(who, disposition=F2Disposition.ACCEPTED, aer_elements=ALL_AER_ELEMENTS)


def accept_at_a_meeting_of_another_table(cast, situation):
    foreign = MeetingFactory(table=cast.other_table)
    services.record_filter2_decision(
        actor=cast.chair,
        situation=situation,
        disposition=F2Disposition.ACCEPTED,
        aer_elements=ALL_AER_ELEMENTS,
        meeting=foreign,
    )


def needs_all_four_elements(exc):
    assert "four elements" in exc.message_dict["aer_elements"][0]


REFUSALS = [
    # Reps (and anyone but the chair) cannot record a Filter 2 decision.
    *(
        Refusal(f"decide-by-{who}", Status.PRESENTED, call=accept(who), error=PermissionDenied)
        for who in ["rep_police", "rep_housing", "coordinator", "privacy"]
    ),
    # Acceptance needs all four AER elements.
    *(
        Refusal(
            f"accept-without-{missing}",
            Status.PRESENTED,
            call=decide(
                disposition=F2Disposition.ACCEPTED,
                aer_elements={**ALL_AER_ELEMENTS, missing: False},
            ),
            error=ValidationError,
            check=needs_all_four_elements,
        )
        for missing in services.AER_ELEMENTS
    ),
    Refusal(
        "accept-without-any-aer-element",
        Status.PRESENTED,
        call=decide(disposition=F2Disposition.ACCEPTED),
        error=ValidationError,
        check=error_on("aer_elements"),
    ),
    # Rejecting or returning needs a reason.
    *(
        Refusal(
            f"{disposition}-without-reason",
            Status.PRESENTED,
            call=decide(disposition=disposition, reason="  "),
            error=ValidationError,
            check=error_on("reason", ["Give the reason for this decision."]),
        )
        for disposition in [F2Disposition.REJECTED, F2Disposition.RETURNED]
    ),
    Refusal(
        "unknown-disposition",
        Status.PRESENTED,
        call=decide(disposition="maybe", reason="Unsure."),
        error=ValidationError,
        check=error_on("disposition"),
    ),
    # Filter 2 applies only to presented situations.
    *(
        Refusal(
            f"decide-when-{status}",
            status,
            call=accept(),
            error=InvalidTransition,
            check=message_is(f"Filter 2 applies to presented situations; this one is {shown}."),
        )
        for status, shown in [
            (Status.DRAFT, "Draft"),
            (Status.ACCEPTED, "Accepted as AER"),
            (Status.REJECTED, "Rejected"),
            (Status.CONCLUDED, "Concluded"),
        ]
    ),
    Refusal(
        "decide-at-a-meeting-of-another-table",
        Status.PRESENTED,
        call=accept_at_a_meeting_of_another_table,
        error=ValidationError,
        check=error_on("meeting", ["This meeting belongs to another table."]),
    ),
    # Filter 2 is the de-identified discussion: the reason is stored on the situation and in the
    # decision minutes, so it gets the same PII guard as the narrative.
    Refusal(
        "reject-with-identifying-reason",
        Status.PRESENTED,
        call=decide(
            disposition=F2Disposition.REJECTED,
            reason="Mr. Smith is already a client; call 613-555-0199.",
        ),
        error=ValidationError,
        check=not_echoed("613-555-0199"),
    ),
]


@pytest.mark.parametrize("case", refusals(REFUSALS))
def test_refused_and_nothing_changed(cast, case):
    assert_refused(cast, case)
