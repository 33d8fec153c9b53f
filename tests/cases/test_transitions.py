"""The four-filter state machine in ``cases.services``.

Every legal move is checked against the database (new state, ``StatusChange`` audit row,
``Decision`` row); every illegal one must raise a clear error and leave the situation exactly as
it was.
"""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from cases import services
from cases.models import (
    AgeGroup,
    AgendaItem,
    AgendaSection,
    Attendance,
    ConclusionReason,
    Decision,
    DecisionKind,
    F2Disposition,
    Gender,
    Meeting,
    RiskFactor,
    Situation,
    Status,
    StatusChange,
    SubjectType,
    Task,
)
from core.exceptions import InvalidTransition
from tests.factories import AgencyFactory

from .factories import (
    ALL_AER_ELEMENTS,
    MeetingFactory,
    SituationFactory,
    bring_to,
    new_situation_kwargs,
    risk_factors,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
IN_A_WEEK = datetime.timedelta(days=7)


# --- helpers -------------------------------------------------------------------------------------


def changes(situation) -> list[StatusChange]:
    return list(StatusChange.objects.filter(situation_id=situation.pk).order_by("at", "id"))


def last_change(situation) -> StatusChange:
    return changes(situation)[-1]


def events(situation) -> list[str]:
    return [c.event for c in changes(situation)]


def snapshot(situation) -> dict:
    """Everything a rejected action must leave untouched, read back from the database."""
    s = Situation.objects.get(pk=situation.pk)
    return {
        "status": s.status,
        "narrative": s.narrative,
        "age_group": s.age_group,
        "f1_attested_at": s.f1_attested_at,
        "f1_attested_by": s.f1_attested_by_id,
        "f2_disposition": s.f2_disposition,
        "f2_reason": s.f2_reason,
        "f3_at": s.f3_at,
        "lead_agency": s.lead_agency_id,
        "f4_planned_at": s.f4_planned_at,
        "first_intervention_at": s.first_intervention_at,
        "concluded_at": s.concluded_at,
        "updated_at": s.updated_at,
        "risk_factors": sorted(s.risk_factors.values_list("code", flat=True)),
        "f3_agencies": sorted(s.f3_agencies.values_list("pk", flat=True)),
        "assisting": sorted(s.assisting_agencies.values_list("pk", flat=True)),
        "status_changes": s.status_changes.count(),
        "decisions": s.decisions.count(),
        "tasks": list(s.tasks.order_by("pk").values_list("pk", "done_at", "done_by")),
        "agenda": list(s.agenda_items.order_by("pk").values_list("pk", "discussed_at")),
    }


@pytest.fixture
def meeting(cast):
    return MeetingFactory(table=cast.table)


# Narratives that carry identifying information, and the part that must never be echoed back.
PII_NARRATIVES = [
    pytest.param("Parent can be reached at 613-555-0199 after 5 pm.", "613-555-0199", id="phone"),
    pytest.param(
        "Youth is staying at 123 Main Street with an aunt.", "123 Main Street", id="address"
    ),
    pytest.param("Youth born 2009-04-03 has missed 3 weeks of school.", "2009-04-03", id="dob"),
    pytest.param("Mr. Smith says his son has not been home for 4 nights.", "Smith", id="name"),
    pytest.param("Family near K1A 0B1 has had no heat for 2 weeks.", "K1A 0B1", id="postal-code"),
    pytest.param(
        "Mother writes from jane.doe@example.com about 3 evictions.", "jane.doe", id="email"
    ),
]


def assert_pii_error(exc: ValidationError, leaked: str) -> None:
    assert exc.code == "pii"
    text = " ".join(exc.messages)
    assert "de-identified" in text
    assert leaked not in text


# --- Intake --------------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC), tick=False)
def test_rep_logs_a_draft_numbered_for_the_table_and_year(cast):
    situation = services.create_situation(
        actor=cast.rep_police, table=cast.table, **new_situation_kwargs()
    )

    situation = Situation.objects.get(pk=situation.pk)
    assert situation.number == "NTT-2026-0001"
    assert (situation.year, situation.sequence) == (2026, 1)
    assert situation.status == Status.DRAFT
    assert situation.table == cast.table
    assert situation.originating_agency == cast.police
    assert situation.created_by == cast.rep_police
    assert situation.narrative == (
        "Youth aged 16-17 missing school for 3 weeks; 2 overdoses in the home."
    )
    assert sorted(situation.risk_factors.values_list("code", flat=True)) == [
        "drugs.person",
        "mental-health.suspected",
    ]
    [created] = changes(situation)
    assert created.event == "situation.created"
    assert (created.from_status, created.to_status) == ("", Status.DRAFT)
    assert created.actor == cast.rep_police


def test_intake_stores_affected_persons(cast):
    situation = services.create_situation(
        actor=cast.rep_housing,
        table=cast.table,
        **new_situation_kwargs(
            subject_type=SubjectType.FAMILY,
            affected_persons=[{"relationship": "child", "age_group": AgeGroup.AGE_0_5, "count": 2}],
        ),
    )

    [person] = situation.affected_persons.all()
    assert (person.relationship, person.age_group, person.count) == ("child", "0-5", 2)
    assert Situation.objects.get(pk=situation.pk).originating_agency == cast.housing


def test_sequence_increments_per_table_and_restarts_each_year(cast):
    with time_machine.travel(datetime.datetime(2026, 6, 1, 16, 0, tzinfo=datetime.UTC), tick=False):
        first = SituationFactory(actor=cast.rep_police, table=cast.table)
        second = SituationFactory(actor=cast.rep_housing, table=cast.table)
        elsewhere = SituationFactory(actor=cast.outsider, table=cast.other_table)
    with time_machine.travel(datetime.datetime(2027, 1, 5, 16, 0, tzinfo=datetime.UTC), tick=False):
        next_year = SituationFactory(actor=cast.rep_police, table=cast.table)

    numbers = dict(Situation.objects.values_list("pk", "number"))
    assert numbers[first.pk] == "NTT-2026-0001"
    assert numbers[second.pk] == "NTT-2026-0002"
    assert numbers[elsewhere.pk] == "ELS-2026-0001"
    assert numbers[next_year.pk] == "NTT-2027-0001"
    assert Situation.objects.get(pk=next_year.pk).sequence == 1


def test_number_year_follows_the_local_calendar_on_new_years_eve(cast, settings):
    # 20:00 on 31 December in Toronto is already 1 January in UTC; the table still lives in 2026.
    settings.TIME_ZONE = "America/Toronto"
    evening = datetime.datetime(2026, 12, 31, 20, 0, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(evening, tick=False):
        situation = SituationFactory(actor=cast.rep_police, table=cast.table)

    situation = Situation.objects.get(pk=situation.pk)
    assert situation.year == 2026
    assert situation.number == "NTT-2026-0001"


def test_situation_needs_at_least_one_risk_factor(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_situation(
            actor=cast.rep_police, table=cast.table, **new_situation_kwargs(risk_factors=[])
        )

    assert "risk_factors" in exc.value.message_dict
    assert not Situation.objects.exists()
    assert not StatusChange.objects.exists()


def test_retired_risk_factor_cannot_be_chosen(cast):
    RiskFactor.objects.filter(code="housing.homeless").update(is_active=False)
    retired = RiskFactor.objects.get(code="housing.homeless")

    with pytest.raises(ValidationError) as exc:
        services.create_situation(
            actor=cast.rep_police,
            table=cast.table,
            **new_situation_kwargs(
                risk_factors=[RiskFactor.objects.get(code="drugs.person"), retired]
            ),
        )

    assert exc.value.message_dict["risk_factors"] == ["A chosen risk factor has been retired."]
    assert not Situation.objects.exists()


@pytest.mark.parametrize(("narrative", "leaked"), PII_NARRATIVES)
def test_narrative_with_identifying_information_is_refused_without_echoing_it(
    cast, narrative, leaked
):
    with pytest.raises(ValidationError) as exc:
        services.create_situation(
            actor=cast.rep_police, table=cast.table, **new_situation_kwargs(narrative=narrative)
        )

    assert_pii_error(exc.value, leaked)
    assert not Situation.objects.exists()
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize("who", ["coordinator", "privacy", "outsider", "nobody"])
def test_only_members_who_log_situations_may_create_one(cast, who):
    with pytest.raises(PermissionDenied):
        services.create_situation(
            actor=getattr(cast, who), table=cast.table, **new_situation_kwargs()
        )

    assert not Situation.objects.exists()


# --- Editing -------------------------------------------------------------------------------------


def test_originating_rep_edits_a_draft_and_the_audit_lists_the_fields(cast):
    situation = bring_to(Status.DRAFT, cast=cast)

    services.update_situation(
        actor=cast.rep_police,
        situation=situation,
        narrative=" Adult in their 40s, 3 police calls in 10 days. ",
        age_group=AgeGroup.AGE_40_59,
        risk_factors=risk_factors("mental-health.suspected"),
    )

    situation.refresh_from_db()
    assert situation.narrative == "Adult in their 40s, 3 police calls in 10 days."
    assert situation.age_group == AgeGroup.AGE_40_59
    assert list(situation.risk_factors.values_list("code", flat=True)) == [
        "mental-health.suspected"
    ]
    edit = last_change(situation)
    assert edit.event == "situation.edited"
    assert (edit.from_status, edit.to_status) == (Status.DRAFT, Status.DRAFT)
    assert edit.actor == cast.rep_police
    assert edit.data == {"fields": ["age_group", "narrative", "risk_factors"]}


def test_presented_situation_can_still_be_edited_by_its_agency(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)

    services.update_situation(actor=cast.rep_police, situation=situation, gender=Gender.MALE)

    situation.refresh_from_db()
    assert (situation.status, situation.gender) == (Status.PRESENTED, Gender.MALE)
    assert last_change(situation).event == "situation.edited"


@pytest.mark.parametrize("who", ["rep_housing", "chair", "coordinator", "outsider"])
def test_only_the_originating_agency_may_edit(cast, who):
    situation = bring_to(Status.DRAFT, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.update_situation(
            actor=getattr(cast, who), situation=situation, narrative="Adult in their 30s."
        )

    assert snapshot(situation) == before


def test_editing_a_concluded_situation_is_refused_with_a_clear_message(cast):
    situation = bring_to(Status.CONCLUDED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition) as exc:
        services.update_situation(
            actor=cast.rep_police, situation=situation, narrative="Adult in their 30s."
        )

    assert exc.value.message == "A situation that is Concluded can no longer be edited."
    assert snapshot(situation) == before


@pytest.mark.parametrize(
    "status", [Status.ACCEPTED, Status.INTERVENTION, Status.REJECTED, Status.WITHDRAWN]
)
def test_situation_cannot_be_edited_after_filter2(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="can no longer be edited"):
        services.update_situation(actor=cast.rep_police, situation=situation, gender=Gender.MALE)

    assert snapshot(situation) == before


@pytest.mark.parametrize(("narrative", "leaked"), PII_NARRATIVES)
def test_edit_with_identifying_information_is_refused_and_nothing_changes(cast, narrative, leaked):
    situation = bring_to(Status.DRAFT, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.update_situation(actor=cast.rep_police, situation=situation, narrative=narrative)

    assert_pii_error(exc.value, leaked)
    assert snapshot(situation) == before


def test_edit_cannot_touch_fields_outside_the_narrative(cast):
    situation = bring_to(Status.DRAFT, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValueError, match="cannot change status"):
        services.update_situation(
            actor=cast.rep_police, situation=situation, status=Status.ACCEPTED
        )

    assert snapshot(situation) == before


def test_edit_with_no_risk_factor_left_is_refused(cast):
    situation = bring_to(Status.DRAFT, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.update_situation(actor=cast.rep_police, situation=situation, risk_factors=[])

    assert "risk_factors" in exc.value.message_dict
    assert snapshot(situation) == before


# --- Filter 1 ------------------------------------------------------------------------------------


def test_originating_rep_attests_filter1_and_the_situation_is_presented(cast):
    situation = bring_to(Status.DRAFT, cast=cast)

    services.attest_filter1(actor=cast.rep_police, situation=situation)

    situation.refresh_from_db()
    assert situation.status == Status.PRESENTED
    assert situation.f1_attested_by == cast.rep_police
    assert situation.f1_attested_at is not None
    attested = last_change(situation)
    assert attested.event == "situation.f1.attested"
    assert (attested.from_status, attested.to_status) == (Status.DRAFT, Status.PRESENTED)
    assert attested.actor == cast.rep_police


@pytest.mark.parametrize("who", ["rep_housing", "rep_health", "chair", "coordinator", "privacy"])
def test_only_the_originating_agency_may_attest_filter1(cast, who):
    situation = bring_to(Status.DRAFT, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.attest_filter1(actor=getattr(cast, who), situation=situation)

    assert snapshot(situation) == before


@pytest.mark.parametrize("status", [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED])
def test_only_a_draft_can_be_attested(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="Only a draft can be attested"):
        services.attest_filter1(actor=cast.rep_police, situation=situation)

    assert snapshot(situation) == before


# --- Withdrawal ----------------------------------------------------------------------------------


def test_originating_rep_withdraws_a_presented_situation_and_it_leaves_open_agendas(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    past = MeetingFactory(table=cast.table, scheduled_at=timezone.now() - IN_A_WEEK)
    services.add_to_agenda(actor=cast.coordinator, meeting=past, situation=situation)
    services.close_meeting(actor=cast.coordinator, meeting=past)
    upcoming = MeetingFactory(table=cast.table)
    services.add_to_agenda(actor=cast.coordinator, meeting=upcoming, situation=situation)

    services.withdraw_situation(
        actor=cast.rep_police, situation=situation, reason="Resolved within the agency."
    )

    situation.refresh_from_db()
    assert situation.status == Status.WITHDRAWN
    assert list(
        AgendaItem.objects.filter(situation=situation).values_list("meeting", flat=True)
    ) == [past.pk]
    withdrawn = last_change(situation)
    assert withdrawn.event == "situation.withdrawn"
    assert (withdrawn.from_status, withdrawn.to_status) == (Status.PRESENTED, Status.WITHDRAWN)
    assert withdrawn.actor == cast.rep_police
    assert withdrawn.data == {"reason": "Resolved within the agency."}


def test_chair_may_withdraw_a_draft(cast):
    situation = bring_to(Status.DRAFT, cast=cast)

    services.withdraw_situation(actor=cast.chair, situation=situation, reason="Logged twice.")

    situation.refresh_from_db()
    assert situation.status == Status.WITHDRAWN
    assert last_change(situation).actor == cast.chair


@pytest.mark.parametrize("who", ["rep_housing", "coordinator", "privacy", "outsider"])
def test_others_cannot_withdraw_a_situation(cast, who):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.withdraw_situation(actor=getattr(cast, who), situation=situation, reason="No.")

    assert snapshot(situation) == before


def test_withdrawal_needs_a_reason(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.withdraw_situation(actor=cast.rep_police, situation=situation, reason="   ")

    assert "reason" in exc.value.message_dict
    assert snapshot(situation) == before


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.REJECTED, Status.CONCLUDED])
def test_situation_cannot_be_withdrawn_after_filter2(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="cannot be withdrawn"):
        services.withdraw_situation(actor=cast.chair, situation=situation, reason="Done.")

    assert snapshot(situation) == before


def test_withdrawal_reason_must_be_deidentified(cast):
    # The reason is stored in the audit trail, which is de-identified like everything in cases.
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.withdraw_situation(
            actor=cast.rep_police, situation=situation, reason="Mr. Smith moved away."
        )

    assert "Smith" not in " ".join(exc.value.messages)
    assert snapshot(situation) == before


# --- Filter 2 ------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "coordinator", "privacy"])
def test_rep_cannot_record_filter2_decision(cast, who):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.record_filter2_decision(
            actor=getattr(cast, who),
            situation=situation,
            disposition=F2Disposition.ACCEPTED,
            aer_elements=ALL_AER_ELEMENTS,
        )

    assert snapshot(situation) == before


@pytest.mark.parametrize("missing", services.AER_ELEMENTS)
def test_acceptance_needs_all_four_aer_elements(cast, missing):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.ACCEPTED,
            aer_elements={**ALL_AER_ELEMENTS, missing: False},
        )

    assert "four elements" in exc.value.message_dict["aer_elements"][0]
    assert snapshot(situation) == before


def test_acceptance_without_any_aer_element_is_refused(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair, situation=situation, disposition=F2Disposition.ACCEPTED
        )

    assert "aer_elements" in exc.value.message_dict
    assert snapshot(situation) == before


@pytest.mark.parametrize("disposition", [F2Disposition.REJECTED, F2Disposition.RETURNED])
def test_rejecting_or_returning_needs_a_reason(cast, disposition):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair, situation=situation, disposition=disposition, reason="  "
        )

    assert exc.value.message_dict["reason"] == ["Give the reason for this decision."]
    assert snapshot(situation) == before


def test_unknown_filter2_disposition_is_refused(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair, situation=situation, disposition="maybe", reason="Unsure."
        )

    assert "disposition" in exc.value.message_dict
    assert snapshot(situation) == before


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Status.DRAFT, "Draft"),
        (Status.ACCEPTED, "Accepted as AER"),
        (Status.REJECTED, "Rejected"),
        (Status.CONCLUDED, "Concluded"),
    ],
)
def test_filter2_applies_only_to_presented_situations(cast, status, shown):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition) as exc:
        services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.ACCEPTED,
            aer_elements=ALL_AER_ELEMENTS,
        )

    assert exc.value.message == (f"Filter 2 applies to presented situations; this one is {shown}.")
    assert snapshot(situation) == before


