"""Reads, already scoped to what the acting member may see.

Views, the API and exports start from these. A member of another table gets 404 (never 403), so
nobody learns that a record exists.
"""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from agencies.permissions import Capability, TableAccess

from . import visibility
from .models import (
    ACTIVE_AER_STATUSES,
    AgendaItem,
    AgendaSection,
    Attendance,
    Decision,
    Meeting,
    RiskCategory,
    RiskFactor,
    Situation,
    Status,
    StatusChange,
    Task,
)


def situations_visible_to(access: TableAccess):
    """The situations of the member's table whose existence the visibility policy lets them
    know (``cases.visibility``): Filter 1 drafts only for their originating agency. Which parts
    of each one they may see is :func:`cases.visibility.sight`'s answer."""
    return visibility.visible_situations(access)


def _count_of(model, field: str, **filters):
    """The number of ``model`` rows whose ``field`` points at the outer row, as a correlated
    subquery. A page of 50 rows then costs 50 index lookups; a JOIN with COUNT … GROUP BY would
    aggregate the table's whole history before LIMIT (and multiply rows when two are combined)."""
    rows = model.objects.filter(**{field: OuterRef("pk")}, **filters).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")), 0)


def situation_list(access: TableAccess, *, status: str = "", mine: bool = False, q: str = ""):
    """The situation list page, newest first: a constant number of queries and, through the
    (table, -created_at, -id) index, constant time whatever the history."""
    qs = situations_visible_to(access).select_related("originating_agency", "lead_agency")
    if status == "open":
        qs = qs.filter(status__in=[Status.DRAFT, Status.PRESENTED, *ACTIVE_AER_STATUSES])
    elif status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(originating_agency=access.agency)
    if q:
        qs = qs.filter(number__icontains=q.strip())
    return (
        visibility.annotate_for(access, qs)
        .prefetch_related(
            Prefetch(
                "risk_factors",
                queryset=RiskFactor.objects.select_related("category").order_by(
                    "category__ordering", "ordering"
                ),
            )
        )
        .annotate(open_tasks=_count_of(Task, "situation", done_at__isnull=True))
        .order_by("-created_at", "-id")
    )


def with_sight(access: TableAccess, situations) -> list[Situation]:
    """Evaluate a (sliced) situation list and attach to each row what the member may see of it
    (``row.sight``), from the annotations and prefetches of :func:`situation_list`."""
    rows = list(situations)
    for row in rows:
        row.sight = visibility.sight(access, row)
    return rows


def get_situation(access: TableAccess, situation_id) -> Situation:
    try:
        return (
            situations_visible_to(access)
            .select_related("originating_agency", "lead_agency", "table", "f1_attested_by")
            .get(pk=int(situation_id))
        )
    except (Situation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def situation_detail(access: TableAccess, situation_id) -> Situation:
    """A situation with everything its detail page shows, loaded in a fixed number of queries."""
    situation = get_situation(access, situation_id)
    situation = (
        Situation.objects.filter(pk=situation.pk)
        .select_related("originating_agency", "lead_agency", "table", "f1_attested_by")
        .prefetch_related(
            Prefetch(
                "risk_factors",
                queryset=RiskFactor.objects.select_related("category").order_by(
                    "category__ordering", "ordering"
                ),
            ),
            "study_flags",
            "protective_factors",
            "affected_persons",
            "assisting_agencies",
            "f3_agencies",
            "services_mobilized",
            Prefetch("tasks", queryset=Task.objects.select_related("owner_agency", "done_by")),
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("meeting", "decided_by"),
            ),
            Prefetch(
                "status_changes",
                queryset=StatusChange.objects.select_related("actor", "meeting"),
            ),
        )
        .get()
    )
    return situation


def may_edit(access: TableAccess, situation: Situation) -> bool:
    return visibility.is_originating_agency(access, situation) and situation.status in (
        Status.DRAFT,
        Status.PRESENTED,
    )


def risk_taxonomy():
    """Active categories with their active factors, for the intake form."""
    return RiskCategory.objects.filter(is_active=True).prefetch_related(
        Prefetch("factors", queryset=RiskFactor.objects.filter(is_active=True))
    )


# --- Meetings ----------


def meetings_visible_to(access: TableAccess):
    return Meeting.objects.filter(table=access.table)


def meeting_list(access: TableAccess):
    return meetings_visible_to(access).annotate(
        agenda_size=_count_of(AgendaItem, "meeting"),
        decisions_count=_count_of(Decision, "meeting"),
    )


