"""Shared performance metrics of a table (the "seed recommendation 4" measures).

Pure functions over the member's scoped querysets (``situations_visible_to(access)``): each metric
is one aggregate query, so the dashboard costs the same fixed number of queries for 20 situations
or 20,000. Definitions, stated once so the screen, the CSV and the public report agree:

* A situation counts in a period when it was **discussed at Filter 2** in that period (the RTD
  counts discussions); its disposition is the table's latest Filter 2 decision.
* Risk, agency and outcome measures cover **accepted** situations only: rejected discussions keep
  limited data, as in the RTD. Demographics and originating sectors cover every discussion.
* **Service mobilization time** runs from the Filter 2 acceptance to the first intervention the
  lead agency reported.
* **Connection-to-services rate**: share of concluded situations concluded as "overall risk
  lowered" or "still AER — connected to services".
* **Attendance rate**: meetings an agency attended out of the meetings held (started) in the period.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import Agency
from agencies.permissions import Capability
from cases.models import (
    AgeGroup,
    Attendance,
    ConclusionReason,
    Discussion,
    F2Disposition,
    Gender,
    RiskCategory,
    Situation,
    Status,
)
from cases.selectors import meetings_visible_to, situations_visible_to

from .forms import DateRange
from .labels import agency_label, sector_label

CONNECTED_REASONS = (ConclusionReason.RISK_LOWERED, ConclusionReason.CONNECTED)
CROSSTAB_CATEGORIES = 8
CO_OCCURRING_PAIRS = 10


@dataclass(frozen=True)
class Tally:
    code: str
    label: str
    value: int


@dataclass(frozen=True)
class Month:
    month: datetime.date
    label: str
    accepted: int
    rejected: int
    returned: int

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.returned


@dataclass(frozen=True)
class Pair:
    first: Tally
    second: Tally
    value: int


@dataclass
class Crosstab:
    rows: list[tuple[str, str]]  # (code, label)
    columns: list[tuple[str, str]]
    values: dict[tuple[str, str], int]

    def value(self, row: str, column: str) -> int:
        return self.values.get((row, column), 0)

    def table(self) -> list[tuple[str, list[int]]]:
        return [(label, [self.value(r, c) for c, _l in self.columns]) for r, label in self.rows]


@dataclass(frozen=True)
class AgencyRole:
    code: str
    name: str
    short_name: str
    led: int
    assisted: int


@dataclass(frozen=True)
class AgencyAttendance:
    code: str
    name: str
    short_name: str
    present: int
    rate: float | None


@dataclass
class Mobilization:
    measured: int
    not_recorded: int
    median: datetime.timedelta | None
    buckets: list[Tally]

    @property
    def median_hours(self) -> float | None:
        return None if self.median is None else round(self.median.total_seconds() / 3600, 1)


@dataclass
class TableStatistics:
    period: DateRange
    months: list[Month]
    f2: list[Tally]
    risk_categories: list[Tally]
    age_groups: list[Tally]
    genders: list[Tally]
    originating_sectors: list[Tally]
    mobilization: Mobilization
    outcomes: list[Tally]
    co_occurring: list[Pair]
    risk_by_age: Crosstab
    risk_by_gender: Crosstab
    agencies: list[AgencyRole]
    meetings_held: int
    attendance: list[AgencyAttendance]

    @property
    def discussed(self) -> int:
        return sum(c.value for c in self.f2)

    @property
    def accepted(self) -> int:
        return next(c.value for c in self.f2 if c.code == F2Disposition.ACCEPTED)

    @property
    def acceptance_rate(self) -> float | None:
        return _rate(self.accepted, self.discussed)

    @property
    def concluded(self) -> int:
        return sum(c.value for c in self.outcomes)

    @property
    def connection_rate(self) -> float | None:
        connected = sum(c.value for c in self.outcomes if c.code in CONNECTED_REASONS)
        return _rate(connected, self.concluded)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent_value(rate: float | None):
    return "" if rate is None else round(rate * 100, 1)


def f2_short_label(code: str) -> str:
    return {
        F2Disposition.ACCEPTED: pgettext("situations", "Accepted"),
        F2Disposition.REJECTED: pgettext("situations", "Rejected"),
        F2Disposition.RETURNED: pgettext("situations", "Returned"),
    }[code]


def _intervention_within(after_hours: int | None, until_hours: int | None) -> Q:
    """First intervention more than ``after_hours`` and at most ``until_hours`` after F2."""
    accepted_at = F("f2_decided_at")
    q = Q(first_intervention_at__isnull=False)
    if after_hours is not None:
        q &= Q(first_intervention_at__gt=accepted_at + datetime.timedelta(hours=after_hours))
    if until_hours is not None:
        q &= Q(first_intervention_at__lte=accepted_at + datetime.timedelta(hours=until_hours))
    return q


def discussions(access, period: DateRange):
    """The table's Filter 2 discussions within the period. The RTD counts discussions: a
    situation returned and accepted later counts twice. Empty without the right to see
    statistics."""
    if not access.can(Capability.VIEW_STATISTICS):
        return Discussion.objects.none()
    return Discussion.objects.filter(table_id=access.table.pk, **period.filter_kwargs("decided_at"))


def discussed_situations(access, period: DateRange):
    """The member's situations discussed at Filter 2 within the period."""
    return situations_visible_to(access).filter(
        f2_decided_at__isnull=False, **period.filter_kwargs("f2_decided_at")
    )


