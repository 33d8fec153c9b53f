"""Generate years of realistic history for benchmarks: ``seed_bulk --situations 100000``.

One busy table ("Bulk Situation Table", code BLK) with twelve agencies, weekly meetings over
several years, situations in the proportions tables report (most concluded, some rejected or
withdrawn), risk factors, affected persons, lead/assisting agencies, tasks, attendance, and
encrypted identifying information for part of them. The *current* workload stays the same size
whatever N is (a fixed number of open situations on today's agenda), so benchmarks can tell
whether pages slow down as history grows. Uses bulk_create in batches; refuses production.
"""

import datetime
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Membership, Role, Sector, Table
from cases.models import (
    AffectedPerson,
    AgendaItem,
    AgendaSection,
    Attendance,
    ConclusionReason,
    Decision,
    DecisionKind,
    Discussion,
    F2Disposition,
    Meeting,
    RiskFactor,
    Situation,
    Status,
    Task,
)

CODE = "BLK"
OPEN_SITUATIONS = 40  # the live workload, independent of N
TODAY_AGENDA = 12
AGE_GROUPS = ["12-15", "16-17", "18-24", "25-29", "30-39", "40-59", "60+"]
GENDERS = ["female", "male", "gender_diverse", "unknown"]
CLOSED_MIX = [(Status.CONCLUDED, 72), (Status.REJECTED, 20), (Status.WITHDRAWN, 8)]
CONCLUSIONS = [c for c, _label in ConclusionReason.choices]


