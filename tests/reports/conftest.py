"""A fixed, hand-countable history of the test table, built through the real services.

Every step runs at a fixed instant (time-machine), so dates, months and durations are known in
advance and the tests compare the reports with numbers worked out by hand:

=====  ===========  ========  ======  ============================  =====================
name   originator   age       gender  risk factors                  story
=====  ===========  ========  ======  ============================  =====================
s0     police       30-39     female  alcohol.person                accepted 10 Dec 2024
s1     police       18-24     male    drugs.person housing.homeless accepted 15 Jan, first
                                                                    intervention +24 h,
                                                                    concluded "connected"
s2     housing      25-29     female  housing.eviction              accepted 15 Jan, +48 h,
                                      mental-health.suspected       concluded "refused"
s3     police       18-24     female  drugs.overdose                accepted 5 Feb, +5 days
                                      mental-health.diagnosed
s4     health       40-59     male    poverty.person                rejected 5 Feb
s5     police       60+       female  housing.hoarding              returned 12 Mar
s6     housing      12-15     male    missing-school.truancy        accepted 31 Mar 22:30
                                      drugs.person                  (Toronto time)
s7     police       30-39     male    drugs.person                  draft, never presented
=====  ===========  ========  ======  ============================  =====================

Meetings (all started and closed): 10 Dec 2024, 15 Jan, 5 Feb and 12 Mar 2025. Attendance in
2025: police 3 of 3, housing 2 of 3 (absent 5 Feb), health 1 of 3 (15 Jan only).
The other table has one accepted situation in February 2025 that must never appear.
The people are given the demo cast's surnames so tests can prove no name reaches an export.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

import pytest
import time_machine

from agencies.models import Sector
from cases import services
from cases.models import Meeting, ProtectiveFactor, RiskFactor, Situation, StudyFlag
from reports.forms import DateRange

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
AER = dict.fromkeys(services.AER_ELEMENTS, True)
PERIOD = DateRange(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
PERSON_NAMES = ["Tremblay", "Whitfield", "Okafor", "Leblanc", "Kowalski", "Mensah"]
NARRATIVE_MARK = "sleeping in a stairwell"


def at(year, month, day, hour=10, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TORONTO)


@dataclass
class Seeded:
    cast: object
    s: dict[str, Situation]
    meetings: dict[str, Meeting]

    def number(self, name: str) -> str:
        return self.s[name].number


@pytest.fixture
def seeded(cast) -> Seeded:
    for user, (first, last) in (
        (cast.chair, ("Dana", "Whitfield")),
        (cast.coordinator, ("Sam", "Okafor")),
        (cast.rep_police, ("Marc", "Leblanc")),
        (cast.rep_housing, ("Nina", "Kowalski")),
        (cast.rep_health, ("Luc", "Tremblay")),
        (cast.privacy, ("Grace", "Mensah")),
    ):
        user.first_name, user.last_name = first, last
        user.save()

    def travel(moment):
        return time_machine.travel(moment, tick=False)

    def meeting(moment, table=cast.table, actor=cast.coordinator):
        with travel(moment - datetime.timedelta(days=7)):
            return services.create_meeting(actor=actor, table=table, scheduled_at=moment)

    meetings = {
        "dec": meeting(at(2024, 12, 10)),
        "jan": meeting(at(2025, 1, 15)),
        "feb": meeting(at(2025, 2, 5)),
        "mar": meeting(at(2025, 3, 12)),
    }
    for m in meetings.values():
        with travel(m.scheduled_at):
            services.start_meeting(actor=cast.coordinator, meeting=m)

    def presented(rep, moment, age, gender, codes, *, attest=True, **extra):
        with travel(moment):
            s = services.create_situation(
                actor=rep,
                table=rep_table(rep),
                subject_type="individual",
                age_group=age,
                gender=gender,
                narrative=f"Person {NARRATIVE_MARK}, three calls this week.",
                risk_factors=RiskFactor.objects.filter(code__in=codes),
                **extra,
            )
            if attest:
                s = services.attest_filter1(actor=rep, situation=s)
        return s

    def rep_table(rep):
        return cast.other_table if rep == cast.outsider else cast.table

    def decide(s, moment, m, disposition="accepted", reason=""):
        with travel(moment):
            if m is not None:
                services.add_to_agenda(actor=cast.coordinator, meeting=m, situation=s)
            return services.record_filter2_decision(
                actor=cast.chair if s.table == cast.table else cast.outsider,
                situation=s,
                disposition=disposition,
                reason=reason,
                aer_elements=AER,
                meeting=m,
            )

    def plan(s, moment, m, lead, assisting, tasks=()):
        with travel(moment):
            s = services.record_filter3(
                actor=cast.chair, situation=s, agencies=[lead, *assisting], meeting=m
            )
            s = services.plan_intervention(
                actor=cast.chair,
                situation=s,
                lead_agency=lead,
                assisting_agencies=assisting,
                services_mobilized=Sector.objects.filter(
                    code__in=[a.sector.code for a in (lead, *assisting)]
                ),
                note="Joint door knock within 48 hours.",
                meeting=m,
            )
            for owner, description, due in tasks:
                services.add_task(
                    actor=cast.chair,
                    situation=s,
                    owner_agency=owner,
                    description=description,
                    due_date=due,
                    meeting=m,
                )
        return s

    def intervened(s, moment):
        with travel(moment):
            return services.record_report_back(
                actor=cast.chair,
                situation=s,
                note="Door knock done; an appointment was accepted.",
                first_intervention_at=moment,
            )

    def conclude(s, moment, m, reason):
        with travel(moment):
            services.add_to_agenda(actor=cast.coordinator, meeting=m, situation=s)
            return services.conclude_situation(
                actor=cast.chair, situation=s, reason=reason, meeting=m, open_tasks="keep"
            )

    police, housing, health = cast.police, cast.housing, cast.health
    jan, feb, mar, dec = meetings["jan"], meetings["feb"], meetings["mar"], meetings["dec"]
    s = {}

    s["s0"] = presented(cast.rep_police, at(2024, 12, 5), "30-39", "female", ["alcohol.person"])
    s["s0"] = decide(s["s0"], at(2024, 12, 10), dec)

    s["s1"] = presented(
        cast.rep_police,
        at(2025, 1, 10),
        "18-24",
        "male",
        ["drugs.person", "housing.homeless"],
        study_flags=StudyFlag.objects.filter(code="opioids"),
        protective_factors=ProtectiveFactor.objects.filter(code="willing"),
        affected_persons=[{"relationship": "sibling", "age_group": "12-15", "count": 1}],
    )
    s["s2"] = presented(
        cast.rep_housing,
        at(2025, 1, 12),
        "25-29",
        "female",
        ["housing.eviction", "mental-health.suspected"],
    )
    s["s1"] = decide(s["s1"], at(2025, 1, 15, 10, 0), jan)
    s["s1"] = plan(
        s["s1"],
        at(2025, 1, 15, 10, 5),
        jan,
        police,
        [housing],
        tasks=[
            (police, "Door knock with housing outreach", datetime.date(2025, 1, 17)),
            (housing, "Offer a shelter bed", datetime.date(2025, 1, 20)),
        ],
    )
    s["s2"] = decide(s["s2"], at(2025, 1, 15, 10, 20), jan)
    s["s2"] = plan(s["s2"], at(2025, 1, 15, 10, 25), jan, housing, [police, health])
    s["s1"] = intervened(s["s1"], at(2025, 1, 16, 10, 0))  # 24 hours after acceptance
    s["s2"] = intervened(s["s2"], at(2025, 1, 17, 10, 20))  # 48 hours

    s["s3"] = presented(
        cast.rep_police,
        at(2025, 2, 1),
        "18-24",
        "female",
        ["drugs.overdose", "mental-health.diagnosed"],
    )
    s["s4"] = presented(cast.rep_health, at(2025, 2, 2), "40-59", "male", ["poverty.person"])
    s["s7"] = presented(
        cast.rep_police, at(2025, 2, 20), "30-39", "male", ["drugs.person"], attest=False
    )
    s["s3"] = decide(s["s3"], at(2025, 2, 5, 10, 0), feb)
    s["s3"] = plan(s["s3"], at(2025, 2, 5, 10, 5), feb, health, [police])
    s["s4"] = decide(
        s["s4"], at(2025, 2, 5, 10, 20), feb, "rejected", "The agency can address this alone."
    )
    s["s1"] = conclude(s["s1"], at(2025, 2, 5, 10, 40), feb, "connected")
    s["s2"] = conclude(s["s2"], at(2025, 2, 5, 10, 50), feb, "refused")
    s["s3"] = intervened(s["s3"], at(2025, 2, 10, 10, 0))  # 5 days

    s["s5"] = presented(cast.rep_police, at(2025, 3, 1), "60+", "female", ["housing.hoarding"])
    s["s6"] = presented(
        cast.rep_housing,
        at(2025, 3, 5),
        "12-15",
        "male",
        ["missing-school.truancy", "drugs.person"],
    )
    s["s5"] = decide(s["s5"], at(2025, 3, 12), mar, "returned", "More information needed.")
    # Decided late in the evening: already 1 April in UTC, still 31 March in Toronto.
    s["s6"] = decide(s["s6"], at(2025, 3, 31, 22, 30), None)

    elsewhere = presented(cast.outsider, at(2025, 2, 1), "18-24", "male", ["drugs.person"])
    decide(elsewhere, at(2025, 2, 5), None)

    attendance = {
        "jan": {police: True, housing: True, health: True},
        "feb": {police: True, housing: False},
        "mar": {police: True, housing: True},
    }
    for key, present in attendance.items():
        m = meetings[key]
        with travel(m.scheduled_at):
            for agency, here in present.items():
                services.record_attendance(
                    actor=cast.coordinator, meeting=m, agency=agency, present=here
                )
    for m in meetings.values():
        with travel(m.scheduled_at + datetime.timedelta(hours=2)):
            services.close_meeting(actor=cast.coordinator, meeting=m)
    for name in s:
        s[name].refresh_from_db()
    return Seeded(
        cast=cast, s=s, meetings={k: Meeting.objects.get(pk=m.pk) for k, m in meetings.items()}
    )
