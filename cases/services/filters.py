"""Filters 2 to 4: the table's decision, the agencies named, the plan, tasks, report backs and
the conclusion."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.permissions import Capability, TableAccess
from core.exceptions import InvalidTransition

from ..models import (
    ACTIVE_AER_STATUSES,
    ConclusionReason,
    Decision,
    DecisionKind,
    Discussion,
    F2Disposition,
    Meeting,
    OpenTasksOnConclusion,
    Situation,
    Status,
    Task,
    TaskNotDone,
)
from ._base import (
    MAX_TASK_DAYS_AHEAD,
    _access,
    _check_meeting,
    _guard,
    _lock,
    _mark_discussed,
    _record,
    _require_status,
    _table_agencies,
)

# --- Filter 2 ----------

AER_ELEMENTS = (
    "aer_significant_interest",
    "aer_probability_of_harm",
    "aer_severity_of_harm",
    "aer_multi_sector",
)


@transaction.atomic
def record_filter2_decision(
    *,
    actor,
    situation: Situation,
    disposition: str,
    reason: str = "",
    aer_elements: dict[str, bool] | None = None,
    meeting: Meeting | None = None,
) -> Situation:
    """F2: the chair records the table's decision on a presented situation.

    Accepting requires the four elements of acutely elevated risk; rejecting or returning requires
    a reason (the situation stays with, or goes back to, the originating agency).
    """
    _access(actor, situation.table, Capability.RECORD_DECISIONS)
    _check_meeting(meeting, situation)
    if disposition not in F2Disposition.values:
        raise ValidationError({"disposition": _("Choose accepted, rejected or returned.")})
    elements = {name: bool((aer_elements or {}).get(name)) for name in AER_ELEMENTS}
    if disposition == F2Disposition.ACCEPTED and not all(elements.values()):
        raise ValidationError(
            {
                "aer_elements": _(
                    "Acutely elevated risk needs all four elements: a significant interest at "
                    "stake, a probability of harm, severe harm, and risk across several sectors."
                )
            }
        )
    if disposition != F2Disposition.ACCEPTED and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for this decision.")})
    if reason:
        _guard(reason, situation)

    situation = _lock(situation)
    _require_status(
        situation,
        [Status.PRESENTED],
        _("Filter 2 applies to presented situations; this one is %(status)s."),
    )
    previous = situation.status
    now = timezone.now()
    situation.status = {
        F2Disposition.ACCEPTED: Status.ACCEPTED,
        F2Disposition.REJECTED: Status.REJECTED,
        F2Disposition.RETURNED: Status.DRAFT,
    }[disposition]
    situation.f2_disposition = disposition
    situation.f2_decided_at = now
    situation.f2_reason = reason.strip()
    for name, value in elements.items():
        setattr(situation, name, value)
    if disposition == F2Disposition.RETURNED:
        # Back to the agency: it must attest again at Filter 1 before the next presentation.
        situation.f1_attested_at = None
        situation.f1_attested_by = None
    situation.save()
    decision = Decision(
        situation=situation,
        meeting=meeting,
        kind=f"f2_{disposition}",
        note=situation.f2_reason,
        decided_by=actor,
        decided_at=now,
    )
    # Every discussion counts (returned, then accepted = two), with its limited fields as
    # they stood when the table discussed it.
    Discussion.of(
        situation, disposition=disposition, decided_at=now, meeting=meeting, decided_by=actor
    ).save()
    _mark_discussed(meeting, situation)
    _record(
        situation,
        actor=actor,
        event=f"situation.f2.{disposition}",
        from_status=previous,
        meeting=meeting,
        **elements,
        decision=decision,
    )
    return situation


# --- Filter 3 ----------


@transaction.atomic
def record_filter3(
    *, actor, situation: Situation, agencies: Iterable[Agency], meeting: Meeting | None = None
) -> Situation:
    """F3: the chair names the agencies that may be involved. Identifying information itself is
    disclosed through ``consent.services.disclose_identifying_info``."""
    _access(actor, situation.table, Capability.DISCLOSE)
    _check_meeting(meeting, situation)
    agencies = _table_agencies(situation.table, agencies, "agencies")
    if not agencies:
        raise ValidationError({"agencies": _("Name at least one agency for Filter 3.")})
    situation = _lock(situation)
    _require_status(
        situation,
        [Status.ACCEPTED],
        _("Filter 3 comes only after a Filter 2 acceptance; this situation is %(status)s."),
    )
    previous = situation.status
    situation.status = Status.INTERVENTION
    situation.f3_at = timezone.now()
    situation.save(update_fields=["status", "f3_at", "updated_at"])
    situation.f3_agencies.set(agencies)
    decision = Decision(
        situation=situation,
        meeting=meeting,
        kind=DecisionKind.F3_AGENCIES,
        data={"agencies": sorted(a.short_name or a.name for a in agencies)},
        decided_by=actor,
    )
    _mark_discussed(meeting, situation)
    _record(
        situation,
        actor=actor,
        event="situation.f3.agencies_named",
        from_status=previous,
        meeting=meeting,
        agencies=sorted(a.pk for a in agencies),
        decision=decision,
    )
    return situation


# --- Filter 4 ----------


@transaction.atomic
def plan_intervention(
    *,
    actor,
    situation: Situation,
    lead_agency: Agency,
    assisting_agencies: Iterable[Agency] = (),
    services_mobilized=(),
    note: str = "",
    meeting: Meeting | None = None,
) -> Situation:
    """F4: the chair sets the lead and assisting agencies (and may re-plan later)."""
    _access(actor, situation.table, Capability.RECORD_DECISIONS)
    _check_meeting(meeting, situation)
    if lead_agency is None:
        raise ValidationError({"lead_agency": _("Choose a lead agency.")})
    _table_agencies(situation.table, [lead_agency], "lead_agency")
    assisting = [
        a
        for a in _table_agencies(situation.table, assisting_agencies, "assisting_agencies")
        if a.pk != lead_agency.pk
    ]
    if note:
        _guard(note, situation)
    situation = _lock(situation)
    _require_status(
        situation,
        [Status.INTERVENTION],
        _("Plan the intervention after Filter 3; this situation is %(status)s."),
    )
    situation.lead_agency = lead_agency
    situation.f4_planned_at = situation.f4_planned_at or timezone.now()
    situation.save(update_fields=["lead_agency", "f4_planned_at", "updated_at"])
    situation.assisting_agencies.set(assisting)
    situation.services_mobilized.set(services_mobilized)
    decision = Decision(
        situation=situation,
        meeting=meeting,
        kind=DecisionKind.F4_PLAN,
        # Rendered in each reader's language (Decision.summary), not in the writer's.
        data={
            "lead": lead_agency.short_name or lead_agency.name,
            "assisting": [a.short_name or a.name for a in assisting],
        },
        # The plan itself is Filter 4 working detail: for the intervening agencies only.
        detail=(note or "").strip(),
        decided_by=actor,
    )
    _mark_discussed(meeting, situation)
    _record(
        situation,
        actor=actor,
        event="situation.f4.planned",
        from_status=situation.status,
        meeting=meeting,
        lead=lead_agency.pk,
        assisting=sorted(a.pk for a in assisting),
        decision=decision,
    )
    return situation


def _may_act_for_lead(access: TableAccess, situation: Situation) -> bool:
    return access.can(Capability.RECORD_DECISIONS) or (
        access.can(Capability.UPDATE_OWN_TASKS) and access.agency.pk == situation.lead_agency_id
    )


@transaction.atomic
def add_task(
    *,
    actor,
    situation: Situation,
    owner_agency: Agency,
    description: str,
    due_date: datetime.date,
    meeting: Meeting | None = None,
) -> Task:
    """A follow-up task for an agency (the chair, or the lead agency for its own plan)."""
    access = _access(actor, situation.table, Capability.VIEW_SITUATIONS)
    situation = _lock(situation)
    # Checked on the locked row: the lead agency may have changed since the caller loaded it.
    if not _may_act_for_lead(access, situation):
        raise PermissionDenied(_("Only the chair or the lead agency may add tasks."))
    _check_meeting(meeting, situation)
    _require_status(
        situation,
        ACTIVE_AER_STATUSES,
        _("Tasks belong to accepted situations; this one is %(status)s."),
    )
    errors = {}
    if owner_agency is None:
        errors["owner_agency"] = _("Choose the agency that owns this task.")
    else:
        _table_agencies(situation.table, [owner_agency], "owner_agency")
        involved = {situation.lead_agency_id, *situation.f3_agencies.values_list("pk", flat=True)}
        involved |= set(situation.assisting_agencies.values_list("pk", flat=True))
        if owner_agency.pk not in involved:
            # Filter 4 detail is for the intervening agencies: a task goes to one of them.
            errors["owner_agency"] = _(
                "Give the task to the lead agency, an assisting agency or an agency named at "
                "Filter 3."
            )
    if not (description or "").strip():
        errors["description"] = _("Describe the task.")
    else:
        try:
            _guard(description, situation)
        except ValidationError as exc:
            errors["description"] = exc.messages[0]
    if due_date is None:
        errors["due_date"] = _("Give a due date.")
    elif due_date < timezone.localdate():
        errors["due_date"] = _("The due date cannot be in the past.")
    elif due_date > timezone.localdate() + datetime.timedelta(days=MAX_TASK_DAYS_AHEAD):
        errors["due_date"] = _("The due date must be within two years.")
    if errors:
        raise ValidationError(errors)
    task = Task.objects.create(
        situation=situation,
        owner_agency=owner_agency,
        description=description.strip(),
        due_date=due_date,
        meeting=meeting,
        created_by=actor,
    )
    _record(
        situation,
        actor=actor,
        event="situation.task.added",
        from_status=situation.status,
        meeting=meeting,
        task=task.pk,
        owner=owner_agency.pk,
        due=due_date.isoformat(),
    )
    return task


@transaction.atomic
def complete_task(*, actor, task: Task) -> Task:
    """A member of the owner agency (or the chair) marks a task done."""
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("situation__table")
        .get(pk=task.pk)
    )
    access = _access(actor, task.situation.table, Capability.VIEW_SITUATIONS)
    own = access.can(Capability.UPDATE_OWN_TASKS) and access.agency.pk == task.owner_agency_id
    if not (own or access.can(Capability.RECORD_DECISIONS)):
        raise PermissionDenied(_("Only the owner agency or the chair may complete this task."))
    if task.done_at is not None:
        raise InvalidTransition(_("This task is already done."))
    task.done_at = timezone.now()
    task.done_by = actor
    task.save(update_fields=["done_at", "done_by"])
    _record(
        task.situation,
        actor=actor,
        event="situation.task.done",
        from_status=task.situation.status,
        task=task.pk,
    )
    return task


@transaction.atomic
def record_report_back(
    *,
    actor,
    situation: Situation,
    note: str,
    detail: str = "",
    first_intervention_at: datetime.datetime | None = None,
    meeting: Meeting | None = None,
) -> Situation:
    """The lead agency reports back (at the next meeting) on the intervention.

    ``note`` is the de-identified summary the whole table hears; ``detail`` holds intervention
    notes for the intervening agencies only (Filter 4 "leave the room")."""
    access = _access(actor, situation.table, Capability.VIEW_SITUATIONS)
    situation = _lock(situation)
    # Checked on the locked row: the lead agency may have changed since the caller loaded it.
    if not _may_act_for_lead(access, situation):
        raise PermissionDenied(_("Only the chair or the lead agency may report back."))
    _check_meeting(meeting, situation)
    if not (note or "").strip():
        raise ValidationError({"note": _("Write what happened since the last meeting.")})
    _guard(note, situation)
    if detail:
        _guard(detail, situation)
    if first_intervention_at and first_intervention_at > timezone.now():
        raise ValidationError({"first_intervention_at": _("This date is in the future.")})
    _require_status(
        situation,
        [Status.INTERVENTION],
        _("Report-back applies during the intervention; this situation is %(status)s."),
    )
    if first_intervention_at and not situation.first_intervention_at:
        if situation.f2_decided_at and first_intervention_at < situation.f2_decided_at:
            raise ValidationError(
                {"first_intervention_at": _("The intervention cannot precede the F2 acceptance.")}
            )
        situation.first_intervention_at = first_intervention_at
        situation.save(update_fields=["first_intervention_at", "updated_at"])
    decision = Decision(
        situation=situation,
        meeting=meeting,
        kind=DecisionKind.REPORT_BACK,
        note=note.strip(),
        detail=(detail or "").strip(),
        decided_by=actor,
    )
    _mark_discussed(meeting, situation)
    _record(
        situation,
        actor=actor,
        event="situation.f4.report_back",
        from_status=situation.status,
        meeting=meeting,
        decision=decision,
    )
    return situation


# Outcomes that need no report back: the intervention could not happen.
CONCLUDED_WITHOUT_REPORT_BACK = frozenset(
    {ConclusionReason.REFUSED, ConclusionReason.UNABLE_TO_LOCATE}
)


@transaction.atomic
def conclude_situation(
    *,
    actor,
    situation: Situation,
    reason: str,
    note: str = "",
    meeting: Meeting | None = None,
    open_tasks: str = "",
) -> Situation:
    """The chair concludes an accepted situation with an RTD conclusion reason.

    An intervention is concluded only once the table heard a report back, unless the outcome
    says it could not happen (refused, unable to locate). Open tasks are handled explicitly:
    ``open_tasks="close"`` closes them as no longer needed, ``"keep"`` leaves them with their
    agencies."""
    _access(actor, situation.table, Capability.RECORD_DECISIONS)
    _check_meeting(meeting, situation)
    if reason not in ConclusionReason.values:
        raise ValidationError({"reason": _("Choose a conclusion reason.")})
    if note:
        _guard(note, situation)
    situation = _lock(situation)
    _require_status(
        situation,
        ACTIVE_AER_STATUSES,
        _("Only an accepted situation can be concluded; this one is %(status)s."),
    )
    if (
        situation.status == Status.INTERVENTION
        and reason not in CONCLUDED_WITHOUT_REPORT_BACK
        and not situation.decisions.filter(kind=DecisionKind.REPORT_BACK).exists()
    ):
        raise ValidationError(
            {
                "reason": _(
                    "Record the report back first, or conclude as refused or unable to locate."
                )
            }
        )
    still_open = situation.tasks.filter(done_at__isnull=True)
    had_open = still_open.exists()
    if had_open:
        if open_tasks not in OpenTasksOnConclusion.values:
            raise ValidationError(
                {"open_tasks": _("Say what happens to the open tasks of this situation.")}
            )
        if open_tasks == OpenTasksOnConclusion.CLOSE:
            still_open.update(
                done_at=timezone.now(),
                done_by=actor,
                not_done_reason=TaskNotDone.NO_LONGER_NEEDED,
            )
    previous = situation.status
    situation.status = Status.CONCLUDED
    situation.concluded_at = timezone.now()
    situation.conclusion_reason = reason
    situation.conclusion_note = note.strip()
    situation.save()
    decision = Decision(
        situation=situation,
        meeting=meeting,
        kind=DecisionKind.CONCLUDED,
        data={"reason": reason},
        note=situation.conclusion_note,
        decided_by=actor,
    )
    _mark_discussed(meeting, situation)
    _record(
        situation,
        actor=actor,
        event="situation.concluded",
        from_status=previous,
        meeting=meeting,
        reason=reason,
        **({"open_tasks": open_tasks} if had_open else {}),
        decision=decision,
    )
    # Concluding ends every disclosure's access to identifying information, in this transaction.
    from consent.services import revoke_on_conclusion

    revoke_on_conclusion(actor=actor, situation=situation)
    return situation
