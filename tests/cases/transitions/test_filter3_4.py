"""Filters 3 and 4 and the end of the journey in the four-filter state machine (``cases.services``).

After a Filter 2 acceptance the chair names the agencies taking part (Filter 3, the situation
moves to *intervention*) and plans the intervention with a lead and assisting agencies (Filter
4). Follow-up tasks go to agencies in the intervention and are completed by their owners; the
lead agency reports back (recording the first intervention once); the chair concludes. The full
journey leaves one audit row per step. Every legal move is checked against the database; every
illegal one is a :class:`~.helpers.Refusal` in ``REFUSALS``: it must raise a clear error and
leave the situation exactly as it was.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from cases import services
from cases.models import (
    AgendaItem,
    ConclusionReason,
    Decision,
    DecisionKind,
    Situation,
    Status,
    Task,
)
from core.exceptions import InvalidTransition
from tests.factories import AgencyFactory

from ..factories import bring_to
from .helpers import (
    IN_A_WEEK,
    TODAY,
    Refusal,
    assert_refused,
    changes,
    error_on,
    errors_on_exactly,
    events,
    last_change,
    message_is,
    message_starts_with,
    pii_error,
    refusals,
)

pytestmark = pytest.mark.django_db


def stranger():
    return AgencyFactory(name="Agency Not At This Table")


def plan_with_housing_as_lead(cast, situation):
    """A ``setup``: the chair plans the intervention with housing as the lead agency."""
    return services.plan_intervention(
        actor=cast.chair, situation=situation, lead_agency=cast.housing
    )


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


def name_agencies(who="chair", agencies=lambda cast: [cast.housing]):
    """A ``call`` naming ``agencies(cast)`` at Filter 3 as ``cast.<who>``."""

    def call(cast, situation):
        services.record_filter3(
            actor=getattr(cast, who), situation=situation, agencies=agencies(cast)
        )

    return call


FILTER3_REFUSALS = [
    # Filter 3 comes only after a Filter 2 acceptance.
    *(
        Refusal(
            f"name-agencies-when-{status}",
            status,
            call=name_agencies(),
            error=InvalidTransition,
            check=message_starts_with("Filter 3 comes only after a Filter 2 acceptance"),
        )
        for status in [Status.DRAFT, Status.PRESENTED, Status.REJECTED, Status.INTERVENTION]
    ),
    Refusal(
        "name-an-agency-not-at-the-table",
        Status.ACCEPTED,
        call=name_agencies(agencies=lambda cast: [cast.housing, stranger()]),
        error=ValidationError,
        check=error_on("agencies", ["Choose agencies that sit at this table."]),
    ),
    Refusal(
        "name-no-agency",
        Status.ACCEPTED,
        call=name_agencies(agencies=lambda cast: []),
        error=ValidationError,
        check=error_on("agencies"),
    ),
    # Only the chair names agencies at Filter 3.
    *(
        Refusal(
            f"name-agencies-by-{who}",
            Status.ACCEPTED,
            call=name_agencies(who),
            error=PermissionDenied,
        )
        for who in ["rep_police", "rep_housing", "coordinator", "privacy"]
    ),
]


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


def plan(who="chair", lead=lambda cast: cast.housing, **kwargs):
    """A ``call`` planning the intervention with ``lead(cast)`` as ``cast.<who>``; keyword
    arguments that are functions are called with the cast."""

    def call(cast, situation):
        extra = {k: v(cast) if callable(v) else v for k, v in kwargs.items()}
        services.plan_intervention(
            actor=getattr(cast, who), situation=situation, lead_agency=lead(cast), **extra
        )

    return call


FILTER4_REFUSALS = [
    # The intervention is planned only after Filter 3.
    *(
        Refusal(
            f"plan-when-{status}",
            status,
            call=plan(),
            error=InvalidTransition,
            check="Plan the intervention after Filter 3",
        )
        for status in [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED]
    ),
    Refusal(
        "plan-with-a-lead-not-at-the-table",
        Status.INTERVENTION,
        call=plan(lead=lambda cast: stranger()),
        error=ValidationError,
        check=error_on("lead_agency"),
    ),
    Refusal(
        "plan-with-assisting-agencies-not-at-the-table",
        Status.INTERVENTION,
        call=plan(assisting_agencies=lambda cast: [stranger()]),
        error=ValidationError,
        check=error_on("assisting_agencies"),
    ),
    Refusal(
        "plan-without-a-lead",
        Status.INTERVENTION,
        call=plan(lead=lambda cast: None),
        error=ValidationError,
        check=error_on("lead_agency"),
    ),
    Refusal(
        "plan-note-with-pii",
        Status.INTERVENTION,
        call=plan(note="Visit 123 Main Street on Monday."),
        error=ValidationError,
        check=pii_error("123 Main Street"),
    ),
    # Only the chair plans the intervention.
    *(
        Refusal(f"plan-by-{who}", Status.INTERVENTION, call=plan(who), error=PermissionDenied)
        for who in ["rep_police", "rep_housing", "coordinator"]
    ),
]


# --- Tasks ---------------------------------------------------------------------------------------


def add_housing_task(cast, situation) -> Task:
    """The chair gives housing a task due in a week."""
    return services.add_task(
        actor=cast.chair,
        situation=situation,
        owner_agency=cast.housing,
        description="Offer a shelter bed.",
        due_date=TODAY() + IN_A_WEEK,
    )


@pytest.fixture
def housing_task(cast):
    return add_housing_task(cast, bring_to(Status.INTERVENTION, cast=cast))


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


def add_task(
    who="chair",
    owner=lambda cast: cast.housing,
    description="Offer a shelter bed.",
    due=lambda: TODAY() + IN_A_WEEK,
):
    """A ``call`` adding a task for ``owner(cast)`` due ``due()`` as ``cast.<who>``."""

    def call(cast, situation):
        services.add_task(
            actor=getattr(cast, who),
            situation=situation,
            owner_agency=owner(cast),
            description=description,
            due_date=due(),
        )

    return call


def complete_the_task(who):
    def call(cast, situation):
        services.complete_task(actor=getattr(cast, who), task=situation.tasks.get())

    return call


def with_a_housing_task(cast, situation):
    """A ``setup``: housing's task, open."""
    add_housing_task(cast, situation)
    return situation