def get_meeting(access: TableAccess, meeting_id) -> Meeting:
    try:
        return meetings_visible_to(access).select_related("table").get(pk=int(meeting_id))
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def next_meeting(access: TableAccess) -> Meeting | None:
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        meeting_list(access)
        .filter(scheduled_at__gte=start_of_today, closed_at__isnull=True)
        .order_by("scheduled_at")
        .first()
    )


def agenda(access: TableAccess, meeting: Meeting, *, only: int | None = None) -> list[AgendaItem]:
    """Returning situations (report-back) first, then new presentations, each with what meeting
    mode shows — in a fixed number of queries. Only items whose situation the member may know
    of; each item carries ``sight``, the parts of its situation the member may see. ``only``:
    just that item (the follow view's current item), or nothing if the member may not know it."""
    items = AgendaItem.objects.filter(
        meeting=meeting, situation__in=situations_visible_to(access).values("pk")
    )
    if only is not None:
        items = items.filter(pk=only)
    items = items.select_related(
        "situation", "situation__originating_agency", "situation__lead_agency"
    ).prefetch_related(
        Prefetch(
            "situation__risk_factors",
            queryset=RiskFactor.objects.select_related("category").order_by(
                "category__ordering", "ordering"
            ),
        ),
        "situation__assisting_agencies",
        "situation__f3_agencies",
        "situation__affected_persons",
        "situation__study_flags",
        "situation__protective_factors",
        Prefetch(
            "situation__tasks",
            queryset=Task.objects.select_related("owner_agency").order_by("due_date", "id"),
        ),
        Prefetch(
            "situation__decisions",
            queryset=Decision.objects.select_related("meeting").order_by("decided_at", "id"),
        ),
    )
    order = {AgendaSection.RETURNING: 0, AgendaSection.NEW: 1}
    items = sorted(items, key=lambda i: (order[i.section], i.position, i.pk))
    for item in items:
        item.sight = visibility.sight(access, item.situation)
    return items


def attendance_for(meeting: Meeting):
    """Every member agency of the table with its attendance at this meeting (or None)."""
    records = {a.agency_id: a for a in Attendance.objects.filter(meeting=meeting)}
    checked_in = set(meeting.check_ins.values_list("agency_id", flat=True))
    agencies = list(meeting.table.agencies.select_related("sector").order_by("name"))
    for agency in agencies:
        # A member checked in from the follow view; the chair's confirmation records it.
        record = records.get(agency.pk)
        agency.check_in_pending = agency.pk in checked_in and not (record and record.present)
    return [(agency, records.get(agency.pk)) for agency in agencies]


def agenda_candidates(access: TableAccess, meeting: Meeting):
    """Situations that could be added to this agenda (not on it yet)."""
    return (
        situations_visible_to(access)
        .filter(status__in=[Status.PRESENTED, *ACTIVE_AER_STATUSES])
        .exclude(agenda_items__meeting=meeting)
        .select_related("originating_agency")
        .order_by("created_at")
    )


# --- Tasks ----------


def tasks_visible_to(access: TableAccess):
    """Tasks are Filter 4 working detail: the member's own agency's tasks, and the tasks of
    situations whose Filter 4 detail the member may see (as intervening agency, originating
    agency, chair or coordinator). Other members never learn what a task says."""
    if not access.can(Capability.VIEW_SITUATIONS) or access.can(Capability.VIEW_AUDIT):
        return Task.objects.none()
    tasks = Task.objects.filter(situation__table=access.table)
    if access.can(Capability.RECORD_DECISIONS) or access.can(Capability.MANAGE_MEETINGS):
        return tasks
    agency = access.agency
    mine = Q(owner_agency=agency) | Q(situation__lead_agency=agency)
    mine |= Q(situation__assisting_agencies=agency)
    if access.can(Capability.CREATE_SITUATION):
        mine |= Q(situation__originating_agency=agency)
    ids = Task.objects.filter(mine, situation__table=access.table).values("pk")
    return tasks.filter(pk__in=ids)


def agency_tasks(access: TableAccess, *, include_done: bool = False):
    qs = (
        tasks_visible_to(access)
        .filter(owner_agency=access.agency)
        .select_related("situation", "owner_agency", "done_by")
    )
    if not include_done:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("done_at", "due_date", "id")


def get_task(access: TableAccess, task_id) -> Task:
    try:
        return tasks_visible_to(access).select_related("situation").get(pk=int(task_id))
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
