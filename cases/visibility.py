"""Who sees what of a situation: the visibility table of DESIGN §2a, as code.

The four filters are rules about *information*: each filter widens or narrows who may know each
part of a situation. This module is the one place that decides it. Selectors use
:func:`visible_situations` (existence, in SQL); views, templates, serializers, exports, PDFs,
notifications and statistics ask :func:`sight` which parts of one situation a member may see, and
leave the other parts out of the response altogether.

Parts of a situation:

* ``existence`` — number, status, originating agency, filter dates;
* ``limited`` — subject type, age group and gender (the RTD's limited fields, kept for rejected
  discussions);
* ``summary`` — the de-identified facts: ``limited`` plus risk factors, study flags, protective
  factors and affected persons;
* ``narrative``;
* ``identifying`` — eligibility for identifying information (the fields themselves also need a
  recorded, active disclosure: ``consent.selectors.disclosed_fields_for``);
* ``f4_detail`` — Filter 4 working detail: plan text, task text, intervention notes;
* ``report_back`` — the de-identified report-back summary given to the whole table;
* ``decisions`` — the F2 disposition and reason, the agencies named at F3, lead and assisting
  agencies, the conclusion;
* ``disclosure_meta`` — who disclosed what to whom, when and on what basis (never values).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from agencies.permissions import Capability, TableAccess

from .models import Situation, Status


class Part(StrEnum):
    EXISTENCE = "existence"
    LIMITED = "limited"
    SUMMARY = "summary"
    NARRATIVE = "narrative"
    IDENTIFYING = "identifying"
    F4_DETAIL = "f4_detail"
    REPORT_BACK = "report_back"
    DECISIONS = "decisions"
    DISCLOSURE_META = "disclosure_meta"


class Audience(StrEnum):
    """The columns of the visibility table. One member can be in several (a chair whose agency
    originated the situation); they then see the union."""

    ORIGINATING = "originating"
    CHAIR_COORDINATOR = "chair_coordinator"
    NAMED_F3 = "named_f3"
    INTERVENING = "intervening"  # lead or assisting agency at Filter 4
    MEMBER = "member"  # any other member agency
    PRIVACY_OFFICER = "privacy_officer"


class Stage(StrEnum):
    """The rows of the visibility table."""

    INTERNAL = "internal"  # draft, returned, or withdrawn before Filter 1 attestation
    PRESENTED = "presented"  # F1 attested, F2 pending (or withdrawn after attestation)
    REJECTED = "rejected"
    ACCEPTED = "accepted"  # accepted at F2, Filter 3 pending
    INTERVENTION = "intervention"
    CONCLUDED = "concluded"


P = Part
A = Audience
EVERYTHING = frozenset(Part)
_DEIDENTIFIED = frozenset({P.EXISTENCE, P.LIMITED, P.SUMMARY, P.NARRATIVE})
_DECIDED = _DEIDENTIFIED | {P.DECISIONS}
_METADATA = frozenset({P.EXISTENCE, P.DECISIONS, P.DISCLOSURE_META})

# DESIGN §2a, cell by cell. A missing cell means "nothing" (not even existence).
TABLE: dict[Stage, dict[Audience, frozenset[Part]]] = {
    Stage.INTERNAL: {
        A.ORIGINATING: EVERYTHING,
    },
    Stage.PRESENTED: {
        A.ORIGINATING: EVERYTHING,
        A.CHAIR_COORDINATOR: _DEIDENTIFIED,
        A.MEMBER: _DEIDENTIFIED,
        A.PRIVACY_OFFICER: frozenset({P.EXISTENCE, P.LIMITED, P.SUMMARY}),
    },
    Stage.REJECTED: {
        A.ORIGINATING: EVERYTHING,
        A.CHAIR_COORDINATOR: frozenset({P.EXISTENCE, P.DECISIONS, P.LIMITED}),
        A.MEMBER: frozenset({P.EXISTENCE, P.DECISIONS}),
        A.PRIVACY_OFFICER: frozenset({P.EXISTENCE, P.DECISIONS}),
    },
    # The chair records disclosures and an agency named at F3 sees its own: both see the
    # disclosure metadata (who, when, which fields, basis), as the privacy officer does.
    Stage.ACCEPTED: {
        A.ORIGINATING: EVERYTHING,
        A.CHAIR_COORDINATOR: _DECIDED | {P.DISCLOSURE_META},
        A.NAMED_F3: _DECIDED | {P.IDENTIFYING, P.DISCLOSURE_META},
        A.MEMBER: _DECIDED,
        A.PRIVACY_OFFICER: _METADATA,
    },
    Stage.INTERVENTION: {
        A.ORIGINATING: EVERYTHING,
        A.CHAIR_COORDINATOR: _DECIDED | {P.F4_DETAIL, P.REPORT_BACK, P.DISCLOSURE_META},
        A.NAMED_F3: _DECIDED | {P.REPORT_BACK, P.IDENTIFYING, P.DISCLOSURE_META},
        A.INTERVENING: _DECIDED | {P.REPORT_BACK, P.F4_DETAIL, P.IDENTIFYING},
        A.MEMBER: _DECIDED | {P.REPORT_BACK},
        A.PRIVACY_OFFICER: _METADATA,
    },
    Stage.CONCLUDED: {
        # Identifying information stays with the originating agency until the retention purge
        # deletes it; disclosures end at conclusion.
        A.ORIGINATING: EVERYTHING,
        A.CHAIR_COORDINATOR: _DECIDED | {P.F4_DETAIL, P.REPORT_BACK, P.DISCLOSURE_META},
        A.NAMED_F3: _DECIDED | {P.REPORT_BACK, P.DISCLOSURE_META},
        A.INTERVENING: _DECIDED | {P.REPORT_BACK, P.F4_DETAIL},
        A.MEMBER: _DECIDED | {P.REPORT_BACK},
        A.PRIVACY_OFFICER: _METADATA,
    },
}


def stage_of(situation: Situation) -> Stage:
    status = situation.status
    if status == Status.DRAFT:
        return Stage.INTERNAL
    if status == Status.WITHDRAWN:
        # Withdrawn before attestation: the table never learnt of it.
        return Stage.PRESENTED if situation.f1_attested_at else Stage.INTERNAL
    return Stage(status)


def _originates(access: TableAccess) -> bool:
    """Members who speak for their agency's situations (representatives and chairs)."""
    return access.can(Capability.CREATE_SITUATION)