class Command(BaseCommand):
    help = "Generate N situations of history on a benchmark table (PostgreSQL recommended)."

    def add_arguments(self, parser):
        parser.add_argument("--situations", type=int, default=10_000)
        parser.add_argument("--years", type=int, default=4)
        parser.add_argument("--identifying-share", type=float, default=0.2)
        parser.add_argument("--batch-size", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--reset", action="store_true", help="Delete the benchmark table's data first."
        )

    def handle(self, *args, situations, years, identifying_share, batch_size, seed, reset, **o):
        if settings.PRODUCTION:
            raise CommandError("seed_bulk refuses to run with DJANGO_ENV=production.")
        if situations < OPEN_SITUATIONS:
            raise CommandError(f"--situations must be at least {OPEN_SITUATIONS}.")
        rng = random.Random(seed)  # noqa: S311  # nosec B311  # benchmark data, not security
        table, agencies, users = self._table_agencies_people(reset)
        if Situation.objects.filter(table=table).exists():
            raise CommandError("The benchmark table already has data; pass --reset.")
        started = timezone.now()
        meetings = self._meetings(table, years)
        self._attendance(meetings, agencies, rng, batch_size)
        count = self._situations(
            table, agencies, users, meetings, situations, years, rng, batch_size
        )
        people = self._identifying_info(table, identifying_share, rng, batch_size)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} situations, {len(meetings)} meetings, {people} encrypted people on "
                f"table {CODE} (id {table.pk}) in {seconds:.1f} s."
            )
        )

    # --- reference data ------------------------------------------------------------------------

    def _table_agencies_people(self, reset):
        table, _ = Table.objects.get_or_create(
            code=CODE, defaults={"name": "Bulk Situation Table (benchmarks)"}
        )
        if reset:
            with transaction.atomic():
                Meeting.objects.filter(table=table).delete()
                Situation.objects.filter(table=table).delete()
        agencies = []
        for sector in Sector.objects.all():
            agency, _ = Agency.objects.get_or_create(
                name=f"Bulk {sector.name} agency",
                defaults={"short_name": f"B-{sector.code[:6].upper()}", "sector": sector},
            )
            agencies.append(agency)
        table.agencies.add(*agencies)
        User = get_user_model()
        users = {}
        for username, role, agency in [
            ("bulk-chair", Role.CHAIR, agencies[1]),
            ("bulk-coordinator", Role.COORDINATOR, agencies[-1]),
            ("bulk-rep", Role.REPRESENTATIVE, agencies[0]),
        ]:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
            Membership.objects.update_or_create(
                user=user, table=table, defaults={"agency": agency, "role": role}
            )
            users[role] = user
        return table, agencies, users

    def _meetings(self, table, years):
        now = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0)
        weeks = years * 52
        Meeting.objects.bulk_create(
            Meeting(
                table=table,
                scheduled_at=now - datetime.timedelta(weeks=w),
                location="Bulk room",
                started_at=now - datetime.timedelta(weeks=w) if w else None,
                closed_at=now - datetime.timedelta(weeks=w, hours=-2) if w else None,
            )
            for w in range(weeks, -1, -1)
        )
        return list(Meeting.objects.filter(table=table).order_by("scheduled_at"))

    def _attendance(self, meetings, agencies, rng, batch_size):
        Attendance.objects.bulk_create(
            (
                Attendance(meeting=m, agency=a, present=rng.random() < 0.85)
                for m in meetings[:-1]
                for a in agencies
            ),
            batch_size=batch_size,
        )

    # --- situations ----------------------------------------------------------------------------

    def _situations(self, table, agencies, users, meetings, total, years, rng, batch_size):
        factors = list(RiskFactor.objects.values_list("pk", flat=True))
        history = meetings[:-1]
        today = meetings[-1]
        per_year: dict[int, int] = {}
        rows, plan = [], []
        closed_statuses = [s for s, w in CLOSED_MIX for _ in range(w)]
        for index in range(total):
            open_case = index >= total - OPEN_SITUATIONS
            meeting = today if open_case else history[index * len(history) // total]
            created = meeting.scheduled_at - datetime.timedelta(days=rng.randint(1, 6))
            year = timezone.localtime(created).year
            per_year[year] = per_year.get(year, 0) + 1
            if open_case:
                status = rng.choice(
                    [Status.DRAFT, Status.PRESENTED, Status.ACCEPTED, Status.INTERVENTION]
                )
            else:
                status = rng.choice(closed_statuses)
            originating = rng.choice(agencies)
            partners = rng.sample([a for a in agencies if a != originating], 3)
            decided = (
                meeting.scheduled_at if status not in (Status.DRAFT, Status.PRESENTED) else None
            )
            accepted = status in (Status.ACCEPTED, Status.INTERVENTION, Status.CONCLUDED)
            rows.append(
                Situation(
                    table=table,
                    number=f"{CODE}-{year}-{per_year[year]:05d}",
                    year=year,
                    sequence=per_year[year],
                    originating_agency=originating,
                    subject_type="family" if rng.random() < 0.15 else "individual",
                    age_group=rng.choice(AGE_GROUPS),
                    gender=rng.choice(GENDERS),
                    narrative="Generated history: several calls in two weeks, risk across sectors.",
                    status=status,
                    f1_attested_at=created if status != Status.DRAFT else None,
                    f2_disposition=(
                        F2Disposition.ACCEPTED
                        if accepted
                        else F2Disposition.REJECTED
                        if status == Status.REJECTED
                        else ""
                    ),
                    f2_decided_at=decided,
                    f3_at=decided if status in (Status.INTERVENTION, Status.CONCLUDED) else None,
                    lead_agency=partners[0]
                    if status in (Status.INTERVENTION, Status.CONCLUDED)
                    else None,
                    f4_planned_at=decided
                    if status in (Status.INTERVENTION, Status.CONCLUDED)
                    else None,
                    first_intervention_at=(
                        decided + datetime.timedelta(hours=rng.randint(4, 96))
                        if status == Status.CONCLUDED
                        else None
                    ),
                    concluded_at=(
                        decided + datetime.timedelta(days=rng.randint(7, 28))
                        if status == Status.CONCLUDED
                        else None
                    ),
                    conclusion_reason=rng.choice(CONCLUSIONS) if status == Status.CONCLUDED else "",
                    aer_significant_interest=accepted,
                    aer_probability_of_harm=accepted,
                    aer_severity_of_harm=accepted,
                    aer_multi_sector=accepted,
                    created_by=users[Role.REPRESENTATIVE],
                    created_at=created,
                )
            )
            plan.append((meeting, partners, rng.sample(factors, rng.randint(2, 4))))
            if len(rows) >= batch_size:
                self._flush(rows, plan, today, users, rng, batch_size)
                rows, plan = [], []
        if rows:
            self._flush(rows, plan, today, users, rng, batch_size)
        return total

    def _flush(self, rows, plan, today, users, rng, batch_size):
        with transaction.atomic():
            created = Situation.objects.bulk_create(rows, batch_size=batch_size)
            through = Situation.risk_factors.through
            through.objects.bulk_create(
                (
                    through(situation_id=s.pk, riskfactor_id=f)
                    for s, (_m, _p, fs) in zip(created, plan, strict=True)
                    for f in fs
                ),
                batch_size=batch_size,
            )
            assisting = Situation.assisting_agencies.through
            f3 = Situation.f3_agencies.through
            with_plan = [
                (s, p)
                for s, (_m, p, _f) in zip(created, plan, strict=True)
                if s.status in (Status.INTERVENTION, Status.CONCLUDED)
            ]
            assisting.objects.bulk_create(
                (assisting(situation_id=s.pk, agency_id=a.pk) for s, p in with_plan for a in p[1:]),
                batch_size=batch_size,
            )
            f3.objects.bulk_create(
                (f3(situation_id=s.pk, agency_id=a.pk) for s, p in with_plan for a in p),
                batch_size=batch_size,
            )
            AffectedPerson.objects.bulk_create(
                AffectedPerson(situation=s, relationship="child", age_group="0-5", count=2)
                for s in created
                if s.subject_type == "family"
            )
            agenda, decisions, discussions, tasks = [], [], [], []
            positions: dict[int, int] = {}
            for s, (meeting, partners, _f) in zip(created, plan, strict=True):
                on_today = meeting.pk == today.pk
                if s.status != Status.DRAFT and (
                    not on_today or positions.get(today.pk, 0) < TODAY_AGENDA
                ):
                    positions[meeting.pk] = positions.get(meeting.pk, 0) + 1
                    section = (
                        AgendaSection.RETURNING
                        if s.status in (Status.ACCEPTED, Status.INTERVENTION) and on_today
                        else AgendaSection.NEW
                    )
                    agenda.append(
                        AgendaItem(
                            meeting=meeting,
                            situation=s,
                            section=section,
                            position=positions[meeting.pk],
                            discussed_at=None if on_today else meeting.scheduled_at,
                        )
                    )
                if s.f2_decided_at:
                    kind = {
                        F2Disposition.ACCEPTED: DecisionKind.F2_ACCEPTED,
                        F2Disposition.REJECTED: DecisionKind.F2_REJECTED,
                    }.get(s.f2_disposition)
                    if kind:
                        decisions.append(
                            Decision(
                                situation=s,
                                meeting=meeting,
                                kind=kind,
                                decided_by=users[Role.CHAIR],
                                decided_at=s.f2_decided_at,
                            )
                        )
                        discussions.append(
                            Discussion.of(
                                s,
                                disposition=s.f2_disposition,
                                decided_at=s.f2_decided_at,
                                meeting=meeting,
                            )
                        )
                if s.status in (Status.INTERVENTION, Status.CONCLUDED):
                    done = s.status == Status.CONCLUDED
                    for n, agency in enumerate(partners[: rng.randint(1, 3)]):
                        tasks.append(
                            Task(
                                situation=s,
                                owner_agency=agency,
                                description="Door knock and follow-up" if n == 0 else "Intake",
                                due_date=(s.f2_decided_at + datetime.timedelta(days=2 + n)).date(),
                                done_at=s.concluded_at if done else None,
                                meeting=meeting,
                                created_by=users[Role.CHAIR],
                                created_at=s.f2_decided_at,
                            )
                        )
            AgendaItem.objects.bulk_create(agenda, batch_size=batch_size)
            Decision.objects.bulk_create(decisions, batch_size=batch_size)
            Discussion.objects.bulk_create(discussions, batch_size=batch_size)
            Task.objects.bulk_create(tasks, batch_size=batch_size)

    # --- identifying information ---------------------------------------------------------------

    def _identifying_info(self, table, share, rng, batch_size):
        from consent.models import IdentifyingInfo

        given = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie"]
        family = ["Bulkson", "Generated", "Examplar", "Testwood", "Sampleton", "Fakeridge"]
        ids = list(
            Situation.objects.filter(table=table)
            .exclude(status=Status.REJECTED)
            .values_list("pk", flat=True)
        )
        chosen = rng.sample(ids, int(len(ids) * share))
        batch = []
        for situation_id in chosen:
            person = IdentifyingInfo(situation_id=situation_id)
            person.encrypt(
                {
                    "given_name": rng.choice(given),
                    "family_name": rng.choice(family),
                    "date_of_birth": datetime.date(
                        rng.randint(1950, 2012), rng.randint(1, 12), rng.randint(1, 28)
                    ).isoformat(),
                    "address": f"{rng.randint(1, 999)} Generated Street",
                }
            )
            batch.append(person)
            if len(batch) >= batch_size:
                IdentifyingInfo.objects.bulk_create(batch)
                batch = []
        IdentifyingInfo.objects.bulk_create(batch)
        return len(chosen)