def test_filter2_decision_at_a_meeting_of_another_table_is_refused(cast):
    situation = bring_to(Status.PRESENTED, cast=cast)
    foreign = MeetingFactory(table=cast.other_table)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.ACCEPTED,
            aer_elements=ALL_AER_ELEMENTS,
            meeting=foreign,
        )

    assert exc.value.message_dict["meeting"] == ["This meeting belongs to another table."]
    assert snapshot(situation) == before


def test_filter2_reason_must_be_deidentified(cast):
    # Filter 2 is the de-identified discussion: the reason is stored on the situation and in the
    # decision minutes, so it gets the same PII guard as the narrative.
    situation = bring_to(Status.PRESENTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter2_decision(
            actor=cast.chair,
            situation=situation,
            disposition=F2Disposition.REJECTED,
            reason="Mr. Smith is already a client; call 613-555-0199.",
        )

    assert "613-555-0199" not in " ".join(exc.value.messages)
    assert snapshot(situation) == before


# --- Filter 3 ------------------------------------------------------------------------------------


def test_chair_names_agencies_at_filter3_and_intervention_starts(cast, meeting):
    situation = bring_to(Status.ACCEPTED, cast=cast)

    services.record_filter3(
        actor=cast.chair, situation=situation, agencies=[cast.police, cast.housing], meeting=meeting
    )

    situation.refresh_from_db()
    assert situation.status == Status.INTERVENTION
    assert situation.f3_at is not None
    assert set(situation.f3_agencies.all()) == {cast.police, cast.housing}
    decision = Decision.objects.filter(situation=situation).latest("id")
    assert decision.kind == DecisionKind.F3_AGENCIES
    assert decision.data == {"agencies": ["THC", "TPS"]} and decision.note == ""
    assert decision.summary == "THC, TPS"
    assert decision.meeting == meeting
    assert decision.decided_by == cast.chair
    named = last_change(situation)
    assert named.event == "situation.f3.agencies_named"
    assert (named.from_status, named.to_status) == (Status.ACCEPTED, Status.INTERVENTION)
    assert named.actor == cast.chair
    assert named.data == {"agencies": sorted([cast.police.pk, cast.housing.pk])}


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.PRESENTED, Status.REJECTED, Status.INTERVENTION]
)
def test_filter3_before_filter2_acceptance_is_refused(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition) as exc:
        services.record_filter3(actor=cast.chair, situation=situation, agencies=[cast.housing])

    assert exc.value.message.startswith("Filter 3 comes only after a Filter 2 acceptance")
    assert snapshot(situation) == before