def housing_task_done_by_its_rep(cast, situation):
    """A ``setup``: housing's task, already completed by the housing rep."""
    add_housing_task(cast, situation)
    services.complete_task(actor=cast.rep_housing, task=situation.tasks.get())
    return situation


def still_done_by_the_housing_rep(cast, situation):
    assert Task.objects.get(pk=situation.tasks.get().pk).done_by == cast.rep_housing


def description_refused_without_echo(exc):
    [message] = exc.message_dict["description"]
    assert "de-identified" in message
    assert "555" not in message


TASK_REFUSALS = [
    # Only the chair or the lead agency may add tasks.
    *(
        Refusal(
            f"add-task-by-{who}",
            Status.INTERVENTION,
            setup=plan_with_housing_as_lead,
            call=add_task(who, owner=lambda cast: cast.police, description="Check on wellbeing."),
            error=PermissionDenied,
        )
        for who in ["rep_police", "rep_health", "coordinator", "privacy"]
    ),
    Refusal(
        "task-due-in-the-past",
        Status.INTERVENTION,
        call=add_task(due=lambda: TODAY() - datetime.timedelta(days=1)),
        error=ValidationError,
        check=error_on("due_date", ["The due date cannot be in the past."]),
    ),
    # A task without description or due date reports both.
    Refusal(
        "task-without-description-or-due-date",
        Status.INTERVENTION,
        call=add_task(description=" ", due=lambda: None),
        error=ValidationError,
        check=errors_on_exactly("description", "due_date"),
    ),
    Refusal(
        "task-description-with-pii",
        Status.INTERVENTION,
        call=add_task(description="Call the mother at (416) 555 0123."),
        error=ValidationError,
        check=description_refused_without_echo,
    ),
    Refusal(
        "task-owner-not-at-the-table",
        Status.INTERVENTION,
        call=add_task(owner=lambda cast: stranger()),
        error=ValidationError,
        check=error_on("owner_agency"),
    ),
    # Tasks go only to agencies taking part in the intervention (housing and police named at F3).
    Refusal(
        "task-owner-not-in-the-intervention",
        Status.INTERVENTION,
        call=add_task(owner=lambda cast: cast.health),
        error=ValidationError,
        check="lead agency, an assisting agency",
    ),
    # Tasks belong to accepted situations only.
    *(
        Refusal(
            f"add-task-when-{status}",
            status,
            call=add_task(),
            error=InvalidTransition,
            check="Tasks belong to accepted situations",
        )
        for status in [Status.DRAFT, Status.PRESENTED, Status.CONCLUDED]
    ),
    Refusal(
        "complete-task-twice",
        Status.INTERVENTION,
        setup=housing_task_done_by_its_rep,
        call=complete_the_task("chair"),
        error=InvalidTransition,
        check=message_is("This task is already done."),
        after=still_done_by_the_housing_rep,
    ),
    # Only the owner agency or the chair completes a task.
    *(
        Refusal(
            f"complete-task-by-{who}",
            Status.INTERVENTION,
            setup=with_a_housing_task,
            call=complete_the_task(who),
            error=PermissionDenied,
        )
        for who in ["rep_police", "rep_health", "coordinator", "privacy"]
    ),
]


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


