"""CSV exports: the RTD-compatible situation export, the meeting summary and the statistics.

Three rules hold for every CSV this module writes:

* **Formula injection is neutralised.** A cell that a spreadsheet would read as a formula (it starts
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with an apostrophe, as
  OWASP recommends. Free text typed by members (task descriptions, decision notes) ends up in
  these files and the files are opened in Excel by other agencies.
* **Exports start from the member's scoped selector** (``situations_visible_to(access)``), so an
  export can never show more than the screen.
* **The RTD export streams.** Rows are read with a server-side cursor in chunks, the many-to-many
  fields are fetched per chunk, and rows are yielded as they are written: memory stays flat
  whether a table has 200 situations or 100,000.
"""

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agencies.models import Agency, Sector
from cases.models import (
    AffectedPerson,
    AffectedRelationship,
    AgeGroup,
    ConclusionReason,
    Discussion,
    F2Disposition,
    Gender,
    ProtectiveFactor,
    RiskFactor,
    Situation,
    Status,
    StudyFlag,
    SubjectType,
)

from .labels import sector_label
from .statistics import f2_short_label, percent_value

# --- Formula-injection neutraliser and streaming writer ------------------------------------------

# Also the full-width forms, which some spreadsheet applications normalise before evaluating.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralize(value) -> str | int | float:
    """Return ``value`` safe for a spreadsheet cell. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return value
    text = str(value)
    stripped = text.lstrip(" ")
    if text.startswith(FORMULA_TRIGGERS) or stripped.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` returns what it was given (Django's streaming recipe)."""

    def write(self, value):
        return value


# Excel opens a UTF-8 CSV as Windows-1252 unless it starts with a byte-order mark, which would
# garble every French accent.
BOM = "\ufeff"