def test_filter3_with_an_agency_not_at_the_table_is_refused(cast):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    stranger = AgencyFactory(name="Agency Not At This Table")
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter3(
            actor=cast.chair, situation=situation, agencies=[cast.housing, stranger]
        )

    assert exc.value.message_dict["agencies"] == ["Choose agencies that sit at this table."]
    assert snapshot(situation) == before


def test_filter3_needs_at_least_one_agency(cast):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_filter3(actor=cast.chair, situation=situation, agencies=[])

    assert "agencies" in exc.value.message_dict
    assert snapshot(situation) == before


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "coordinator", "privacy"])
def test_only_the_chair_names_agencies_at_filter3(cast, who):
    situation = bring_to(Status.ACCEPTED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.record_filter3(
            actor=getattr(cast, who), situation=situation, agencies=[cast.housing]
        )

    assert snapshot(situation) == before


# --- Filter 4 ------------------------------------------------------------------------------------


def test_chair_plans_the_intervention_with_a_lead_and_assisting_agencies(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast)

    services.plan_intervention(
        actor=cast.chair,
        situation=situation,
        lead_agency=cast.housing,
        assisting_agencies=[cast.police, cast.housing],
        services_mobilized=[cast.housing.sector],
        note="Door knock within 48 hours.",
        meeting=meeting,
    )

    situation.refresh_from_db()
    assert situation.status == Status.INTERVENTION
    assert situation.lead_agency == cast.housing
    # The lead is never also listed as assisting.
    assert list(situation.assisting_agencies.all()) == [cast.police]
    assert list(situation.services_mobilized.all()) == [cast.housing.sector]
    assert situation.f4_planned_at is not None
    decision = Decision.objects.filter(situation=situation).latest("id")
    assert decision.kind == DecisionKind.F4_PLAN
    assert decision.data == {"lead": "THC", "assisting": ["TPS"]}
    assert decision.summary == "Lead: THC. Assisting: TPS."
    with translation.override("fr"):  # rendered in the reader's language, not the writer's
        assert decision.summary == "Responsable : THC. Partenaires : TPS."
    # The plan itself is Filter 4 working detail, kept apart from what the whole table reads.
    assert decision.detail == "Door knock within 48 hours."
    assert decision.meeting == meeting
    planned = last_change(situation)
    assert planned.event == "situation.f4.planned"
    assert (planned.from_status, planned.to_status) == (Status.INTERVENTION, Status.INTERVENTION)
    assert planned.actor == cast.chair
    assert planned.data == {"lead": cast.housing.pk, "assisting": [cast.police.pk]}


def test_replanning_changes_the_lead_but_keeps_the_first_planning_time(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )
    situation.refresh_from_db()
    first_planned = situation.f4_planned_at

    services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.health, assisting_agencies=[]
    )

    situation.refresh_from_db()
    assert situation.lead_agency == cast.health
    assert situation.f4_planned_at == first_planned
    assert Decision.objects.filter(situation=situation, kind=DecisionKind.F4_PLAN).count() == 2
    assert events(situation)[-2:] == ["situation.f4.planned", "situation.f4.planned"]