def is_originating_agency(access: TableAccess, situation: Situation) -> bool:
    """Whether ``access`` speaks for the agency that brought ``situation``: the one definition of
    "the originating agency" (Filter 1 rights, editing, withdrawal, consent, disclosure)."""
    return _originates(access) and access.agency.pk == situation.originating_agency_id


def _ids(situation: Situation, relation: str) -> set[int]:
    """Agency ids of a many-to-many, from the prefetch cache when the selector loaded it."""
    cache = getattr(situation, "_prefetched_objects_cache", {})
    if relation in cache:
        return {obj.pk for obj in cache[relation]}
    return set(getattr(situation, relation).values_list("pk", flat=True))


def _owns_a_task(situation: Situation, agency_id: int) -> bool:
    """Whether the agency was given a task on the situation (it then takes part in Filter 4).
    Lists annotate ``agency_owns_task`` (see :func:`annotate_for`); detail pages prefetch tasks."""
    annotated = getattr(situation, "agency_owns_task", None)
    if annotated is not None:
        return bool(annotated)
    cache = getattr(situation, "_prefetched_objects_cache", {})
    if "tasks" in cache:
        return any(t.owner_agency_id == agency_id for t in cache["tasks"])
    return situation.tasks.filter(owner_agency_id=agency_id).exists()


