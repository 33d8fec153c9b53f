"""Every write to situations, meetings and tasks.

Each state change is one function, in one transaction, with the acting user first; it checks the
actor's capability on the table, locks the situation row (``select_for_update``), validates the
move, writes a ``StatusChange`` row in the same transaction and returns the new state. An invalid
move raises :class:`InvalidTransition` (→ form error / HTTP 409); a missing right raises
``PermissionDenied`` (→ 403); bad input raises ``ValidationError`` (→ form error / 400).
"""

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Table
from agencies.permissions import Capability, TableAccess, table_access
from core.audit import record_event
from core.exceptions import InvalidTransition

from .models import (
    ACTIVE_AER_STATUSES,
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
    MeetingKind,
    RiskFactor,
    Situation,
    Status,
    StatusChange,
    Task,
)
from .pii import validate_deidentified

# --- helpers ----------


def _guard(text: str, situation) -> None:
    """The de-identification guard, told the names of the situation's own people.

    Only the consent app can decrypt them: this is the Filter 3 link between the two apps, stated
    in the import contract (pyproject.toml, [tool.importlinter]).
    """
    from consent.services import own_names

    names = own_names(situation) if situation is not None and situation.pk and text else ()
    validate_deidentified(text, own_names=names)


def _access(actor, table: Table, capability: Capability) -> TableAccess:
    access = table_access(actor, table.pk)
    if access is None or not access.can(capability):
        raise PermissionDenied(_("You may not do this on this table."))
    return access


def _lock(situation: Situation) -> Situation:
    return Situation.objects.select_for_update().get(pk=situation.pk)


def _require_status(situation: Situation, allowed: Iterable[str], message: str) -> None:
    if situation.status not in allowed:
        raise InvalidTransition(message % {"status": situation.get_status_display()})


# Free text never enters the append-only chain (it could not be purged with its retention):
# the chain holds codes and ids, the timeline row the rest (a withdrawal's typed reason).
_NOT_IN_THE_CHAIN = {"situation.withdrawn": frozenset({"reason"})}


def _record(situation, *, actor, event, from_status, meeting=None, **data) -> StatusChange:
    """One history: the audit chain's event and the situation timeline's row (a projection of
    it, checked against it by ``cases.audit_checks``), in the caller's transaction."""
    entry = record_event(
        actor=actor,
        event=event,
        table=situation.table,
        obj=situation,
        data={
            "from": from_status,
            "to": situation.status,
            "meeting": meeting.pk if meeting is not None else None,
            **{k: v for k, v in data.items() if k not in _NOT_IN_THE_CHAIN.get(event, ())},
        },
    )
    return StatusChange.objects.create(
        situation=situation,
        from_status=from_status,
        to_status=situation.status,
        event=event,
        data=data,
        actor=actor,
        meeting=meeting,
        audit_event_id=entry.pk,
    )


def _meeting_event(meeting: Meeting, *, actor, event: str, **data) -> None:
    record_event(actor=actor, event=event, table=meeting.table, obj=meeting, data=data)


def _check_meeting(meeting: Meeting | None, situation: Situation) -> None:
    if meeting is not None and meeting.table_id != situation.table_id:
        raise ValidationError({"meeting": _("This meeting belongs to another table.")})


def _mark_discussed(meeting: Meeting | None, situation: Situation) -> None:
    if meeting is not None:
        AgendaItem.objects.filter(meeting=meeting, situation=situation).update(
            discussed_at=timezone.now()
        )


def _table_agencies(table: Table, agencies: Iterable[Agency], field: str) -> list[Agency]:
    agencies = list(agencies)
    ids = {a.pk for a in agencies}
    known = set(table.agencies.filter(pk__in=ids).values_list("pk", flat=True))
    if ids - known:
        raise ValidationError({field: _("Choose agencies that sit at this table.")})
    return agencies


def _validate_risk_factors(risk_factors) -> list[RiskFactor]:
    factors = list(risk_factors)
    if not factors:
        raise ValidationError({"risk_factors": _("Choose at least one risk factor.")})
    if any(not f.is_active for f in factors):
        raise ValidationError({"risk_factors": _("A chosen risk factor has been retired.")})
    return factors


def _next_number(table: Table, year: int) -> tuple[int, str]:
    # Lock the table row so two intakes at the same moment cannot take the same number.
    Table.objects.select_for_update().get(pk=table.pk)
    last = Situation.objects.filter(table=table, year=year).aggregate(m=Max("sequence"))["m"]
    sequence = (last or 0) + 1
    return sequence, f"{table.code}-{year}-{sequence:04d}"


# --- Intake and Filter 1 ----------