@pytest.mark.parametrize("status", [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED])
def test_intervention_is_planned_only_after_filter3(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="Plan the intervention after Filter 3"):
        services.plan_intervention(actor=cast.chair, situation=situation, lead_agency=cast.housing)

    assert snapshot(situation) == before


def test_lead_agency_must_sit_at_the_table(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    stranger = AgencyFactory(name="Agency Not At This Table")
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.plan_intervention(actor=cast.chair, situation=situation, lead_agency=stranger)

    assert "lead_agency" in exc.value.message_dict
    assert snapshot(situation) == before


def test_assisting_agencies_must_sit_at_the_table(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    stranger = AgencyFactory(name="Agency Not At This Table")
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.plan_intervention(
            actor=cast.chair,
            situation=situation,
            lead_agency=cast.housing,
            assisting_agencies=[stranger],
        )

    assert "assisting_agencies" in exc.value.message_dict
    assert snapshot(situation) == before


def test_plan_needs_a_lead_agency(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.plan_intervention(actor=cast.chair, situation=situation, lead_agency=None)

    assert "lead_agency" in exc.value.message_dict
    assert snapshot(situation) == before


def test_plan_note_must_be_deidentified(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.plan_intervention(
            actor=cast.chair,
            situation=situation,
            lead_agency=cast.housing,
            note="Visit 123 Main Street on Monday.",
        )

    assert_pii_error(exc.value, "123 Main Street")
    assert snapshot(situation) == before


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "coordinator"])
def test_only_the_chair_plans_the_intervention(cast, who):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.plan_intervention(
            actor=getattr(cast, who), situation=situation, lead_agency=cast.housing
        )

    assert snapshot(situation) == before


# --- Tasks ---------------------------------------------------------------------------------------


def test_chair_adds_a_follow_up_task_for_an_agency(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    due = TODAY() + IN_A_WEEK

    task = services.add_task(
        actor=cast.chair,
        situation=situation,
        owner_agency=cast.housing,
        description="  Offer a shelter bed and a follow-up visit.  ",
        due_date=due,
        meeting=meeting,
    )

    task = Task.objects.get(pk=task.pk)
    assert task.situation_id == situation.pk
    assert task.owner_agency == cast.housing
    assert task.description == "Offer a shelter bed and a follow-up visit."
    assert task.due_date == due
    assert task.meeting == meeting
    assert task.created_by == cast.chair
    assert task.done_at is None
    added = last_change(situation)
    assert added.event == "situation.task.added"
    assert (added.from_status, added.to_status) == (Status.INTERVENTION, Status.INTERVENTION)
    assert added.actor == cast.chair
    assert added.data == {"task": task.pk, "owner": cast.housing.pk, "due": due.isoformat()}


def test_chair_may_add_a_task_to_an_accepted_situation_due_today(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)

    task = services.add_task(
        actor=cast.chair,
        situation=situation,
        owner_agency=cast.police,
        description="Check on wellbeing.",
        due_date=TODAY(),
    )

    assert Task.objects.get(pk=task.pk).due_date == TODAY()


def test_lead_agency_rep_adds_tasks_to_its_own_plan(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )

    task = services.add_task(
        actor=cast.rep_housing,
        situation=situation,
        owner_agency=cast.police,  # named at Filter 3: part of the intervention
        description="Book a clinic appointment.",
        due_date=TODAY() + IN_A_WEEK,
    )

    assert Task.objects.get(pk=task.pk).created_by == cast.rep_housing
    assert last_change(situation).actor == cast.rep_housing


@pytest.mark.parametrize("who", ["rep_police", "rep_health", "coordinator", "privacy"])
def test_only_the_chair_or_the_lead_agency_may_add_tasks(cast, who):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.add_task(
            actor=getattr(cast, who),
            situation=situation,
            owner_agency=cast.police,
            description="Check on wellbeing.",
            due_date=TODAY() + IN_A_WEEK,
        )

    assert snapshot(situation) == before


def test_task_due_in_the_past_is_refused(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.housing,
            description="Offer a shelter bed.",
            due_date=TODAY() - datetime.timedelta(days=1),
        )

    assert exc.value.message_dict["due_date"] == ["The due date cannot be in the past."]
    assert snapshot(situation) == before


def test_task_without_description_or_due_date_reports_both(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.housing,
            description=" ",
            due_date=None,
        )

    assert set(exc.value.message_dict) == {"description", "due_date"}
    assert snapshot(situation) == before


def test_task_description_must_be_deidentified(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.housing,
            description="Call the mother at (416) 555 0123.",
            due_date=TODAY() + IN_A_WEEK,
        )

    [message] = exc.value.message_dict["description"]
    assert "de-identified" in message
    assert "555" not in message
    assert snapshot(situation) == before


def test_task_owner_must_sit_at_the_table(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    stranger = AgencyFactory(name="Agency Not At This Table")
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=stranger,
            description="Offer a shelter bed.",
            due_date=TODAY() + IN_A_WEEK,
        )

    assert "owner_agency" in exc.value.message_dict
    assert snapshot(situation) == before


def test_tasks_go_only_to_agencies_taking_part_in_the_intervention(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)  # housing and police named at F3
    before = snapshot(situation)

    with pytest.raises(ValidationError, match="lead agency, an assisting agency"):
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.health,
            description="Offer a shelter bed.",
            due_date=TODAY() + IN_A_WEEK,
        )

    assert snapshot(situation) == before


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PRESENTED, Status.CONCLUDED])
def test_tasks_belong_to_accepted_situations_only(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="Tasks belong to accepted situations"):
        services.add_task(
            actor=cast.chair,
            situation=situation,
            owner_agency=cast.housing,
            description="Offer a shelter bed.",
            due_date=TODAY() + IN_A_WEEK,
        )

    assert snapshot(situation) == before