def audiences(access: TableAccess, situation: Situation) -> frozenset[Audience]:
    if access is None or access.table.pk != situation.table_id:
        return frozenset()
    if not access.can(Capability.VIEW_SITUATIONS):
        return frozenset()
    if access.can(Capability.VIEW_AUDIT):
        # Privacy officers audit: they see metadata, never values, whatever their agency does.
        return frozenset({A.PRIVACY_OFFICER})
    found = {A.MEMBER}
    agency = access.agency.pk
    if is_originating_agency(access, situation):
        found.add(A.ORIGINATING)
    if access.can(Capability.RECORD_DECISIONS) or access.can(Capability.MANAGE_MEETINGS):
        found.add(A.CHAIR_COORDINATOR)
    if situation.status in (Status.ACCEPTED, Status.INTERVENTION, Status.CONCLUDED):
        if agency in _ids(situation, "f3_agencies"):
            found.add(A.NAMED_F3)
        if (
            agency == situation.lead_agency_id
            or agency in _ids(situation, "assisting_agencies")
            or _owns_a_task(situation, agency)
        ):
            found.add(A.INTERVENING)
    return frozenset(found)


@dataclass(frozen=True)
class Sight:
    """What one member may see of one situation. Templates read ``sight.narrative`` etc."""

    parts: frozenset[Part]
    audiences: frozenset[Audience] = frozenset()

    def __contains__(self, part) -> bool:
        return Part(part) in self.parts

    def __bool__(self) -> bool:
        return Part.EXISTENCE in self.parts

    def __getattr__(self, name):
        try:
            return Part(name) in self.parts
        except ValueError:
            raise AttributeError(name) from None

    @property
    def is_originating(self) -> bool:
        return Audience.ORIGINATING in self.audiences

    @property
    def is_intervening(self) -> bool:
        return Audience.INTERVENING in self.audiences


NOTHING = Sight(frozenset())


def sight(access: TableAccess | None, situation: Situation) -> Sight:
    """The parts of ``situation`` that ``access`` may see (DESIGN §2a)."""
    found = audiences(access, situation)
    if not found:
        return NOTHING
    row = TABLE[stage_of(situation)]
    parts: set[Part] = set()
    for audience in found:
        parts |= row.get(audience, frozenset())
    if Part.SUMMARY in parts:
        parts.add(Part.LIMITED)
    return Sight(frozenset(parts), found)


def visible_situations(access: TableAccess):
    """The situations whose existence the member may know, as a queryset (for lists, search,
    counts and agendas). Filter 1 is internal: drafts, returned situations and situations
    withdrawn before attestation exist only for their originating agency."""
    if access is None or not access.can(Capability.VIEW_SITUATIONS):
        return Situation.objects.none()
    internal = Q(status=Status.DRAFT) | Q(status=Status.WITHDRAWN, f1_attested_at__isnull=True)
    shown = ~internal
    if _originates(access) and not access.can(Capability.VIEW_AUDIT):
        shown |= Q(originating_agency=access.agency)
    return Situation.objects.filter(shown, table=access.table)


def annotate_for(access: TableAccess, queryset):
    """Annotate a situation queryset with what :func:`sight` needs per row, so a list page
    decides every row's visibility in a constant number of queries (with the prefetches of
    ``f3_agencies`` and ``assisting_agencies`` that :data:`LIST_PREFETCH` names)."""
    from .models import Task

    owns = Task.objects.filter(situation=OuterRef("pk"), owner_agency_id=access.agency.pk)
    return queryset.annotate(agency_owns_task=Exists(owns)).prefetch_related(*LIST_PREFETCH)


LIST_PREFETCH = ("f3_agencies", "assisting_agencies")


def decision_part(kind: str) -> Part:
    """Which part a recorded decision's note belongs to (its ``detail`` is Filter 4 detail)."""
    return Part.REPORT_BACK if kind == "report_back" else Part.DECISIONS


def visible_decisions(view: Sight, decisions):
    return [d for d in decisions if decision_part(d.kind) in view]
