"""Intake, editing, Filter 1 and withdrawal in the four-filter state machine (``cases.services``).

A representative logs a draft for their agency (numbered per table and year), edits it while it
is with the agency, attests Filter 1 to present it to the table, and may withdraw it until Filter
2 has decided. Every legal move is checked against the database (new state, ``StatusChange``
audit row); every illegal one is a :class:`~.helpers.Refusal` in ``REFUSALS``: it must raise a
clear error and leave the situation — or, at intake, the database — exactly as it was.
"""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.models import (
    AgeGroup,
    AgendaItem,
    Gender,
    RiskFactor,
    Situation,
    Status,
    StatusChange,
    SubjectType,
)
from core.exceptions import InvalidTransition

from ..factories import (
    MeetingFactory,
    SituationFactory,
    bring_to,
    new_situation_kwargs,
    risk_factors,
)
from .helpers import (
    IN_A_WEEK,
    PII_NARRATIVES,
    Refusal,
    assert_refused,
    changes,
    error_on,
    last_change,
    message_is,
    not_echoed,
    nothing_created,
    pii_error,
    refusals,
)

pytestmark = pytest.mark.django_db


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


def create(who="rep_police", **overrides):
    """A ``call`` logging a new situation for ``cast.table`` as ``cast.<who>``."""

    def call(cast, _):
        services.create_situation(
            actor=getattr(cast, who), table=cast.table, **new_situation_kwargs(**overrides)
        )

    return call


def retire_housing_homeless(cast, _):
    RiskFactor.objects.filter(code="housing.homeless").update(is_active=False)


def create_with_the_retired_risk_factor(cast, _):
    retired = RiskFactor.objects.get(code="housing.homeless")
    create(risk_factors=[RiskFactor.objects.get(code="drugs.person"), retired])(cast, None)


INTAKE_REFUSALS = [
    Refusal(
        "create-without-risk-factor",
        None,
        call=create(risk_factors=[]),
        error=ValidationError,
        check=error_on("risk_factors"),
        after=nothing_created(Situation, StatusChange),
    ),
    Refusal(
        "create-with-retired-risk-factor",
        None,
        setup=retire_housing_homeless,
        call=create_with_the_retired_risk_factor,
        error=ValidationError,
        check=error_on("risk_factors", ["A chosen risk factor has been retired."]),
        after=nothing_created(Situation),
    ),
    # A narrative with identifying information is refused without echoing it.
    *(
        Refusal(
            f"create-with-pii-{pii.id}",
            None,
            call=create(narrative=pii.text),
            error=ValidationError,
            check=pii_error(pii.leaked),
            after=nothing_created(Situation, StatusChange),
        )
        for pii in PII_NARRATIVES
    ),
    # Only members who log situations may create one.
    *(
        Refusal(
            f"create-by-{who}",
            None,
            call=create(who),
            error=PermissionDenied,
            after=nothing_created(Situation),
        )
        for who in ["coordinator", "privacy", "outsider", "nobody"]
    ),
]


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


def edit(who="rep_police", **fields):
    """A ``call`` editing the situation as ``cast.<who>``."""

    def call(cast, situation):
        services.update_situation(actor=getattr(cast, who), situation=situation, **fields)

    return call


EDITING_REFUSALS = [
    # Only the originating agency may edit.
    *(
        Refusal(
            f"edit-by-{who}",
            Status.DRAFT,
            call=edit(who, narrative="Adult in their 30s."),
            error=PermissionDenied,
        )
        for who in ["rep_housing", "chair", "coordinator", "outsider"]
    ),
    Refusal(
        "edit-after-concluded",
        Status.CONCLUDED,
        call=edit(narrative="Adult in their 30s."),
        error=InvalidTransition,
        check=message_is("A situation that is Concluded can no longer be edited."),
    ),
    # A situation cannot be edited after Filter 2.
    *(
        Refusal(
            f"edit-after-filter2-{status}",
            status,
            call=edit(gender=Gender.MALE),
            error=InvalidTransition,
            check="can no longer be edited",
        )
        for status in [Status.ACCEPTED, Status.INTERVENTION, Status.REJECTED, Status.WITHDRAWN]
    ),
    *(
        Refusal(
            f"edit-with-pii-{pii.id}",
            Status.DRAFT,
            call=edit(narrative=pii.text),
            error=ValidationError,
            check=pii_error(pii.leaked),
        )
        for pii in PII_NARRATIVES
    ),
    # An edit cannot touch fields outside the narrative.
    Refusal(
        "edit-status-field",
        Status.DRAFT,
        call=edit(status=Status.ACCEPTED),
        error=ValueError,
        check="cannot change status",
    ),
    Refusal(
        "edit-leaving-no-risk-factor",
        Status.DRAFT,
        call=edit(risk_factors=[]),
        error=ValidationError,
        check=error_on("risk_factors"),
    ),
]


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


def attest(who="rep_police"):
    def call(cast, situation):
        services.attest_filter1(actor=getattr(cast, who), situation=situation)

    return call


FILTER1_REFUSALS = [
    # Only the originating agency may attest Filter 1.
    *(
        Refusal(f"attest-by-{who}", Status.DRAFT, call=attest(who), error=PermissionDenied)
        for who in ["rep_housing", "rep_health", "chair", "coordinator", "privacy"]
    ),
    # Only a draft can be attested.
    *(
        Refusal(
            f"attest-when-{status}",
            status,
            call=attest(),
            error=InvalidTransition,
            check="Only a draft can be attested",
        )
        for status in [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED]
    ),
]


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


def withdraw(who, reason):
    def call(cast, situation):
        services.withdraw_situation(actor=getattr(cast, who), situation=situation, reason=reason)

    return call


WITHDRAWAL_REFUSALS = [
    # Others cannot withdraw a situation.
    *(
        Refusal(
            f"withdraw-by-{who}",
            Status.PRESENTED,
            call=withdraw(who, "No."),
            error=PermissionDenied,
        )
        for who in ["rep_housing", "coordinator", "privacy", "outsider"]
    ),
    Refusal(
        "withdraw-without-reason",
        Status.PRESENTED,
        call=withdraw("rep_police", "   "),
        error=ValidationError,
        check=error_on("reason"),
    ),
    # A situation cannot be withdrawn after Filter 2.
    *(
        Refusal(
            f"withdraw-when-{status}",
            status,
            call=withdraw("chair", "Done."),
            error=InvalidTransition,
            check="cannot be withdrawn",
        )
        for status in [Status.ACCEPTED, Status.REJECTED, Status.CONCLUDED]
    ),
    # The reason is stored in the audit trail, which is de-identified like everything in cases.
    Refusal(
        "withdraw-with-identifying-reason",
        Status.PRESENTED,
        call=withdraw("rep_police", "Mr. Smith moved away."),
        error=ValidationError,
        check=not_echoed("Smith"),
    ),
]


# --- Refused, and nothing changed ----------------------------------------------------------------

REFUSALS = INTAKE_REFUSALS + EDITING_REFUSALS + FILTER1_REFUSALS + WITHDRAWAL_REFUSALS


@pytest.mark.parametrize("case", refusals(REFUSALS))
def test_refused_and_nothing_changed(cast, case):
    assert_refused(cast, case)