@pytest.fixture
def housing_task(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    return services.add_task(
        actor=cast.chair,
        situation=situation,
        owner_agency=cast.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    )


def test_owner_agency_rep_completes_its_task(cast, housing_task):
    services.complete_task(actor=cast.rep_housing, task=housing_task)

    task = Task.objects.get(pk=housing_task.pk)
    assert task.done_at is not None
    assert task.done_by == cast.rep_housing
    done = last_change(task.situation)
    assert done.event == "situation.task.done"
    assert (done.from_status, done.to_status) == (Status.INTERVENTION, Status.INTERVENTION)
    assert done.actor == cast.rep_housing
    assert done.data == {"task": task.pk}


def test_chair_may_complete_any_task(cast, housing_task):
    services.complete_task(actor=cast.chair, task=housing_task)

    assert Task.objects.get(pk=housing_task.pk).done_by == cast.chair


def test_completing_a_task_twice_is_refused(cast, housing_task):
    services.complete_task(actor=cast.rep_housing, task=housing_task)
    before = snapshot(housing_task.situation)

    with pytest.raises(InvalidTransition) as exc:
        services.complete_task(actor=cast.chair, task=housing_task)

    assert exc.value.message == "This task is already done."
    assert snapshot(housing_task.situation) == before
    assert Task.objects.get(pk=housing_task.pk).done_by == cast.rep_housing


@pytest.mark.parametrize("who", ["rep_police", "rep_health", "coordinator", "privacy"])
def test_only_the_owner_agency_or_the_chair_completes_a_task(cast, housing_task, who):
    before = snapshot(housing_task.situation)

    with pytest.raises(PermissionDenied):
        services.complete_task(actor=getattr(cast, who), task=housing_task)

    assert snapshot(housing_task.situation) == before


# --- Report back ---------------------------------------------------------------------------------


def test_lead_agency_reports_back_and_records_the_first_intervention(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )
    services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=situation)
    first_contact = timezone.now()

    services.record_report_back(
        actor=cast.rep_housing,
        situation=situation,
        note="  Contact made; shelter bed accepted.  ",
        first_intervention_at=first_contact,
        meeting=meeting,
    )

    situation.refresh_from_db()
    assert situation.status == Status.INTERVENTION
    assert situation.first_intervention_at == first_contact
    decision = Decision.objects.filter(situation=situation).latest("id")
    assert decision.kind == DecisionKind.REPORT_BACK
    assert decision.note == "Contact made; shelter bed accepted."
    assert decision.decided_by == cast.rep_housing
    assert decision.meeting == meeting
    reported = last_change(situation)
    assert reported.event == "situation.f4.report_back"
    assert (reported.from_status, reported.to_status) == (Status.INTERVENTION, Status.INTERVENTION)
    assert reported.actor == cast.rep_housing
    assert reported.meeting == meeting
    assert AgendaItem.objects.get(meeting=meeting, situation=situation).discussed_at is not None


