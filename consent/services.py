"""Filter 3 and the privacy model: identifying information, disclosures, consent, retention.

Every function checks the actor's right, runs in one transaction and appends to the audit chain
in that same transaction. Audit data carries ids, codes and counts, never identifying values.
"""

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from agencies.models import Agency, Membership
from agencies.permissions import Capability, TableAccess, table_access
from cases.models import ACTIVE_AER_STATUSES, OPEN_STATUSES, Situation, Status
from cases.services import InvalidTransition

from . import crypto, retention_gaps
from .audit import record_event
from .models import (
    AccessEvent,
    ConsentKind,
    ConsentRecord,
    Disclosure,
    DisclosureBasis,
    DisclosurePolicy,
    IdentifyingInfo,
)
from .selectors import PERMISSION, disclosed_fields_for, is_originator, shared_fields

logger = logging.getLogger(__name__)

PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "address", "phone", "notes")


def _access(actor, situation: Situation) -> TableAccess:
    access = table_access(actor, situation.table_id)
    if access is None:
        raise PermissionDenied(_("You may not do this on this table."))
    return access


def _require_originator(actor, situation: Situation) -> TableAccess:
    access = _access(actor, situation)
    if not is_originator(access, situation):
        raise PermissionDenied(_("Only the originating agency may do this."))
    return access


def _clean_person(data: dict) -> dict:
    person = {name: str(data.get(name) or "").strip() for name in PERSON_FIELDS}
    dob = data.get("date_of_birth")
    if isinstance(dob, datetime.date):
        if dob > timezone.localdate():
            raise ValidationError({"date_of_birth": _("The date of birth is in the future.")})
        person["date_of_birth"] = dob.isoformat()
    if not (person["given_name"] or person["family_name"]):
        raise ValidationError({"given_name": _("Give at least a given name or a family name.")})
    return person


def _prior_situations(person: IdentifyingInfo) -> list[str]:
    return list(
        IdentifyingInfo.objects.filter(
            blind_index=person.blind_index, situation__table_id=person.situation.table_id
        )
        .exclude(situation_id=person.situation_id)
        .values_list("situation__number", flat=True)
        .distinct()
        .order_by("situation__number")
    )


# --- Identifying information -----------------------------------------------------


@transaction.atomic
def record_identifying_info(*, actor, situation: Situation, **data):
    """The originating agency enters a person's identifying information (encrypted at once).

    Returns the record and the numbers of earlier situations of this table with the same person
    (blind-index match), so the agency knows the person has been at the table before.
    """
    access = _require_originator(actor, situation)
    if situation.status not in OPEN_STATUSES:
        raise InvalidTransition(
            _("Identifying information cannot be added to a situation that is %(status)s.")
            % {"status": situation.get_status_display()}
        )
    person = IdentifyingInfo(situation=situation, created_by=actor)
    person.encrypt(_clean_person(data))
    person.save()
    prior = _prior_situations(person)
    record_event(
        actor=actor,
        event="identifying_info.recorded",
        table=access.table,
        obj=person,
        data={"situation": situation.pk, "prior_matches": len(prior)},
    )
    return person, prior


@dataclass
class RevealedPerson:
    id: int
    fields: dict = field(default_factory=dict)
    unreadable: bool = False


def _visible(data: dict, allowed: list[str]) -> dict:
    shown = {}
    for name in allowed:
        if name == "family_initial":
            shown[name] = (data.get("family_name") or "")[:1].upper()
        elif name == "age":
            dob = data.get("date_of_birth")
            if dob:
                born = datetime.date.fromisoformat(dob)
                today = timezone.localdate()
                shown[name] = str(
                    today.year - born.year - ((today.month, today.day) < (born.month, born.day))
                )
        elif data.get(name):
            shown[name] = data[name]
    return shown