def report_back(who="chair", note="Update.", first_intervention_at=None):
    """A ``call`` reporting back as ``cast.<who>``; ``first_intervention_at`` is a function of
    the situation, when given."""

    def call(cast, situation):
        extra = {}
        if first_intervention_at is not None:
            extra["first_intervention_at"] = first_intervention_at(situation)
        services.record_report_back(
            actor=getattr(cast, who), situation=situation, note=note, **extra
        )

    return call


REPORT_BACK_REFUSALS = [
    Refusal(
        "first-intervention-before-the-filter2-acceptance",
        Status.INTERVENTION,
        call=report_back(
            note="Contact made.",
            first_intervention_at=lambda s: s.f2_decided_at - datetime.timedelta(hours=1),
        ),
        error=ValidationError,
        check=error_on(
            "first_intervention_at", ["The intervention cannot precede the F2 acceptance."]
        ),
    ),
    Refusal(
        "first-intervention-in-the-future",
        Status.INTERVENTION,
        call=report_back(
            note="Contact planned.",
            first_intervention_at=lambda s: timezone.now() + datetime.timedelta(days=1),
        ),
        error=ValidationError,
        check=error_on("first_intervention_at"),
    ),
    Refusal(
        "report-back-without-note",
        Status.INTERVENTION,
        call=report_back(note="  "),
        error=ValidationError,
        check=error_on("note"),
    ),
    Refusal(
        "report-back-note-with-pii",
        Status.INTERVENTION,
        call=report_back(note="Mrs. Jones took the bed."),
        error=ValidationError,
        check=pii_error("Jones"),
    ),
    # Report-back applies only during the intervention.
    *(
        Refusal(
            f"report-back-when-{status}",
            status,
            call=report_back(),
            error=InvalidTransition,
            check="Report-back applies during the intervention",
        )
        for status in [Status.PRESENTED, Status.ACCEPTED, Status.CONCLUDED]
    ),
    # Only the lead agency or the chair reports back.
    *(
        Refusal(
            f"report-back-by-{who}",
            Status.INTERVENTION,
            setup=plan_with_housing_as_lead,
            call=report_back(who),
            error=PermissionDenied,
        )
        for who in ["rep_police", "rep_health", "coordinator"]
    ),
]


# --- Conclusion ----------------------------------------------------------------------------------


def test_chair_concludes_the_intervention_with_a_reason(cast, meeting):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    services.record_report_back(
        actor=cast.chair, situation=situation, note="Door knock done; housing support offered."
    )

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


def conclude(who="chair", reason=ConclusionReason.RISK_LOWERED, **kwargs):
    """A ``call`` concluding the situation as ``cast.<who>``."""

    def call(cast, situation):
        services.conclude_situation(
            actor=getattr(cast, who), situation=situation, reason=reason, **kwargs
        )

    return call