def test_first_intervention_is_recorded_only_once(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    first_contact = timezone.now()
    services.record_report_back(
        actor=cast.chair,
        situation=situation,
        note="Contact made.",
        first_intervention_at=first_contact,
    )

    services.record_report_back(
        actor=cast.chair,
        situation=situation,
        note="Second visit done.",
        first_intervention_at=timezone.now(),
    )

    situation.refresh_from_db()
    assert situation.first_intervention_at == first_contact
    assert situation.decisions.filter(kind=DecisionKind.REPORT_BACK).count() == 2


def test_first_intervention_cannot_precede_the_filter2_acceptance(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_report_back(
            actor=cast.chair,
            situation=situation,
            note="Contact made.",
            first_intervention_at=situation.f2_decided_at - datetime.timedelta(hours=1),
        )

    assert exc.value.message_dict["first_intervention_at"] == [
        "The intervention cannot precede the F2 acceptance."
    ]
    assert snapshot(situation) == before


def test_first_intervention_cannot_be_in_the_future(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_report_back(
            actor=cast.chair,
            situation=situation,
            note="Contact planned.",
            first_intervention_at=timezone.now() + datetime.timedelta(days=1),
        )

    assert "first_intervention_at" in exc.value.message_dict
    assert snapshot(situation) == before


def test_report_back_needs_a_note(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_report_back(actor=cast.chair, situation=situation, note="  ")

    assert "note" in exc.value.message_dict
    assert snapshot(situation) == before


def test_report_back_note_must_be_deidentified(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.record_report_back(
            actor=cast.chair, situation=situation, note="Mrs. Jones took the bed."
        )

    assert_pii_error(exc.value, "Jones")
    assert snapshot(situation) == before


@pytest.mark.parametrize("status", [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED])
def test_report_back_applies_only_during_the_intervention(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="Report-back applies during the intervention"):
        services.record_report_back(actor=cast.chair, situation=situation, note="Update.")

    assert snapshot(situation) == before


@pytest.mark.parametrize("who", ["rep_police", "rep_health", "coordinator"])
def test_only_the_lead_agency_or_the_chair_reports_back(cast, who):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.record_report_back(actor=getattr(cast, who), situation=situation, note="Update.")

    assert snapshot(situation) == before


# --- Conclusion ----------------------------------------------------------------------------------


def test_chair_concludes_the_intervention_with_a_reason(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast)

    services.conclude_situation(
        actor=cast.chair,
        situation=situation,
        reason=ConclusionReason.CONNECTED,
        note=" Connected to housing support. ",
        meeting=meeting,
    )

    situation.refresh_from_db()
    assert situation.status == Status.CONCLUDED
    assert situation.concluded_at is not None
    assert situation.conclusion_reason == ConclusionReason.CONNECTED
    assert situation.conclusion_note == "Connected to housing support."
    decision = Decision.objects.filter(situation=situation).latest("id")
    assert decision.kind == DecisionKind.CONCLUDED
    assert decision.data == {"reason": "connected"}
    assert decision.note == "Connected to housing support."
    assert decision.summary == "Still AER — connected to services. Connected to housing support."
    assert decision.meeting == meeting
    assert decision.decided_by == cast.chair
    concluded = last_change(situation)
    assert concluded.event == "situation.concluded"
    assert (concluded.from_status, concluded.to_status) == (Status.INTERVENTION, Status.CONCLUDED)
    assert concluded.actor == cast.chair
    assert concluded.data == {"reason": ConclusionReason.CONNECTED}


def test_accepted_situation_may_be_concluded_before_filter3(cast):
    situation = bring_to(Status.ACCEPTED, cast=cast)

    services.conclude_situation(
        actor=cast.chair, situation=situation, reason=ConclusionReason.TRANSFERRED
    )

    situation.refresh_from_db()
    assert situation.status == Status.CONCLUDED
    assert last_change(situation).from_status == Status.ACCEPTED


def test_concluding_twice_is_refused(cast):
    situation = bring_to(Status.CONCLUDED, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition) as exc:
        services.conclude_situation(
            actor=cast.chair, situation=situation, reason=ConclusionReason.RISK_LOWERED
        )

    assert exc.value.message == (
        "Only an accepted situation can be concluded; this one is Concluded."
    )
    assert snapshot(situation) == before


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.PRESENTED, Status.REJECTED, Status.WITHDRAWN]
)
def test_concluding_a_situation_that_was_never_accepted_is_refused(cast, status):
    situation = bring_to(status, cast=cast)
    before = snapshot(situation)

    with pytest.raises(InvalidTransition, match="Only an accepted situation can be concluded"):
        services.conclude_situation(
            actor=cast.chair, situation=situation, reason=ConclusionReason.RISK_LOWERED
        )

    assert snapshot(situation) == before


def test_unknown_conclusion_reason_is_refused(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.conclude_situation(actor=cast.chair, situation=situation, reason="bored")

    assert "reason" in exc.value.message_dict
    assert snapshot(situation) == before


def test_conclusion_note_must_be_deidentified(cast):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(ValidationError) as exc:
        services.conclude_situation(
            actor=cast.chair,
            situation=situation,
            reason=ConclusionReason.RISK_LOWERED,
            note="Moved to K1A 0B1.",
        )

    assert_pii_error(exc.value, "K1A 0B1")
    assert snapshot(situation) == before


@pytest.mark.parametrize("who", ["rep_police", "rep_housing", "coordinator", "privacy"])
def test_only_the_chair_concludes(cast, who):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    before = snapshot(situation)

    with pytest.raises(PermissionDenied):
        services.conclude_situation(
            actor=getattr(cast, who), situation=situation, reason=ConclusionReason.RISK_LOWERED
        )

    assert snapshot(situation) == before


def test_full_journey_leaves_one_audit_row_per_step(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast, meeting=meeting)
    situation = services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )
    task = services.add_task(
        actor=cast.rep_housing,
        situation=situation,
        owner_agency=cast.housing,
        description="Offer a shelter bed.",
        due_date=TODAY(),
    )
    services.complete_task(actor=cast.rep_housing, task=task)
    services.record_report_back(actor=cast.rep_housing, situation=situation, note="Bed accepted.")
    services.conclude_situation(
        actor=cast.chair, situation=situation, reason=ConclusionReason.RISK_LOWERED
    )

    assert [(c.event, c.from_status, c.to_status) for c in changes(situation)] == [
        ("situation.created", "", "draft"),
        ("situation.f1.attested", "draft", "presented"),
        ("situation.f2.accepted", "presented", "accepted"),
        ("situation.f3.agencies_named", "accepted", "intervention"),
        ("situation.f4.planned", "intervention", "intervention"),
        ("situation.task.added", "intervention", "intervention"),
        ("situation.task.done", "intervention", "intervention"),
        ("situation.f4.report_back", "intervention", "intervention"),
        ("situation.concluded", "intervention", "concluded"),
    ]
    assert list(Decision.objects.filter(situation=situation).values_list("kind", flat=True)) == [
        "f2_accepted",
        "f3_agencies",
        "f4_plan",
        "report_back",
        "concluded",
    ]
    assert Situation.objects.get(pk=situation.pk).filter_stage == 5


# --- Meetings, agenda and attendance -------------------------------------------------------------


def test_coordinator_schedules_a_meeting(cast):
    when = timezone.now() + IN_A_WEEK

    meeting = services.create_meeting(
        actor=cast.coordinator, table=cast.table, scheduled_at=when, kind="emergency"
    )

    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.table, meeting.scheduled_at, meeting.kind) == (cast.table, when, "emergency")
    assert meeting.created_by == cast.coordinator


def test_meeting_of_an_unknown_kind_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_meeting(
            actor=cast.chair, table=cast.table, scheduled_at=timezone.now(), kind="party"
        )

    assert "kind" in exc.value.message_dict
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("who", ["rep_police", "privacy"])
def test_reps_do_not_manage_meetings(cast, meeting, who):
    actor = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        services.create_meeting(actor=actor, table=cast.table, scheduled_at=timezone.now())
    with pytest.raises(PermissionDenied):
        services.fill_agenda(actor=actor, meeting=meeting)
    with pytest.raises(PermissionDenied):
        services.record_attendance(actor=actor, meeting=meeting, agency=cast.police, present=True)

    assert Meeting.objects.count() == 1
    assert not AgendaItem.objects.exists()
    assert not Attendance.objects.exists()


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


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.REJECTED, Status.WITHDRAWN, Status.CONCLUDED]
)
def test_situation_that_is_not_presented_or_accepted_cannot_go_on_an_agenda(cast, meeting, status):
    situation = bring_to(status, cast=cast)

    with pytest.raises(InvalidTransition, match="Only F1-attested or accepted situations"):
        services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=situation)

    assert not AgendaItem.objects.exists()