@transaction.atomic
def reveal_identifying_info(*, actor, situation: Situation) -> list[RevealedPerson]:
    """Show a permitted member the identifying information, and log that they saw it."""
    access = _access(actor, situation)
    allowed = disclosed_fields_for(access, situation)
    if allowed is None:
        raise PermissionDenied(_("Your agency has no access to this identifying information."))
    revealed = []
    for person in IdentifyingInfo.objects.filter(situation=situation).order_by("id"):
        try:
            revealed.append(RevealedPerson(person.pk, _visible(person.decrypt(), allowed)))
        except crypto.DecryptionError:
            # Ids only: the row's content is exactly what must not reach a log.
            logger.warning("identifying_info %s cannot be decrypted with current keys", person.pk)
            revealed.append(RevealedPerson(person.pk, unreadable=True))
    AccessEvent.objects.create(
        user=actor, agency=access.agency, situation=situation, action="reveal"
    )
    record_event(
        actor=actor,
        event="identifying_info.viewed",
        table=access.table,
        obj=situation,
        data={"agency": access.agency.pk, "people": len(revealed), "fields": allowed},
    )
    return revealed


def own_names(situation: Situation) -> list[str]:
    """Names of the situation's own people, for the PII guard (never logged or returned)."""
    names = []
    for person in IdentifyingInfo.objects.filter(situation=situation):
        try:
            data = person.decrypt()
        except crypto.DecryptionError:
            continue
        names += [n for n in (data.get("given_name"), data.get("family_name")) if n and len(n) > 1]
    return names


def text_mentions_own_names(situation: Situation, text: str) -> bool:
    if situation is None or not situation.pk or not text:
        return False
    normalised = crypto.normalise(text)
    return any(
        re.search(rf"\b{re.escape(crypto.normalise(name))}\b", normalised)
        for name in own_names(situation)
    )


# --- Filter 3 disclosure ----------------------------------------------------------


def _members_of(table, agencies):
    return Membership.objects.filter(table=table, agency__in=agencies, is_active=True)


@transaction.atomic
def disclose_identifying_info(
    *,
    actor,
    situation: Situation,
    agencies,
    fields: list[str],
    basis: str,
    consent: ConsentRecord | None = None,
    justification: str = "",
) -> Disclosure:
    """Filter 3: share the minimum identifiers with the agencies that may be involved.

    Only after a Filter 2 acceptance; only the table's configured identifiers; on consent that is
    on record and valid, or — chair only — without consent to prevent an imminent risk of serious
    harm, with a written justification. Grants the agencies' members an object permission.
    """
    access = _access(actor, situation)
    if not access.can(Capability.DISCLOSE):
        raise PermissionDenied(_("Only the chair records Filter 3 disclosures."))
    situation = Situation.objects.select_for_update().get(pk=situation.pk)
    if situation.status not in ACTIVE_AER_STATUSES:
        raise InvalidTransition(
            _(
                "Identifying information can be disclosed only after a Filter 2 acceptance "
                "(this situation is %(status)s)."
            )
            % {"status": situation.get_status_display()}
        )
    agencies = list(agencies)
    errors = {}
    ids = {a.pk for a in agencies}
    if not ids:
        errors["agencies"] = _("Choose at least one agency.")
    elif situation.table.agencies.filter(pk__in=ids).count() != len(ids):
        errors["agencies"] = _("Choose agencies that sit at this table.")
    allowed = shared_fields(situation.table)
    fields = [f for f in dict.fromkeys(fields or [])]
    if not fields:
        errors["fields"] = _("Choose the identifiers to share.")
    elif set(fields) - set(allowed):
        errors["fields"] = _("This table does not share these identifiers at Filter 3.")
    if basis not in DisclosureBasis.values:
        errors["basis"] = _("Choose the basis for sharing.")
    elif basis == DisclosureBasis.CONSENT:
        if consent is not None:
            # Re-read under lock: a withdrawal committed a moment ago must win.
            consent = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
        problem = _consent_problem(consent, situation, ids, fields)
        if problem:
            errors["consent"] = problem
    elif len((justification or "").strip()) < 20:
        errors["justification"] = _(
            "Sharing without consent needs a written justification of the imminent risk of "
            "serious harm (at least a sentence)."
        )
    if errors:
        raise ValidationError(errors)

    disclosure = Disclosure.objects.create(
        situation=situation,
        fields=fields,
        basis=basis,
        consent=consent if basis == DisclosureBasis.CONSENT else None,
        justification=(justification or "").strip(),
        disclosed_by=actor,
    )
    disclosure.agencies.set(agencies)
    users = [m.user for m in _members_of(situation.table, agencies).select_related("user")]
    if users:
        assign_perm(f"cases.{PERMISSION}", users, situation)
    record_event(
        actor=actor,
        event="disclosure.created",
        table=situation.table,
        obj=disclosure,
        data={
            "situation": situation.pk,
            "agencies": sorted(ids),
            "fields": fields,
            "basis": basis,
            "consent": consent.pk if consent and basis == DisclosureBasis.CONSENT else None,
            "members_granted": len(users),
        },
    )
    return disclosure