EDITABLE_STATUSES = (Status.DRAFT, Status.PRESENTED)


@transaction.atomic
def create_situation(
    *,
    actor,
    table: Table,
    subject_type: str,
    age_group: str,
    gender: str,
    narrative: str,
    risk_factors,
    study_flags=(),
    protective_factors=(),
    affected_persons: Iterable[dict] = (),
) -> Situation:
    """A representative logs a de-identified situation for their own agency (status: draft)."""
    access = _access(actor, table, Capability.CREATE_SITUATION)
    validate_deidentified(narrative)
    factors = _validate_risk_factors(risk_factors)
    now = timezone.now()
    # The table's calendar year, not UTC's: 20:00 on 31 December in Toronto is still that year.
    year = timezone.localtime(now).year
    sequence, number = _next_number(table, year)
    situation = Situation.objects.create(
        table=table,
        number=number,
        year=year,
        sequence=sequence,
        originating_agency=access.agency,
        subject_type=subject_type,
        age_group=age_group,
        gender=gender,
        narrative=narrative.strip(),
        created_by=actor,
        created_at=now,
    )
    situation.risk_factors.set(factors)
    situation.study_flags.set(study_flags)
    situation.protective_factors.set(protective_factors)
    _set_affected_persons(situation, affected_persons)
    _record(situation, actor=actor, event="situation.created", from_status="")
    return situation


def _set_affected_persons(situation: Situation, affected_persons: Iterable[dict]) -> None:
    situation.affected_persons.all().delete()
    AffectedPerson.objects.bulk_create(
        AffectedPerson(situation=situation, **person) for person in affected_persons
    )


def _require_originator(actor, situation: Situation) -> TableAccess:
    access = _access(actor, situation.table, Capability.CREATE_SITUATION)
    if access.agency.pk != situation.originating_agency_id:
        raise PermissionDenied(_("Only the originating agency may do this."))
    return access


@transaction.atomic
def update_situation(*, actor, situation: Situation, **fields) -> Situation:
    """The originating agency edits its situation until the table has decided at Filter 2."""
    _require_originator(actor, situation)
    situation = _lock(situation)
    _require_status(
        situation,
        EDITABLE_STATUSES,
        _("A situation that is %(status)s can no longer be edited."),
    )
    if "narrative" in fields:
        _guard(fields["narrative"], situation)
        fields["narrative"] = fields["narrative"].strip()
    many = {
        name: fields.pop(name)
        for name in ("risk_factors", "study_flags", "protective_factors")
        if name in fields
    }
    affected = fields.pop("affected_persons", None)
    if "risk_factors" in many:
        many["risk_factors"] = _validate_risk_factors(many["risk_factors"])
    for name, value in fields.items():
        if name not in {"subject_type", "age_group", "gender", "narrative"}:
            raise ValueError(f"update_situation cannot change {name}")
        setattr(situation, name, value)
    situation.save()
    for name, value in many.items():
        getattr(situation, name).set(value)
    if affected is not None:
        _set_affected_persons(situation, affected)
    _record(
        situation,
        actor=actor,
        event="situation.edited",
        from_status=situation.status,
        fields=sorted([*fields, *many, *(["affected_persons"] if affected is not None else [])]),
    )
    return situation


@transaction.atomic
def attest_filter1(*, actor, situation: Situation) -> Situation:
    """F1: the originating agency attests it has exhausted its own means; the situation can be
    placed on an agenda."""
    _require_originator(actor, situation)
    situation = _lock(situation)
    _require_status(
        situation,
        [Status.DRAFT],
        _("Only a draft can be attested at Filter 1 (this situation is %(status)s)."),
    )
    previous = situation.status
    situation.status = Status.PRESENTED
    situation.f1_attested_at = timezone.now()
    situation.f1_attested_by = actor
    situation.save(update_fields=["status", "f1_attested_at", "f1_attested_by", "updated_at"])
    _record(situation, actor=actor, event="situation.f1.attested", from_status=previous)
    # Filter 1 passed: the people entered as a draft get their repeat markers now, in this
    # transaction (the consent app owns them; imported here to avoid an import cycle).
    from consent.services import compute_repeat_markers

    compute_repeat_markers(actor=actor, situation=situation)
    return situation


