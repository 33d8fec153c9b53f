"""Situations, meetings and tasks for notification tests, made through the real services."""

import datetime
import zoneinfo

from django.utils import timezone

from cases import services
from cases.models import RiskFactor

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
AER = dict.fromkeys(services.AER_ELEMENTS, True)
# Words that must never reach an email, a task argument or a log line.
NARRATIVE = "Adult in their 40s, sleeps in a stairwell, three police calls in ten days."
TASK_DESCRIPTION = "Door knock with the outreach nurse"


def local(year, month, day, hour=0, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=TORONTO)


def situation(cast, *, rep=None, stage="accepted", lead=None):
    """A situation of ``cast.table`` at ``stage``: presented, accepted or intervention."""
    rep = rep or cast.rep_police
    s = services.create_situation(
        actor=rep,
        table=cast.table,
        subject_type="individual",
        age_group="40-59",
        gender="male",
        narrative=NARRATIVE,
        risk_factors=RiskFactor.objects.filter(code__in=["drugs.person", "housing.homeless"]),
    )
    s = services.attest_filter1(actor=rep, situation=s)
    if stage == "presented":
        return s
    s = services.record_filter2_decision(
        actor=cast.chair, situation=s, disposition="accepted", aer_elements=AER
    )
    if stage == "accepted":
        return s
    s = services.record_filter3(
        actor=cast.chair, situation=s, agencies=[cast.police, cast.housing, cast.health]
    )
    if lead is not None:
        s = services.plan_intervention(actor=cast.chair, situation=s, lead_agency=lead)
    return s


def task(cast, situation, *, owner, due: datetime.date):
    return services.add_task(
        actor=cast.chair,
        situation=situation,
        owner_agency=owner,
        description=TASK_DESCRIPTION,
        due_date=due,
    )


def meeting(cast, at: datetime.datetime, *, table=None, agenda=(), actor=None):
    table = table or cast.table
    actor = actor or (cast.coordinator if table == cast.table else cast.outsider)
    m = services.create_meeting(actor=actor, table=table, scheduled_at=at)
    for s in agenda:
        services.add_to_agenda(actor=actor, meeting=m, situation=s)
    return m


def today() -> datetime.date:
    return timezone.localdate()
