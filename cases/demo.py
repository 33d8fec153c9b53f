# ruff: noqa: E501 — the demo stories read better one per line
"""Demo situations, meetings and tasks for ``seed_demo`` — every state of the four filters.

Built through the real services (so numbers, audit rows and decisions are genuine), then moved
back in time where the story needs it. Idempotent: it does nothing if the demo table already has
meetings.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agencies.models import Sector, Table

from . import services
from .models import (
    Decision,
    Discussion,
    Meeting,
    ProtectiveFactor,
    RiskFactor,
    Situation,
    StatusChange,
    StudyFlag,
    Task,
)

AER = {name: True for name in services.AER_ELEMENTS}

# (rep sector, subject, age group, gender, risk factor codes, narrative, story)
STORIES = [
    (
        "education",
        "individual",
        "12-15",
        "female",
        ["missing-school.truancy", "mental-health.suspected", "negative-peers.person"],
        "Student has missed most of the last month. Staff report self-isolation and new older peers picking the youth up at lunch.",
        "draft",
    ),
    (
        "child-welfare",
        "family",
        "30-39",
        "female",
        ["parenting.ability", "housing.eviction", "poverty.person"],
        "Single parent with three young children facing eviction at month end; no family supports nearby.",
        "draft",
    ),
    (
        "police",
        "individual",
        "18-24",
        "male",
        ["drugs.person", "drugs.overdose", "criminal-involvement.person", "housing.homeless"],
        "Young adult involved in four overdose calls in ten days, sleeping outside, recent thefts to buy drugs.",
        "presented",
    ),
    (
        "housing",
        "individual",
        "60+",
        "male",
        ["housing.hoarding", "cognitive.dementia", "basic-needs.hygiene"],
        "Older tenant with severe hoarding creating a fire risk; neighbours report confusion and missed meals.",
        "presented",
    ),
    (
        "mental-health",
        "individual",
        "25-29",
        "gender_diverse",
        ["suicide.ideation", "mental-health.not-treated", "social-environment.isolation"],
        "Client disengaged from treatment after a loss, expressed suicidal thoughts to a worker, not answering calls.",
        "presented",
    ),
    (
        "income-support",
        "individual",
        "40-59",
        "male",
        ["unemployment.person", "poverty.person"],
        "Client lost employment and benefits are delayed; no safety concerns beyond finances.",
        "rejected",
    ),
    (
        "addictions",
        "individual",
        "18-24",
        "female",
        ["alcohol.person", "crime-victimization.person"],
        "Youth with escalating alcohol use, possibly victimized at parties; more information needed from the school.",
        "returned",
    ),
    (
        "police",
        "family",
        "16-17",
        "male",
        ["physical-violence.home", "emotional-violence.home", "missing-runaway.runaway"],
        "Repeated calls for violence in the home; teen has run away twice this month and sleeps at friends' homes.",
        "intervention",
    ),
    (
        "health-care",
        "individual",
        "40-59",
        "female",
        ["physical-health.chronic", "mental-health.diagnosed", "housing.unsafe"],
        "Patient with unmanaged diabetes missing appointments, living in a unit without heat; two emergency visits.",
        "intervention",
    ),
    (
        "mental-health",
        "individual",
        "30-39",
        "male",
        ["mental-health.diagnosed", "public-safety.threat", "gangs.threat"],
        "Client making threats in public spaces, reports being targeted by a group; stopped medication.",
        "accepted",
    ),
    (
        "housing",
        "individual",
        "25-29",
        "female",
        ["housing.eviction", "drugs.home", "supervision.child"],
        "Tenant at risk of eviction, drug use in the unit, an infant often left with different visitors.",
        "concluded:connected",
    ),
    (
        "police",
        "individual",
        "60+",
        "female",
        ["elderly-abuse.financial", "social-environment.isolation"],
        "Older adult whose relative controls finances; bills unpaid and food short.",
        "concluded:risk_lowered",
    ),
    (
        "child-welfare",
        "individual",
        "12-15",
        "male",
        ["missing-runaway.missing", "sexual-violence.victim"],
        "Youth missing for days at a time, concern about exploitation by adults met online.",
        "concluded:refused",
    ),
    (
        "education",
        "individual",
        "16-17",
        "female",
        ["missing-school.suspended", "antisocial-behaviour.threats"],
        "Suspended student making threats on social media; school resolved with family support.",
        "withdrawn",
    ),
    (
        "addictions",
        "individual",
        "40-59",
        "male",
        ["drugs.person", "self-harm.threat", "unemployment.person"],
        "Client relapsed after program discharge, talking about harming himself; refuses shelter.",
        "accepted",
    ),
]


def _user(username):
    return get_user_model().objects.get(username=username)


def _agency(table, sector_code):
    return table.agencies.filter(sector__code=sector_code).first()


def _shift(situation_ids, delta: datetime.timedelta):
    """Move the history of these situations back in time, consistently."""
    Situation.objects.filter(pk__in=situation_ids).update(
        created_at=F("created_at") - delta,
        f1_attested_at=F("f1_attested_at") - delta,
        f2_decided_at=F("f2_decided_at") - delta,
        f3_at=F("f3_at") - delta,
        f4_planned_at=F("f4_planned_at") - delta,
        first_intervention_at=F("first_intervention_at") - delta,
        concluded_at=F("concluded_at") - delta,
    )
    StatusChange.objects.filter(situation_id__in=situation_ids).update(at=F("at") - delta)
    Decision.objects.filter(situation_id__in=situation_ids).update(
        decided_at=F("decided_at") - delta
    )
    Task.objects.filter(situation_id__in=situation_ids).update(created_at=F("created_at") - delta)
    Discussion.objects.filter(situation_id__in=situation_ids).update(
        decided_at=F("decided_at") - delta
    )


@transaction.atomic
def seed_cases():
    table = Table.objects.get(code="NST")
    if Meeting.objects.filter(table=table).exists():
        return
    chair, coordinator = _user("chair"), _user("coordinator")
    now = timezone.localtime()
    today_10 = now.replace(hour=10, minute=0, second=0, microsecond=0)
    two_weeks = services.create_meeting(
        actor=coordinator,
        table=table,
        scheduled_at=today_10 - datetime.timedelta(days=14),
        location="City Hall, room 204",
    )
    last_week = services.create_meeting(
        actor=coordinator,
        table=table,
        scheduled_at=today_10 - datetime.timedelta(days=7),
        location="City Hall, room 204",
    )
    today = services.create_meeting(
        actor=coordinator,
        table=table,
        scheduled_at=today_10,
        location="City Hall, room 204",
        video_link="https://meet.example.invalid/northside",
    )
    next_week = services.create_meeting(
        actor=coordinator,
        table=table,
        scheduled_at=today_10 + datetime.timedelta(days=7),
        location="City Hall, room 204",
    )
    flags = {f.code: f for f in StudyFlag.objects.all()}
    protective = {p.code: p for p in ProtectiveFactor.objects.all()}

    decided_last_week, decided_two_weeks_ago = [], []
    for sector, subject, age, gender, codes, narrative, story in STORIES:
        rep = _user(f"rep-{sector}")
        situation = services.create_situation(
            actor=rep,
            table=table,
            subject_type=subject,
            age_group=age,
            gender=gender,
            narrative=narrative,
            risk_factors=RiskFactor.objects.filter(code__in=codes),
            study_flags=[flags["opioids"]] if "drugs.overdose" in codes else [],
            protective_factors=[protective["willing"]] if age == "60+" else [],
            affected_persons=(
                [{"relationship": "child", "age_group": "0-5", "count": 2}]
                if subject == "family"
                else []
            ),
        )
        if story == "draft":
            continue
        if story == "withdrawn":
            services.withdraw_situation(
                actor=rep, situation=situation, reason="Resolved by the school and the family."
            )
            continue
        situation = services.attest_filter1(actor=rep, situation=situation)
        if story == "presented":
            continue
        concluded = story.startswith("concluded")
        meeting = two_weeks if concluded else last_week
        (decided_two_weeks_ago if concluded else decided_last_week).append(situation.pk)
        services.add_to_agenda(actor=coordinator, meeting=meeting, situation=situation)
        if story in ("rejected", "returned"):
            services.record_filter2_decision(
                actor=chair,
                situation=situation,
                disposition=story,
                meeting=meeting,
                reason=(
                    "Not acutely elevated: the agency can address this with its own services."
                    if story == "rejected"
                    else "More information needed from the school."
                ),
            )
            continue
        situation = services.record_filter2_decision(
            actor=chair,
            situation=situation,
            disposition="accepted",
            aer_elements=AER,
            meeting=meeting,
        )
        if story == "accepted":
            continue
        originating = situation.originating_agency
        partners = [
            a
            for a in (
                _agency(table, "mental-health"),
                _agency(table, "police"),
                _agency(table, "housing"),
            )
            if a != originating
        ]
        situation = services.record_filter3(
            actor=chair,
            situation=situation,
            agencies=[originating, *partners[:2]],
            meeting=meeting,
        )
        situation = services.plan_intervention(
            actor=chair,
            situation=situation,
            lead_agency=originating,
            assisting_agencies=partners[:2],
            services_mobilized=Sector.objects.filter(
                code__in=[originating.sector.code, *[p.sector.code for p in partners[:2]]]
            ),
            note="Joint door knock within 48 hours.",
            meeting=meeting,
        )
        first = services.add_task(
            actor=chair,
            situation=situation,
            owner_agency=originating,
            description="Door knock with assisting agencies",
            due_date=now.date(),
            meeting=meeting,
        )
        second = services.add_task(
            actor=chair,
            situation=situation,
            owner_agency=partners[0],
            description="Offer an intake appointment",
            due_date=now.date() + datetime.timedelta(days=5),
            meeting=meeting,
        )
        services.complete_task(actor=chair, task=first)
        if concluded:
            situation = services.record_report_back(
                actor=chair,
                situation=situation,
                meeting=meeting,
                note="Door knock done; person accepted an appointment.",
                first_intervention_at=timezone.now(),
            )
            services.complete_task(actor=chair, task=second)
            services.conclude_situation(
                actor=chair,
                situation=situation,
                reason=story.split(":")[1],
                meeting=meeting,
            )
        else:
            # An overdue task for the reminders and dashboards to show.
            Task.objects.filter(pk=second.pk).update(
                due_date=now.date() - datetime.timedelta(days=2)
            )

    _shift(decided_last_week, datetime.timedelta(days=7))
    _shift(decided_two_weeks_ago, datetime.timedelta(days=14))
    for meeting in (two_weeks, last_week):
        for agency in table.agencies.all():
            services.record_attendance(
                actor=coordinator,
                meeting=meeting,
                agency=agency,
                present=agency.sector.code != "income-support",
            )
        services.start_meeting(actor=coordinator, meeting=meeting)
        services.close_meeting(actor=coordinator, meeting=meeting)
        Meeting.objects.filter(pk=meeting.pk).update(
            started_at=meeting.scheduled_at,
            closed_at=meeting.scheduled_at + datetime.timedelta(hours=2),
        )
    services.fill_agenda(actor=coordinator, meeting=today)
    services.fill_agenda(actor=coordinator, meeting=next_week)