@transaction.atomic
def withdraw_situation(*, actor, situation: Situation, reason: str) -> Situation:
    """The originating agency (or the chair) withdraws a situation before the Filter 2 decision."""
    access = _access(actor, situation.table, Capability.VIEW_SITUATIONS)
    is_originator = (
        access.can(Capability.CREATE_SITUATION)
        and access.agency.pk == situation.originating_agency_id
    )
    if not (is_originator or access.can(Capability.RECORD_DECISIONS)):
        raise PermissionDenied(_("Only the originating agency or the chair may withdraw this."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for withdrawing.")})
    _guard(reason, situation)
    situation = _lock(situation)
    _require_status(
        situation,
        EDITABLE_STATUSES,
        _("A situation that is %(status)s cannot be withdrawn."),
    )
    previous = situation.status
    situation.status = Status.WITHDRAWN
    situation.save(update_fields=["status", "updated_at"])
    AgendaItem.objects.filter(situation=situation, meeting__closed_at__isnull=True).delete()
    _record(
        situation,
        actor=actor,
        event="situation.withdrawn",
        from_status=previous,
        reason=reason,
    )
    return situation


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
    Decision.objects.create(
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
    Decision.objects.create(
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
    Decision.objects.create(
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
    Decision.objects.create(
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
    )
    return situation


@transaction.atomic
def conclude_situation(
    *,
    actor,
    situation: Situation,
    reason: str,
    note: str = "",
    meeting: Meeting | None = None,
) -> Situation:
    """The chair concludes an accepted situation with an RTD conclusion reason."""
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
    previous = situation.status
    situation.status = Status.CONCLUDED
    situation.concluded_at = timezone.now()
    situation.conclusion_reason = reason
    situation.conclusion_note = note.strip()
    situation.save()
    Decision.objects.create(
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
    )
    # Concluding ends every disclosure's access to identifying information, in this transaction.
    from consent.services import revoke_on_conclusion

    revoke_on_conclusion(actor=actor, situation=situation)
    return situation


# --- Meetings and agenda ----------


# Plausible dates, checked in the services so that the UI, the API and commands agree: a meeting
# dated 0001-01-01 or a task due 9999-12-31 is a typo, and breaks date arithmetic downstream.
EARLIEST_MEETING = datetime.date(2000, 1, 1)
MAX_MEETING_YEARS_AHEAD = 5
MAX_TASK_DAYS_AHEAD = 2 * 366


def _check_meeting_date(scheduled_at) -> None:
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": _("Give the meeting's date and time.")})
    day = scheduled_at.date() if isinstance(scheduled_at, datetime.datetime) else scheduled_at
    latest = timezone.localdate() + datetime.timedelta(days=366 * MAX_MEETING_YEARS_AHEAD)
    if not EARLIEST_MEETING <= day <= latest:
        raise ValidationError(
            {"scheduled_at": _("Give a meeting date between 2000 and five years from now.")}
        )


@transaction.atomic
def create_meeting(
    *,
    actor,
    table: Table,
    scheduled_at: datetime.datetime,
    kind: str = MeetingKind.REGULAR,
    location: str = "",
    video_link: str = "",
    notes: str = "",
) -> Meeting:
    _access(actor, table, Capability.MANAGE_MEETINGS)
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Choose a weekly or an emergency meeting.")})
    _validate_meeting_notes(notes)
    _check_meeting_date(scheduled_at)
    meeting = Meeting.objects.create(
        table=table,
        scheduled_at=scheduled_at,
        kind=kind,
        location=location,
        video_link=video_link,
        notes=notes,
        created_by=actor,
    )
    _meeting_event(
        meeting, actor=actor, event="meeting.created", kind=kind, at=scheduled_at.isoformat()
    )
    return meeting


@transaction.atomic
def schedule_meeting(*, actor, table: Table, **fields) -> tuple[Meeting, int]:
    """Schedule a meeting and fill its agenda, as the UI and the API both do.

    Returns the meeting and how many situations went on its agenda (see ``fill_agenda``).
    """
    meeting = create_meeting(actor=actor, table=table, **fields)
    return meeting, fill_agenda(actor=actor, meeting=meeting)


def _validate_meeting_notes(notes: str) -> None:
    # Meeting notes are read by every member of the table, so they are held to the same
    # de-identification rule as a narrative (DESIGN §2a: every free-text field passes the guard).
    try:
        validate_deidentified(notes)
    except ValidationError as exc:
        raise ValidationError({"notes": exc.messages}) from exc


@transaction.atomic
def update_meeting(*, actor, meeting: Meeting, **fields) -> Meeting:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    for name in fields:
        if name not in {"scheduled_at", "kind", "location", "video_link", "notes"}:
            raise ValueError(f"update_meeting cannot change {name}")
    if "notes" in fields:
        _validate_meeting_notes(fields["notes"])
    if "scheduled_at" in fields:
        _check_meeting_date(fields["scheduled_at"])
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.save()
    _meeting_event(meeting, actor=actor, event="meeting.updated", fields=sorted(fields))
    return meeting


def _section_for(situation: Situation) -> str | None:
    if situation.status == Status.PRESENTED:
        return AgendaSection.NEW
    if situation.status in ACTIVE_AER_STATUSES:
        return AgendaSection.RETURNING
    return None


def _lock_meeting(meeting: Meeting) -> Meeting:
    """Lock the meeting row for the rest of the transaction. Two "Fill agenda" clicks (or two
    adds) then run one after the other: the second sees the first's items, so it neither breaks
    ``agenda_item_once`` (a 500) nor hands out the same position twice."""
    return Meeting.objects.select_for_update().select_related("table").get(pk=meeting.pk)


@transaction.atomic
def add_to_agenda(*, actor, meeting: Meeting, situation: Situation) -> AgendaItem:
    """Put a situation on a meeting's agenda: F1-attested ones as new presentations, accepted ones
    as returning (report-back)."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if situation.table_id != meeting.table_id:
        raise ValidationError({"situation": _("This situation belongs to another table.")})
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    section = _section_for(situation)
    if section is None:
        raise InvalidTransition(
            _("Only F1-attested or accepted situations go on an agenda (this one is %(status)s).")
            % {"status": situation.get_status_display()}
        )
    last = meeting.agenda_items.filter(section=section).aggregate(m=Max("position"))["m"]
    item, created = AgendaItem.objects.get_or_create(
        meeting=meeting,
        situation=situation,
        defaults={"section": section, "position": (last or 0) + 1},
    )
    if created:
        _meeting_event(
            meeting,
            actor=actor,
            event="meeting.agenda.added",
            situation=situation.pk,
            section=section,
            position=item.position,
        )
    return item


@transaction.atomic
def remove_from_agenda(*, actor, item: AgendaItem) -> None:
    _access(actor, item.meeting.table, Capability.MANAGE_MEETINGS)
    # The current row, locked: the caller's copy may predate the meeting's closing.
    meeting = _lock_meeting(item.meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    situation_id = item.situation_id
    item.delete()
    _meeting_event(meeting, actor=actor, event="meeting.agenda.removed", situation=situation_id)


@transaction.atomic
def fill_agenda(*, actor, meeting: Meeting) -> int:
    """Add every returning (accepted, in intervention) and every new (F1-attested) situation of
    the table that is not yet on this agenda. Returns how many were added."""
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    meeting = _lock_meeting(meeting)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    candidates = (
        Situation.objects.filter(
            table=meeting.table,
            status__in=[Status.PRESENTED, *ACTIVE_AER_STATUSES],
        )
        .exclude(agenda_items__meeting=meeting)
        .order_by("created_at", "id")
    )
    positions = {
        section: (
            meeting.agenda_items.filter(section=section).aggregate(m=Max("position"))["m"] or 0
        )
        for section in AgendaSection.values
    }
    items = []
    for situation in candidates:
        section = _section_for(situation)
        positions[section] += 1
        items.append(
            AgendaItem(
                meeting=meeting,
                situation=situation,
                section=section,
                position=positions[section],
            )
        )
    AgendaItem.objects.bulk_create(items)
    _meeting_event(
        meeting,
        actor=actor,
        event="meeting.agenda.filled",
        situations=[item.situation_id for item in items],
    )
    return len(items)


@transaction.atomic
def record_attendance(*, actor, meeting: Meeting, agency: Agency, present: bool) -> Attendance:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    _table_agencies(meeting.table, [agency], "agency")
    attendance, _created = Attendance.objects.update_or_create(
        meeting=meeting, agency=agency, defaults={"present": present, "recorded_by": actor}
    )
    _meeting_event(
        meeting, actor=actor, event="meeting.attendance", agency=agency.pk, present=present
    )
    return attendance


@transaction.atomic
def start_meeting(*, actor, meeting: Meeting) -> Meeting:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is closed."))
    if not meeting.started_at:
        meeting.started_at = timezone.now()
        meeting.save(update_fields=["started_at"])
        _meeting_event(meeting, actor=actor, event="meeting.started")
    return meeting


@transaction.atomic
def close_meeting(*, actor, meeting: Meeting) -> Meeting:
    _access(actor, meeting.table, Capability.MANAGE_MEETINGS)
    if meeting.closed_at:
        raise InvalidTransition(_("This meeting is already closed."))
    meeting.closed_at = timezone.now()
    meeting.started_at = meeting.started_at or meeting.closed_at
    meeting.save(update_fields=["closed_at", "started_at"])
    _meeting_event(meeting, actor=actor, event="meeting.closed")
    return meeting