CONCLUSION_REFUSALS = [
    Refusal(
        "conclude-twice",
        Status.CONCLUDED,
        call=conclude(),
        error=InvalidTransition,
        check=message_is("Only an accepted situation can be concluded; this one is Concluded."),
    ),
    # A situation that was never accepted cannot be concluded.
    *(
        Refusal(
            f"conclude-when-{status}",
            status,
            call=conclude(),
            error=InvalidTransition,
            check="Only an accepted situation can be concluded",
        )
        for status in [Status.DRAFT, Status.PRESENTED, Status.REJECTED, Status.WITHDRAWN]
    ),
    Refusal(
        "conclude-with-an-unknown-reason",
        Status.INTERVENTION,
        call=conclude(reason="bored"),
        error=ValidationError,
        check=error_on("reason"),
    ),
    Refusal(
        "conclusion-note-with-pii",
        Status.INTERVENTION,
        call=conclude(note="Moved to K1A 0B1."),
        error=ValidationError,
        check=pii_error("K1A 0B1"),
    ),
    # Only the chair concludes.
    *(
        Refusal(
            f"conclude-by-{who}", Status.INTERVENTION, call=conclude(who), error=PermissionDenied
        )
        for who in ["rep_police", "rep_housing", "coordinator", "privacy"]
    ),
    # Safe conclusion (issue 16): an intervention the table never heard back on is not
    # "risk lowered" or "connected" — only refused or unable to locate need no report back.
    *(
        Refusal(
            f"conclude-{reason}-without-a-report-back",
            Status.INTERVENTION,
            call=conclude(reason=reason),
            error=ValidationError,
            check=error_on(
                "reason",
                ["Record the report back first, or conclude as refused or unable to locate."],
            ),
        )
        for reason in [
            ConclusionReason.RISK_LOWERED,
            ConclusionReason.CONNECTED,
            ConclusionReason.INFORMED,
            ConclusionReason.TRANSFERRED,
        ]
    ),
    Refusal(
        "conclude-with-open-tasks-and-no-choice",
        Status.INTERVENTION,
        setup=lambda cast, situation: (add_housing_task(cast, situation), situation)[1],
        call=conclude(reason=ConclusionReason.UNABLE_TO_LOCATE),
        error=ValidationError,
        check=error_on("open_tasks", ["Say what happens to the open tasks of this situation."]),
    ),
]


@pytest.mark.parametrize("reason", [ConclusionReason.REFUSED, ConclusionReason.UNABLE_TO_LOCATE])
def test_an_intervention_that_could_not_happen_concludes_without_a_report_back(cast, reason):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    services.conclude_situation(actor=cast.chair, situation=situation, reason=reason)
    situation.refresh_from_db()
    assert (situation.status, situation.conclusion_reason) == (Status.CONCLUDED, reason)


@pytest.mark.parametrize(("choice", "still_open"), [("close", 0), ("keep", 1)])
def test_open_tasks_are_closed_or_kept_explicitly_on_conclusion(cast, choice, still_open):
    situation = bring_to(Status.INTERVENTION, cast=cast)
    task = add_housing_task(cast, situation)
    services.record_report_back(actor=cast.chair, situation=situation, note="Bed offered.")

    services.conclude_situation(
        actor=cast.chair, situation=situation, reason=ConclusionReason.CONNECTED, open_tasks=choice
    )

    task.refresh_from_db()
    assert situation.tasks.filter(done_at__isnull=True).count() == still_open
    if choice == "close":
        assert task.not_done_reason == "no_longer_needed" and task.done_by == cast.chair
    assert last_change(situation).data == {"reason": "connected", "open_tasks": choice}


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


# --- Refused, and nothing changed ----------------------------------------------------------------

REFUSALS = (
    FILTER3_REFUSALS + FILTER4_REFUSALS + TASK_REFUSALS + REPORT_BACK_REFUSALS + CONCLUSION_REFUSALS
)


@pytest.mark.parametrize("case", refusals(REFUSALS))
def test_refused_and_nothing_changed(cast, case):
    assert_refused(cast, case)