def test_situation_of_another_table_cannot_go_on_the_agenda(cast, meeting):
    foreign = SituationFactory(actor=cast.outsider, table=cast.other_table)
    services.attest_filter1(actor=cast.outsider, situation=foreign)

    with pytest.raises(ValidationError) as exc:
        services.add_to_agenda(actor=cast.coordinator, meeting=meeting, situation=foreign)

    assert "situation" in exc.value.message_dict
    assert not AgendaItem.objects.exists()


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


def test_attendance_only_for_agencies_at_the_table(cast, meeting):
    stranger = AgencyFactory(name="Agency Not At This Table")

    with pytest.raises(ValidationError) as exc:
        services.record_attendance(
            actor=cast.coordinator, meeting=meeting, agency=stranger, present=True
        )

    assert "agency" in exc.value.message_dict
    assert not Attendance.objects.exists()


def test_meeting_starts_once_and_closing_sets_both_times(cast, meeting):
    services.start_meeting(actor=cast.chair, meeting=meeting)
    meeting.refresh_from_db()
    started = meeting.started_at
    services.start_meeting(actor=cast.chair, meeting=meeting)

    services.close_meeting(actor=cast.chair, meeting=meeting)

    meeting.refresh_from_db()
    assert meeting.started_at == started
    assert meeting.closed_at is not None


def _closed_meeting_actions(cast, meeting, item, candidate):
    return {
        "add_to_agenda": lambda: services.add_to_agenda(
            actor=cast.chair, meeting=meeting, situation=candidate
        ),
        "remove_from_agenda": lambda: services.remove_from_agenda(actor=cast.chair, item=item),
        "fill_agenda": lambda: services.fill_agenda(actor=cast.chair, meeting=meeting),
        "update_meeting": lambda: services.update_meeting(
            actor=cast.chair, meeting=meeting, location="Elsewhere"
        ),
        "start_meeting": lambda: services.start_meeting(actor=cast.chair, meeting=meeting),
        "close_meeting": lambda: services.close_meeting(actor=cast.chair, meeting=meeting),
        "record_attendance": lambda: services.record_attendance(
            actor=cast.chair, meeting=meeting, agency=cast.police, present=False
        ),
    }


