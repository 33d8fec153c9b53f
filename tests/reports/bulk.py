"""Large, realistic situation histories generated fast with ``bulk_create``.

Used by the query-count and memory tests and by ``benchmarks/rtd_export_memory.py``. The rows
look like the real ones (accepted and rejected discussions, filter dates, lead and assisting
agencies, risk factors, study flags, affected persons) so the exports do their full work; they
skip the services on purpose, because 100,000 service calls would take many minutes.
"""

import datetime
import zoneinfo

from agencies.models import Sector
from cases.models import (
    AffectedPerson,
    Discussion,
    ProtectiveFactor,
    RiskFactor,
    Situation,
    Status,
    StudyFlag,
)

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
AGES = ["12-15", "16-17", "18-24", "25-29", "30-39", "40-59", "60+"]
GENDERS = ["female", "male", "gender_diverse", "unknown"]
REASONS = ["risk_lowered", "connected", "informed", "refused", "unable_to_locate"]


def bulk_situations(table, n, *, agencies, offset=0, year=2025, batch=2000):
    """Create ``n`` discussed situations on ``table`` spread over ``year``; every fifth one is
    rejected, the others accepted and mostly concluded. Returns how many were created."""
    factors = list(RiskFactor.objects.order_by("id").values_list("id", flat=True)[:24])
    flags = list(StudyFlag.objects.values_list("id", flat=True))
    protective = list(ProtectiveFactor.objects.values_list("id", flat=True))
    sectors = list(Sector.objects.values_list("id", flat=True))
    start = datetime.datetime(year, 1, 1, tzinfo=TORONTO)
    minutes = 364 * 24 * 60  # every discussion falls within the year, Toronto time
    created = 0
    for first in range(offset, offset + n, batch):
        rows = []
        for i in range(first, min(first + batch, offset + n)):
            decided = start + datetime.timedelta(minutes=(i * 7919) % minutes)
            accepted = i % 5 != 0
            concluded = accepted and i % 3 != 0
            lead = agencies[i % len(agencies)] if accepted else None
            rows.append(
                Situation(
                    table=table,
                    number=f"{table.code}-{year}-{i + 1:06d}",
                    year=year,
                    sequence=i + 1,
                    originating_agency=agencies[(i + 1) % len(agencies)],
                    subject_type="individual",
                    age_group=AGES[i % len(AGES)],
                    gender=GENDERS[i % len(GENDERS)],
                    narrative="Generated history.",
                    status=(
                        Status.REJECTED
                        if not accepted
                        else (Status.CONCLUDED if concluded else Status.INTERVENTION)
                    ),
                    created_at=decided - datetime.timedelta(days=3),
                    f1_attested_at=decided - datetime.timedelta(days=2),
                    f2_disposition="accepted" if accepted else "rejected",
                    f2_decided_at=decided,
                    f2_reason="" if accepted else "Not acutely elevated.",
                    f3_at=decided if accepted else None,
                    f4_planned_at=decided if accepted else None,
                    first_intervention_at=(
                        decided + datetime.timedelta(hours=6 + i % 200) if accepted else None
                    ),
                    lead_agency=lead,
                    concluded_at=decided + datetime.timedelta(days=14) if concluded else None,
                    conclusion_reason=REASONS[i % len(REASONS)] if concluded else "",
                )
            )
        rows = Situation.objects.bulk_create(rows, batch_size=1000)
        _bulk_relations(rows, agencies, factors, flags, protective, sectors)
        Discussion.objects.bulk_create(
            (
                Discussion.of(s, disposition=s.f2_disposition, decided_at=s.f2_decided_at)
                for s in rows
            ),
            batch_size=2000,
        )
        created += len(rows)
    return created


def _bulk_relations(rows, agencies, factors, flags, protective, sectors):
    through = Situation.risk_factors.through
    through.objects.bulk_create(
        (
            through(situation_id=s.pk, riskfactor_id=factors[(s.sequence + k * 7) % len(factors)])
            for s in rows
            for k in range(3)
        ),
        batch_size=5000,
    )
    accepted = [s for s in rows if s.lead_agency_id]
    flag_through = Situation.study_flags.through
    flag_through.objects.bulk_create(
        (
            flag_through(situation_id=s.pk, studyflag_id=flags[s.sequence % len(flags)])
            for s in accepted
            if s.sequence % 3 == 0
        ),
        batch_size=5000,
    )
    protective_through = Situation.protective_factors.through
    protective_through.objects.bulk_create(
        (
            protective_through(
                situation_id=s.pk, protectivefactor_id=protective[s.sequence % len(protective)]
            )
            for s in accepted
            if s.sequence % 2 == 0
        ),
        batch_size=5000,
    )
    assisting = Situation.assisting_agencies.through
    assisting.objects.bulk_create(
        (
            assisting(situation_id=s.pk, agency_id=a.pk)
            for s in accepted
            for a in agencies
            if a.pk != s.lead_agency_id
        ),
        batch_size=5000,
    )
    mobilized = Situation.services_mobilized.through
    mobilized.objects.bulk_create(
        (
            mobilized(situation_id=s.pk, sector_id=sectors[(s.sequence + k) % len(sectors)])
            for s in accepted
            for k in range(2)
        ),
        batch_size=5000,
    )
    AffectedPerson.objects.bulk_create(
        (
            AffectedPerson(situation_id=s.pk, relationship="child", age_group="0-5", count=2)
            for s in accepted
            if s.sequence % 4 == 0
        ),
        batch_size=5000,
    )
