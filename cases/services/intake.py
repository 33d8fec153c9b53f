"""Intake and Filter 1: logging, editing, attesting and withdrawing a situation."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Table
from agencies.permissions import Capability, TableAccess

from .. import visibility
from ..models import (
    AffectedPerson,
    AgendaItem,
    Situation,
    Status,
)
from ..pii import validate_deidentified
from ._base import (
    _access,
    _guard,
    _lock,
    _next_number,
    _record,
    _require_status,
    _validate_risk_factors,
)

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
    if not visibility.is_originating_agency(access, situation):
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
    originating = visibility.is_originating_agency(access, situation)
    if not (originating or access.can(Capability.RECORD_DECISIONS)):
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