def _meeting_state(meeting) -> dict:
    return {
        "meeting": Meeting.objects.filter(pk=meeting.pk).values().get(),
        "agenda": list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True)),
        "attendance": list(
            Attendance.objects.filter(meeting=meeting).values_list("agency", "present")
        ),
    }


@pytest.mark.parametrize(
    "action",
    [
        "add_to_agenda",
        "remove_from_agenda",
        "fill_agenda",
        "update_meeting",
        "start_meeting",
        "close_meeting",
        "record_attendance",
    ],
)
def test_closed_meeting_refuses_changes(cast, meeting, action):
    item = services.add_to_agenda(
        actor=cast.chair, meeting=meeting, situation=bring_to(Status.PRESENTED, cast=cast)
    )
    candidate = bring_to(Status.ACCEPTED, cast=cast)  # fill_agenda would otherwise add it
    services.record_attendance(actor=cast.chair, meeting=meeting, agency=cast.police, present=True)
    services.close_meeting(actor=cast.chair, meeting=meeting)
    meeting.refresh_from_db()
    before = _meeting_state(meeting)

    with pytest.raises(InvalidTransition, match="closed"):
        _closed_meeting_actions(cast, meeting, item, candidate)[action]()

    assert _meeting_state(meeting) == before


# --- A member of another table ---------------------------------------------------------------


@pytest.fixture
def world(cast):
    """One object of this table at every stage, for the permission sweep."""
    meeting = MeetingFactory(table=cast.table)
    draft = bring_to(Status.DRAFT, cast=cast)
    presented = bring_to(Status.PRESENTED, cast=cast)
    accepted = bring_to(Status.ACCEPTED, cast=cast)
    intervention = bring_to(Status.INTERVENTION, cast=cast)
    task = services.add_task(
        actor=cast.chair,
        situation=intervention,
        owner_agency=cast.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    )
    item = services.add_to_agenda(actor=cast.chair, meeting=meeting, situation=presented)
    return SimpleNamespace(
        meeting=meeting,
        draft=draft,
        presented=presented,
        accepted=accepted,
        intervention=intervention,
        task=task,
        item=item,
    )


EVERY_SERVICE = {
    "create_situation": lambda c, w, a: services.create_situation(
        actor=a, table=c.table, **new_situation_kwargs()
    ),
    "update_situation": lambda c, w, a: services.update_situation(
        actor=a, situation=w.draft, narrative="Adult in their 30s."
    ),
    "attest_filter1": lambda c, w, a: services.attest_filter1(actor=a, situation=w.draft),
    "withdraw_situation": lambda c, w, a: services.withdraw_situation(
        actor=a, situation=w.presented, reason="Not needed."
    ),
    "record_filter2_decision": lambda c, w, a: services.record_filter2_decision(
        actor=a,
        situation=w.presented,
        disposition=F2Disposition.ACCEPTED,
        aer_elements=ALL_AER_ELEMENTS,
    ),
    "record_filter3": lambda c, w, a: services.record_filter3(
        actor=a, situation=w.accepted, agencies=[c.housing]
    ),
    "plan_intervention": lambda c, w, a: services.plan_intervention(
        actor=a, situation=w.intervention, lead_agency=c.housing
    ),
    "add_task": lambda c, w, a: services.add_task(
        actor=a,
        situation=w.intervention,
        owner_agency=c.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    ),
    "complete_task": lambda c, w, a: services.complete_task(actor=a, task=w.task),
    "record_report_back": lambda c, w, a: services.record_report_back(
        actor=a, situation=w.intervention, note="Update."
    ),
    "conclude_situation": lambda c, w, a: services.conclude_situation(
        actor=a, situation=w.intervention, reason=ConclusionReason.RISK_LOWERED
    ),
    "create_meeting": lambda c, w, a: services.create_meeting(
        actor=a, table=c.table, scheduled_at=timezone.now()
    ),
    "update_meeting": lambda c, w, a: services.update_meeting(
        actor=a, meeting=w.meeting, location="Elsewhere"
    ),
    "add_to_agenda": lambda c, w, a: services.add_to_agenda(
        actor=a, meeting=w.meeting, situation=w.accepted
    ),
    "remove_from_agenda": lambda c, w, a: services.remove_from_agenda(actor=a, item=w.item),
    "fill_agenda": lambda c, w, a: services.fill_agenda(actor=a, meeting=w.meeting),
    "record_attendance": lambda c, w, a: services.record_attendance(
        actor=a, meeting=w.meeting, agency=c.police, present=True
    ),
    "schedule_meeting": lambda c, w, a: services.schedule_meeting(
        actor=a, table=c.table, scheduled_at=timezone.now()
    ),
    "start_meeting": lambda c, w, a: services.start_meeting(actor=a, meeting=w.meeting),
    "close_meeting": lambda c, w, a: services.close_meeting(actor=a, meeting=w.meeting),
}


def _everything():
    return {
        "situations": list(Situation.objects.order_by("pk").values()),
        "changes": StatusChange.objects.count(),
        "decisions": Decision.objects.count(),
        "tasks": list(Task.objects.order_by("pk").values()),
        "meetings": list(Meeting.objects.order_by("pk").values()),
        "agenda": list(AgendaItem.objects.order_by("pk").values()),
        "attendance": Attendance.objects.count(),
    }


def test_every_service_is_covered_by_the_permission_sweep():
    public = {
        name
        for name in vars(services)
        if not name.startswith("_")
        and callable(getattr(services, name))
        and getattr(getattr(services, name), "__module__", "").startswith(services.__name__)
        and name != "InvalidTransition"
    }
    assert public == set(EVERY_SERVICE)


@pytest.mark.parametrize("who", ["outsider", "nobody"])
@pytest.mark.parametrize("service", sorted(EVERY_SERVICE))
def test_member_of_another_table_is_denied_every_service(cast, world, service, who):
    before = _everything()

    with pytest.raises(PermissionDenied):
        EVERY_SERVICE[service](cast, world, getattr(cast, who))

    assert _everything() == before