def _consent_problem(consent, situation, agency_ids, fields) -> str:
    if consent is None:
        return _("Choose the consent on record, or share without consent with a justification.")
    if consent.situation_id != situation.pk or consent.kind != ConsentKind.DISCLOSURE:
        return _("This is not a consent to disclose for this situation.")
    if consent.withdrawn_at:
        return _("This consent was withdrawn: it no longer allows disclosure.")
    if not consent.is_valid_on(timezone.localdate()):
        return _("This consent is not valid today (expired or not yet given).")
    covered = set(consent.scope_agencies.values_list("pk", flat=True))
    if covered and not agency_ids <= covered:
        return _("The consent does not cover all of the chosen agencies.")
    if consent.scope_fields and not set(fields) <= set(consent.scope_fields):
        return _("The consent does not cover all of the chosen identifiers.")
    return ""


def _revoke_permissions(situation: Situation) -> int:
    content_type = ContentType.objects.get_for_model(Situation)
    deleted, _rows = UserObjectPermission.objects.filter(
        content_type=content_type,
        object_pk=str(situation.pk),
        permission__codename=PERMISSION,
    ).delete()
    return deleted


@transaction.atomic
def revoke_disclosure_access(*, actor, situation: Situation, reason: str) -> int:
    """End every disclosure's access to a situation (at conclusion or purge)."""
    revoked = Disclosure.objects.filter(situation=situation, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    permissions = _revoke_permissions(situation)
    if revoked or permissions:
        record_event(
            actor=actor,
            event="disclosure.revoked",
            table=situation.table,
            obj=situation,
            data={"reason": reason, "disclosures": revoked, "permissions": permissions},
        )
    return revoked


def revoke_on_conclusion(*, actor, situation: Situation) -> None:
    revoke_disclosure_access(actor=actor, situation=situation, reason="concluded")


# --- Consent -------------------------------------------------------------------------


def _require_originator_or_chair(actor, situation) -> TableAccess:
    access = _access(actor, situation)
    if not (is_originator(access, situation) or access.can(Capability.RECORD_DECISIONS)):
        raise PermissionDenied(_("Only the originating agency or the chair records consent."))
    return access


@transaction.atomic
def record_consent(
    *,
    actor,
    situation: Situation,
    kind: str,
    given_by: str,
    method: str,
    given_on: datetime.date,
    expires_on: datetime.date | None = None,
    scope_agencies=(),
    scope_fields=(),
) -> ConsentRecord:
    access = _require_originator_or_chair(actor, situation)
    errors = {}
    if given_on > timezone.localdate():
        errors["given_on"] = _("Consent cannot be dated in the future.")
    if expires_on and expires_on < given_on:
        errors["expires_on"] = _("The expiry date is before the date consent was given.")
    agencies = list(scope_agencies)
    if agencies and situation.table.agencies.filter(pk__in=[a.pk for a in agencies]).count() != len(
        agencies
    ):
        errors["scope_agencies"] = _("Choose agencies that sit at this table.")
    if errors:
        raise ValidationError(errors)
    consent = ConsentRecord.objects.create(
        situation=situation,
        kind=kind,
        given_by=given_by,
        method=method,
        given_on=given_on,
        expires_on=expires_on,
        scope_fields=list(scope_fields),
        recorded_by=actor,
    )
    consent.scope_agencies.set(agencies)
    record_event(
        actor=actor,
        event="consent.recorded",
        table=access.table,
        obj=consent,
        data={"situation": situation.pk, "kind": kind, "method": method, "given_by": given_by},
    )
    return consent


@transaction.atomic
def withdraw_consent(*, actor, consent: ConsentRecord, note: str = "") -> ConsentRecord:
    """Withdrawal stops any further disclosure on this consent; involved agencies see it."""
    access = _require_originator_or_chair(actor, consent.situation)
    consent = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at:
        raise InvalidTransition(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawal_note = (note or "").strip()[:300]
    consent.save(update_fields=["withdrawn_at", "withdrawal_note"])
    record_event(
        actor=actor,
        event="consent.withdrawn",
        table=access.table,
        obj=consent,
        data={"situation": consent.situation_id, "kind": consent.kind},
    )
    return consent


# --- Retention -------------------------------------------------------------------------


@dataclass
class PurgeReport:
    situations: list[int] = field(default_factory=list)
    people: int = 0
    dry_run: bool = False


def purge_candidates(now=None, days: int | None = None):
    """Situations whose identifying information is due for deletion: concluded more than the
    table's retention period ago (default 30 days), or rejected/withdrawn (immediately)."""
    now = now or timezone.now()
    default_days = days if days is not None else settings.RETENTION_DAYS_AFTER_CONCLUSION
    policies = dict(DisclosurePolicy.objects.values_list("table_id", "retention_days"))
    with_info = Situation.objects.filter(identifying_info__isnull=False).distinct()
    due = set(
        with_info.filter(status__in=[Status.REJECTED, Status.WITHDRAWN]).values_list(
            "pk", flat=True
        )
    )
    concluded = with_info.filter(status=Status.CONCLUDED).values_list(
        "pk", "table_id", "concluded_at"
    )
    for pk, table_id, concluded_at in concluded:
        keep = policies.get(table_id, default_days) if days is None else days
        if concluded_at and concluded_at <= now - datetime.timedelta(days=keep):
            due.add(pk)
    # Abandoned drafts and situations open far too long (consent/retention_gaps.py).
    due.update(retention_gaps.stale_candidates(now))
    return sorted(due)


@transaction.atomic
def purge_identifying_info(*, actor=None, now=None, days=None, dry_run=False) -> PurgeReport:
    """Delete identifying information that is past retention; keep de-identified data."""
    due = purge_candidates(now=now, days=days)
    people = IdentifyingInfo.objects.filter(situation_id__in=due)
    report = PurgeReport(situations=due, people=people.count(), dry_run=dry_run)
    if dry_run or not due:
        return report
    stale = retention_gaps.stale_candidates(now)
    people.delete()
    for situation in Situation.objects.filter(pk__in=due).select_related("table"):
        revoke_disclosure_access(actor=actor, situation=situation, reason="retention")
        data = {"status": situation.status}
        if situation.pk in stale:
            data["reason"] = stale[situation.pk]
            retention_gaps.notify_originating_agency(situation.pk, stale[situation.pk])
        record_event(
            actor=actor,
            event="retention.purged",
            table=situation.table,
            obj=situation,
            data=data,
        )
    return report


@transaction.atomic
def set_disclosure_policy(*, actor, table, shared_fields: list[str], retention_days: int):
    access = table_access(actor, table.pk)
    if access is None or not access.can(Capability.MANAGE_MEMBERS):
        raise PermissionDenied
    policy, _created = DisclosurePolicy.objects.update_or_create(
        table=table, defaults={"shared_fields": shared_fields, "retention_days": retention_days}
    )
    record_event(
        actor=actor,
        event="policy.updated",
        table=table,
        obj=policy,
        data={"fields": shared_fields, "retention_days": retention_days},
    )
    return policy


def agencies_with_access(situation: Situation) -> list[Agency]:
    return list(
        Agency.objects.filter(
            disclosures__situation=situation, disclosures__revoked_at__isnull=True
        ).distinct()
    )