def _month_key(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def _median(queryset, measured: int) -> datetime.timedelta | None:
    """The median duration in at most one small query: the middle row(s) by database order."""
    durations = queryset.annotate(
        duration=ExpressionWrapper(
            F("first_intervention_at") - F("f2_decided_at"), output_field=DurationField()
        )
    ).order_by("duration", "id")
    if measured == 0:
        return None
    low = (measured - 1) // 2
    middle = list(durations.values_list("duration", flat=True)[low : low + 2 - measured % 2])
    return sum(middle, datetime.timedelta()) / len(middle)


def compute_statistics(access, period: DateRange) -> TableStatistics:
    discussed = discussions(access, period)
    accepted = discussed_situations(access, period).filter(f2_disposition=F2Disposition.ACCEPTED)
    RiskThrough = Situation.risk_factors.through
    AssistThrough = Situation.assisting_agencies.through

    # Situations per month and Filter 2 decisions: one query.
    per_month: dict[datetime.date, dict[str, int]] = {}
    for month, disposition, n in (
        discussed.annotate(month=TruncMonth("decided_at"))
        .values_list("month", "disposition")
        .annotate(n=Count("id"))
        .order_by()
    ):
        per_month.setdefault(_month_key(month), {})[disposition] = n
    months = [
        Month(
            month=m,
            label=formats.date_format(m, "M Y"),
            accepted=per_month.get(m, {}).get(F2Disposition.ACCEPTED, 0),
            rejected=per_month.get(m, {}).get(F2Disposition.REJECTED, 0),
            returned=per_month.get(m, {}).get(F2Disposition.RETURNED, 0),
        )
        for m in period.months()
    ]
    f2 = [
        Tally(code, str(label), sum(per_month.get(m, {}).get(code, 0) for m in per_month))
        for code, label in F2Disposition.choices
    ]

    # The taxonomy, for labels: one query.
    categories = {c.pk: c for c in RiskCategory.objects.all()}

    def category(pk) -> tuple[str, str]:
        c = categories[pk]
        return c.code, c.name

    # Risk categories among accepted situations: one query.
    risk_counts = {
        pk: n
        for pk, n in RiskThrough.objects.filter(situation__in=accepted)
        .values_list("riskfactor__category_id")
        .annotate(n=Count("situation_id", distinct=True))
        .order_by()
    }
    ranked = sorted(risk_counts, key=lambda pk: (-risk_counts[pk], categories[pk].ordering))
    risk_categories = [Tally(*category(pk), risk_counts[pk]) for pk in ranked]

    # Age groups and genders of every discussion: one query.
    ages: dict[str, int] = {}
    genders: dict[str, int] = {}
    for age, gender, n in (
        discussed.values_list("age_group", "gender").annotate(n=Count("id")).order_by()
    ):
        ages[age] = ages.get(age, 0) + n
        genders[gender] = genders.get(gender, 0) + n
    age_groups = [
        Tally(code, str(label), ages.get(code, 0))
        for code, label in AgeGroup.choices
        if ages.get(code) or code != AgeGroup.UNKNOWN
    ]
    gender_counts = [
        Tally(code, str(label), genders.get(code, 0)) for code, label in Gender.choices
    ]

    # Originating sectors: one query.
    originating = sorted(
        (
            Tally(code, sector_label(code, name), n)
            for code, name, n in discussed.values_list(
                "originating_agency__sector__code", "originating_agency__sector__name"
            )
            .annotate(n=Count("id"))
            .order_by()
        ),
        key=lambda c: (-c.value, c.label),
    )

    # Service mobilization time: one aggregate, plus one query for the median.
    accepted_total = next(c.value for c in f2 if c.code == F2Disposition.ACCEPTED)
    buckets = accepted.aggregate(
        measured=Count("id", filter=Q(first_intervention_at__isnull=False)),
        h24=Count("id", filter=_intervention_within(None, 24)),
        h48=Count("id", filter=_intervention_within(24, 48)),
        d7=Count("id", filter=_intervention_within(48, 168)),
        later=Count("id", filter=_intervention_within(168, None)),
    )
    measured = buckets["measured"]
    mobilization = Mobilization(
        measured=measured,
        not_recorded=accepted_total - measured,
        median=_median(accepted.filter(first_intervention_at__isnull=False), measured),
        buckets=[
            Tally("within_24h", _("Within 24 hours"), buckets["h24"]),
            Tally("24h_to_48h", _("24 to 48 hours"), buckets["h48"]),
            Tally("2d_to_7d", _("2 to 7 days"), buckets["d7"]),
            Tally("over_7d", _("More than 7 days"), buckets["later"]),
            Tally("not_recorded", _("Not recorded yet"), accepted_total - measured),
        ],
    )

    # Conclusion outcomes: one query.
    reasons = dict(
        accepted.filter(status=Status.CONCLUDED)
        .values_list("conclusion_reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcomes = [
        Tally(code, str(label), reasons.get(code, 0)) for code, label in ConclusionReason.choices
    ]

    # Co-occurring risk categories: one self-join on the risk factor table.
    pairs = (
        RiskThrough.objects.filter(situation__in=accepted)
        .annotate(a=F("riskfactor__category_id"), b=F("situation__risk_factors__category_id"))
        .filter(a__lt=F("b"))
        .values_list("a", "b")
        .annotate(n=Count("situation_id", distinct=True))
        .order_by("-n", "a", "b")[:CO_OCCURRING_PAIRS]
    )
    co_occurring = [
        Pair(
            Tally(*category(a), risk_counts.get(a, 0)),
            Tally(*category(b), risk_counts.get(b, 0)),
            n,
        )
        for a, b, n in pairs
    ]

    # Risk categories by age group and by gender: one query for both.
    by_age: dict[tuple[str, str], int] = {}
    by_gender: dict[tuple[str, str], int] = {}
    for pk, age, gender, n in (
        RiskThrough.objects.filter(situation__in=accepted)
        .values_list("riskfactor__category_id", "situation__age_group", "situation__gender")
        .annotate(n=Count("situation_id", distinct=True))
        .order_by()
    ):
        code = categories[pk].code
        by_age[(code, age)] = by_age.get((code, age), 0) + n
        by_gender[(code, gender)] = by_gender.get((code, gender), 0) + n
    top = [(c.code, c.label) for c in risk_categories[:CROSSTAB_CATEGORIES]]
    risk_by_age = Crosstab(
        rows=top,
        columns=[
            (code, str(label))
            for code, label in AgeGroup.choices
            if any(by_age.get((r, code)) for r, _l in top)
        ],
        values=by_age,
    )
    risk_by_gender = Crosstab(
        rows=top,
        columns=[
            (code, str(label))
            for code, label in Gender.choices
            if any(by_gender.get((r, code)) for r, _l in top)
        ],
        values=by_gender,
    )

    # Lead and assisting agencies: two queries.
    led = dict(
        accepted.exclude(lead_agency=None)
        .values_list("lead_agency_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    assisted = dict(
        AssistThrough.objects.filter(situation__in=accepted)
        .values_list("agency_id")
        .annotate(n=Count("situation_id", distinct=True))
        .order_by()
    )

    # Attendance at the meetings held in the period: two queries.
    held = meetings_visible_to(access).filter(
        started_at__isnull=False, **period.filter_kwargs("scheduled_at")
    )
    meetings_held = held.count()
    present = dict(
        Attendance.objects.filter(meeting__in=held, present=True)
        .values_list("agency_id")
        .annotate(n=Count("meeting_id", distinct=True))
        .order_by()
    )

    # The agencies named above: the table's members, and any former member that led or assisted.
    membership = Agency.tables.through.objects.filter(table=access.table, agency=OuterRef("pk"))
    agencies = {
        a.pk: a
        for a in Agency.objects.annotate(is_member=Exists(membership)).filter(
            Q(is_member=True) | Q(pk__in=[*led, *assisted, *present])
        )
    }
    agency_roles = sorted(
        (
            AgencyRole(str(pk), agencies[pk].name, agency_label(agencies[pk]), led.get(pk, 0), n)
            for pk in agencies
            if (n := assisted.get(pk, 0)) or led.get(pk)
        ),
        key=lambda a: (-(a.led + a.assisted), a.name),
    )
    attendance = sorted(
        (
            AgencyAttendance(
                str(a.pk),
                a.name,
                agency_label(a),
                present.get(a.pk, 0),
                _rate(present.get(a.pk, 0), meetings_held),
            )
            for a in agencies.values()
            if a.pk in present or a.is_member
        ),
        key=lambda a: (-(a.rate or 0), a.name),
    )
    return TableStatistics(
        period=period,
        months=months,
        f2=f2,
        risk_categories=risk_categories,
        age_groups=age_groups,
        genders=gender_counts,
        originating_sectors=originating,
        mobilization=mobilization,
        outcomes=outcomes,
        co_occurring=co_occurring,
        risk_by_age=risk_by_age,
        risk_by_gender=risk_by_gender,
        agencies=agency_roles,
        meetings_held=meetings_held,
        attendance=attendance,
    )