def csv_lines(header: Iterable, rows: Iterable[Iterable], *, batch: int = 200) -> Iterator[str]:
    """Yield the CSV text (BOM, header, rows) in blocks of ``batch`` rows, neutralised."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([neutralize(c) for c in header])
    block = []
    for row in rows:
        block.append(writer.writerow([neutralize(c) for c in row]))
        if len(block) >= batch:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    return "".join(csv_lines(header, rows))


def _date(value) -> str:
    return timezone.localdate(value).isoformat() if value else ""


# --- RTD-compatible export -----------------------------------------------------------------------

RTD_COLUMNS = [
    "situation_id",
    "subject_type",
    "age_group",
    "gender",
    "originating_sector",
    "filter1_date",
    "filter2_date",
    "filter2_decision",
    "filter3_date",
    "filter4_date",
    "first_intervention_date",
    "lead_sector",
    "assisting_sectors",
    "risk_categories",
    "risk_factors",
    "study_flags",
    "protective_factors",
    "affected_persons",
    "services_mobilized",
    "conclusion_date",
    "conclusion_reason",
    "status",
]

NOT_APPLICABLE = "N/A"

# The RTD keeps only limited data on discussions the table did not accept: everything from the
# risk factors to the conclusion is "N/A" for them, never merely empty. "Empty" means "none".
LIMITED_COLUMNS = frozenset(
    {
        "filter3_date",
        "filter4_date",
        "first_intervention_date",
        "lead_sector",
        "assisting_sectors",
        "risk_categories",
        "risk_factors",
        "study_flags",
        "protective_factors",
        "affected_persons",
        "services_mobilized",
        "conclusion_date",
        "conclusion_reason",
    }
)

CHUNK_SIZE = 200

# Row keys → lookups on ``Discussion``: one row per Filter 2 discussion (the RTD counts
# discussions), the limited fields as they stood at the discussion, the rest from the situation.
_MAIN_FIELDS = {
    "id": "situation_id",
    "number": "situation__number",
    "subject_type": "subject_type",
    "age_group": "age_group",
    "gender": "gender",
    "originating_agency_id": "originating_agency_id",
    "f1_attested_at": "situation__f1_attested_at",
    "f2_decided_at": "decided_at",
    "f2_disposition": "disposition",
    "f3_at": "situation__f3_at",
    "f4_planned_at": "situation__f4_planned_at",
    "first_intervention_at": "situation__first_intervention_at",
    "lead_agency_id": "situation__lead_agency_id",
    "concluded_at": "situation__concluded_at",
    "conclusion_reason": "situation__conclusion_reason",
    "status": "situation__status",
    "shown": "shown",
}


def rtd_situations(situations, date_range, *, table=None):
    """The Filter 2 discussions an RTD export covers: those held within the range, of the
    situations in ``situations`` (the member's scoped queryset, ``situations_visible_to``).

    The RTD counts discussions: a situation returned for more information and accepted later
    yields two rows, the returned one with the RTD's limited data only. A discussion of a
    situation the member may not know of (returned, so back inside its agency: Filter 1 is
    internal) is still counted, without its number.
    """
    shown = Exists(situations.filter(pk=OuterRef("situation_id")))
    if table is not None:
        scope = {"table_id": table.pk}
    else:
        scope = {"table_id__in": situations.order_by().values("table_id")[:1]}
    return (
        Discussion.objects.filter(**scope, **date_range.filter_kwargs("decided_at"))
        .annotate(shown=shown)
        .order_by("decided_at", "id")
    )


class _Taxonomy:
    """Small lookup tables loaded once per export (a constant number of queries)."""

    def __init__(self, labels: bool):
        self.labels = labels
        self.factors = {}  # id -> (order, code, label, category order, category code, label)
        for order, f in enumerate(RiskFactor.objects.select_related("category")):
            c = f.category
            self.factors[f.pk] = (
                (c.ordering, c.code, order),
                f.code if not labels else f.name,
                c.code if not labels else c.name,
            )
        self.flags = self._simple(StudyFlag)
        self.protective = self._simple(ProtectiveFactor)
        self.sectors = {
            s.pk: (s.ordering, s.code if not labels else sector_label(s.code, s.name))
            for s in Sector.objects.all()
        }
        self.agency_sector = {
            pk: (ordering, code if not labels else sector_label(code, name))
            for pk, ordering, code, name in Agency.objects.values_list(
                "pk", "sector__ordering", "sector__code", "sector__name"
            )
        }

    def _simple(self, model):
        return {
            item.pk: ((item.ordering, item.code), item.code if not self.labels else item.name)
            for item in model.objects.all()
        }

    def choice(self, choices, value: str) -> str:
        if not value:
            return ""
        return str(choices(value).label) if self.labels else value

    def joined(self, pairs) -> str:
        separator = "; " if self.labels else ";"
        seen = []
        for _key, value in sorted(pairs, key=lambda p: p[0]):
            if value not in seen:
                seen.append(value)
        return separator.join(seen)


def _chunks(iterator: Iterator, size: int) -> Iterator[list]:
    block = []
    for item in iterator:
        block.append(item)
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


def _many(ids: list[int]) -> dict[str, dict[int, list]]:
    """The many-to-many fields of one chunk of situations: six queries per chunk."""
    result = defaultdict(lambda: defaultdict(list))
    through = [
        ("factors", Situation.risk_factors.through, "riskfactor_id"),
        ("flags", Situation.study_flags.through, "studyflag_id"),
        ("protective", Situation.protective_factors.through, "protectivefactor_id"),
        ("assisting", Situation.assisting_agencies.through, "agency_id"),
        ("services", Situation.services_mobilized.through, "sector_id"),
    ]
    for name, model, column in through:
        for situation_id, target in model.objects.filter(situation_id__in=ids).values_list(
            "situation_id", column
        ):
            result[name][situation_id].append(target)
    for situation_id, relationship, age_group, count in (
        AffectedPerson.objects.filter(situation_id__in=ids)
        .order_by("id")
        .values_list("situation_id", "relationship", "age_group", "count")
    ):
        result["affected"][situation_id].append((relationship, age_group, count))
    return result


def rtd_rows(situations, *, labels: bool = False) -> Iterator[list]:
    """One list per Filter 2 discussion (``rtd_situations``), in ``RTD_COLUMNS`` order, codes by
    default.

    ``labels=True`` writes human-readable labels in the active language instead of codes (the
    header keeps its stable codes either way, so a spreadsheet template keeps working).
    """
    tax = _Taxonomy(labels)
    keys = list(_MAIN_FIELDS)
    rows = situations.values_list(*_MAIN_FIELDS.values()).iterator(chunk_size=CHUNK_SIZE)
    for chunk in _chunks(rows, CHUNK_SIZE):
        many = _many(list({r[0] for r in chunk}))
        for values in chunk:
            yield _rtd_row(dict(zip(keys, values, strict=True)), many, tax)


def _affected(persons, tax: _Taxonomy) -> str:
    if not tax.labels:
        return ";".join(f"{rel}:{age}:{count}" for rel, age, count in persons)
    return "; ".join(
        f"{count} × {AffectedRelationship(rel).label} ({AgeGroup(age).label})"
        for rel, age, count in persons
    )


def _rtd_row(s: dict, many, tax: _Taxonomy) -> list:
    pk = s["id"]
    factors = [tax.factors[f] for f in many["factors"].get(pk, []) if f in tax.factors]
    row = {
        "situation_id": s["number"] if s["shown"] else "",
        "subject_type": tax.choice(SubjectType, s["subject_type"]),
        "age_group": tax.choice(AgeGroup, s["age_group"]),
        "gender": tax.choice(Gender, s["gender"]),
        "originating_sector": tax.agency_sector.get(s["originating_agency_id"], (0, ""))[1],
        "filter1_date": _date(s["f1_attested_at"]),
        "filter2_date": _date(s["f2_decided_at"]),
        "filter2_decision": tax.choice(F2Disposition, s["f2_disposition"]),
        "filter3_date": _date(s["f3_at"]),
        "filter4_date": _date(s["f4_planned_at"]),
        "first_intervention_date": _date(s["first_intervention_at"]),
        "lead_sector": tax.agency_sector.get(s["lead_agency_id"], (0, ""))[1],
        "assisting_sectors": tax.joined(
            tax.agency_sector[a] for a in many["assisting"].get(pk, []) if a in tax.agency_sector
        ),
        "risk_categories": tax.joined((key[:1], category) for key, _f, category in factors),
        "risk_factors": tax.joined((key, factor) for key, factor, _c in factors),
        "study_flags": tax.joined(tax.flags[f] for f in many["flags"].get(pk, [])),
        "protective_factors": tax.joined(tax.protective[p] for p in many["protective"].get(pk, [])),
        "affected_persons": _affected(many["affected"].get(pk, []), tax),
        "services_mobilized": tax.joined(tax.sectors[x] for x in many["services"].get(pk, [])),
        "conclusion_date": _date(s["concluded_at"]) if s["status"] == Status.CONCLUDED else "",
        "conclusion_reason": (
            tax.choice(ConclusionReason, s["conclusion_reason"])
            if s["status"] == Status.CONCLUDED
            else ""
        ),
        "status": tax.choice(Status, s["status"]),
    }
    if s["f2_disposition"] != F2Disposition.ACCEPTED:
        for column in LIMITED_COLUMNS:
            row[column] = NOT_APPLICABLE
    if not s["shown"]:
        row["status"] = NOT_APPLICABLE
        row["filter1_date"] = ""
    return [row[column] for column in RTD_COLUMNS]


# --- Meeting summary -----------------------------------------------------------------------------


def meeting_summary_rows(summary) -> tuple[list, list[list]]:
    """The meeting summary as a spreadsheet: a meeting line, the attendance block and the agenda
    block, separated by empty lines, each block with its own (translated) header row."""
    meeting = summary.meeting
    local = timezone.localtime(meeting.scheduled_at)
    header = [_("Meeting summary"), summary.table_name]
    rows = [
        [_("Date"), local.strftime("%Y-%m-%d %H:%M")],
        [_("Kind"), summary.kind_label],
        [_("Location"), meeting.location],
        [],
        [_("Agency"), _("Sector"), _("Attendance")],
    ]
    rows += [[a.agency, a.sector, a.state_label] for a in summary.attendance]
    rows += [
        [],
        [
            _("Situation"),
            _("Agenda section"),
            _("Status"),
            _("Originating agency"),
            _("F2 decision"),
            _("F2 date"),
            _("Lead agency"),
            _("Assisting agencies"),
            _("Decisions at this meeting"),
            _("Tasks"),
            _("Conclusion"),
        ],
    ]
    for item in summary.items:
        rows.append(
            [
                item.number,
                item.section_label,
                item.status_label,
                item.originating_agency,
                item.f2_decision_label,
                item.f2_date.isoformat() if item.f2_date else "",
                item.lead_agency,
                "; ".join(item.assisting_agencies),
                " | ".join(f"{d.label}: {d.note}" if d.note else d.label for d in item.decisions),
                " | ".join(
                    _("%(owner)s: %(task)s (due %(due)s, %(state)s)")
                    % {
                        "owner": t.owner,
                        "task": t.description,
                        "due": t.due_date.isoformat(),
                        "state": t.state_label.lower(),
                    }
                    for t in item.tasks
                ),
                item.conclusion_label,
            ]
        )
    if not summary.items:
        rows.append([_("No situations were on the agenda.")])
    return header, rows


# --- Statistics ----------------------------------------------------------------------------------


def statistics_rows(stats) -> tuple[list, Iterator[list]]:
    """The dashboard's numbers in long form: one row per number, readable labels first and the
    stable codes after them for anyone who wants to join the file with other data."""
    header = [
        _("Metric"),
        _("Item"),
        _("Breakdown"),
        _("Value"),
        "metric_code",
        "item_code",
        "breakdown_code",
    ]
    return header, _statistics_long_rows(stats)


def _statistics_long_rows(stats):
    """Every number of the dashboard as (metric, item, breakdown, value, codes…) rows."""

    def row(metric_code, metric, item_code, item, value, b_code="", breakdown=""):
        return [metric, item, breakdown, value, metric_code, item_code, b_code]

    yield row(
        "period",
        _("Period"),
        "start",
        pgettext("date range", "From"),
        stats.period.start.isoformat(),
    )
    yield row(
        "period", _("Period"), "end", pgettext("date range", "To"), stats.period.end.isoformat()
    )
    yield row(
        "discussed", _("Situations discussed at Filter 2"), "total", _("Total"), stats.discussed
    )
    for m in stats.months:
        for code, value in (
            (F2Disposition.ACCEPTED, m.accepted),
            (F2Disposition.REJECTED, m.rejected),
            (F2Disposition.RETURNED, m.returned),
        ):
            yield row(
                "per_month",
                _("Situations per month"),
                m.month.strftime("%Y-%m"),
                m.label,
                value,
                code,
                f2_short_label(code),
            )
    for c in stats.f2:
        yield row("f2_decision", _("Filter 2 decisions"), c.code, c.label, c.value)
    simple = (
        ("risk_category", _("Risk categories (accepted situations)"), stats.risk_categories),
        ("age_group", _("Age groups"), stats.age_groups),
        ("gender", _("Gender"), stats.genders),
        ("originating_sector", _("Originating sectors"), stats.originating_sectors),
        ("mobilization_time", _("Service mobilization time"), stats.mobilization.buckets),
        ("conclusion", _("Conclusion outcomes"), stats.outcomes),
    )
    for code, label, counts in simple:
        for c in counts:
            yield row(code, label, c.code, c.label, c.value)
    yield row(
        "mobilization_time",
        _("Service mobilization time"),
        "median_hours",
        _("Median (hours)"),
        "" if stats.mobilization.median_hours is None else stats.mobilization.median_hours,
    )
    yield row(
        "connection_rate",
        _("Connection-to-services rate"),
        "percent",
        _("Percent of concluded situations"),
        percent_value(stats.connection_rate),
    )
    for p in stats.co_occurring:
        yield row(
            "co_occurring",
            _("Co-occurring risk categories"),
            p.first.code,
            p.first.label,
            p.value,
            p.second.code,
            p.second.label,
        )
    for code, label, tab in (
        ("risk_by_age", _("Risk categories by age group"), stats.risk_by_age),
        ("risk_by_gender", _("Risk categories by gender"), stats.risk_by_gender),
    ):
        for r_code, r_label in tab.rows:
            for c_code, c_label in tab.columns:
                yield row(code, label, r_code, r_label, tab.value(r_code, c_code), c_code, c_label)
    for a in stats.agencies:
        yield row("lead_agency", _("Lead agency"), a.code, a.name, a.led)
        yield row("assisting_agency", _("Assisting agency"), a.code, a.name, a.assisted)
    yield row("meetings_held", _("Meetings held"), "total", _("Total"), stats.meetings_held)
    for a in stats.attendance:
        yield row("attendance", _("Meetings attended"), a.code, a.name, a.present)
        yield row(
            "attendance_rate", _("Attendance rate (%)"), a.code, a.name, percent_value(a.rate)
        )
