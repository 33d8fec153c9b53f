"""Filter 3 and the privacy model: identifying information, disclosures, consent, retention.

Every function checks the actor's right, runs in one transaction and appends to the audit chain
in that same transaction. Audit data carries ids, codes and counts, never identifying values.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from agencies.models import Agency, Membership
from agencies.permissions import Capability, TableAccess, table_access
from cases.models import ACTIVE_AER_STATUSES, OPEN_STATUSES, AffectedPerson, Situation, Status
from cases.pii import validate_deidentified
from core.audit import record_event
from core.exceptions import InvalidTransition
from core.models import AuditEvent

from . import crypto, retention_gaps
from .models import (
    AccessEvent,
    ConsentKind,
    ConsentRecord,
    Disclosure,
    DisclosureBasis,
    DisclosurePolicy,
    IdentifyingInfo,
    RepeatMarker,
    RepeatMarkerFlag,
    RevocationReason,
)
from .selectors import (
    PERMISSION,
    can_revoke_disclosures,
    disclosed_fields_for,
    grounded_disclosures,
    is_originator,
    passed_filter1,
    shared_fields,
    twelve_months_before,
)

logger = logging.getLogger(__name__)

NOT_NAMED_MESSAGE = gettext_lazy(
    "Disclose only to agencies named at Filter 3 (never to the originating agency, which "
    "already holds this information)."
)

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


# --- Identifying information -----------------------------------------------------


def record_identifying_info(*, actor, situation: Situation, **data) -> IdentifyingInfo:
    """The originating agency enters a person's identifying information (encrypted at once).

    Returns the record, and nothing about other situations: whether the person was presented
    here before is the chair's to see at Filter 2 (``presentations_in_last_12_months``). Once
    the situation has passed Filter 1 the person's repeat marker is computed in the same
    transaction; an unusual volume of those is refused (nothing is written) and flagged.
    """
    try:
        return _record_identifying_info(actor=actor, situation=situation, **data)
    except RepeatMarkerLimitExceeded as exc:
        # The refusal rolled the recording back; the flag must outlive it.
        with transaction.atomic():
            _flag_unusual_volume(actor=actor, situation=situation, refused=exc)
        raise


@transaction.atomic
def _record_identifying_info(*, actor, situation: Situation, **data) -> IdentifyingInfo:
    access = _require_originator(actor, situation)
    situation = Situation.objects.select_for_update().get(pk=situation.pk)
    if situation.status not in OPEN_STATUSES:
        raise InvalidTransition(
            _("Identifying information cannot be added to a situation that is %(status)s.")
            % {"status": situation.get_status_display()}
        )
    person = IdentifyingInfo(situation=situation, created_by=actor)
    person.encrypt(_clean_person(data))
    # Under the situation's row lock, so two identical submissions cannot both pass.
    if IdentifyingInfo.objects.filter(situation=situation, blind_index=person.blind_index).exists():
        raise ValidationError(
            {"given_name": _("This person is already recorded on this situation.")}
        )
    markers_due = passed_filter1(situation)
    if markers_due:
        _check_volume(actor, requested=1)
    person.save()
    record_event(
        actor=actor,
        event="identifying_info.recorded",
        table=access.table,
        obj=person,
        data={"situation": situation.pk},
    )
    if markers_due:
        _compute_markers(actor=actor, situation=situation, people=[person])
    return person


# --- Repeat marker ("presented at this table before") ------------------------------


class RepeatMarkerLimitExceeded(ValidationError):
    """More repeat markers today than a table's normal work explains: refused and flagged."""

    def __init__(self, *, requested: int, computed_today: int):
        super().__init__(
            _(
                "Refused: you have already caused %(done)s repeat checks today, the daily limit "
                "is %(limit)s. Nothing was saved, and the table's privacy officer has been "
                "informed. Try again tomorrow, or ask the privacy officer."
            )
            % {"done": computed_today, "limit": settings.REPEAT_MARKER_DAILY_LIMIT},
            code="repeat_marker_limit",
        )
        self.requested = requested
        self.computed_today = computed_today


@dataclass
class RepeatMarkerResult:
    people: int = 0
    markers: int = 0
    refused: bool = False


def _start_of_today() -> datetime.datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))


def repeat_checks_today(user) -> int:
    """People whose repeat marker this user caused to be computed today (from the audit chain)."""
    rows = AuditEvent.objects.filter(
        event="repeat_marker.computed", actor_id=user.pk, at__gte=_start_of_today()
    ).values_list("data", flat=True)
    return sum(int((data or {}).get("people", 0)) for data in rows)


def _check_volume(actor, *, requested: int) -> None:
    # Serialise one user's computations on their user row, so two requests cannot both pass.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    done = repeat_checks_today(actor)
    if done + requested > settings.REPEAT_MARKER_DAILY_LIMIT:
        raise RepeatMarkerLimitExceeded(requested=requested, computed_today=done)


def _flag_unusual_volume(*, actor, situation: Situation, refused: RepeatMarkerLimitExceeded):
    flag = RepeatMarkerFlag.objects.create(
        table_id=situation.table_id,
        user=actor,
        situation=situation,
        requested=refused.requested,
        computed_today=refused.computed_today,
    )
    record_event(
        actor=actor,
        event="repeat_marker.refused",
        table=situation.table,
        obj=flag,
        data={
            "situation": situation.pk,
            "requested": refused.requested,
            "computed_today": refused.computed_today,
            "limit": settings.REPEAT_MARKER_DAILY_LIMIT,
        },
    )
    logger.warning(
        "repeat marker volume refused: user %s, table %s, flag %s",
        actor.pk,
        situation.table_id,
        flag.pk,
    )
    return flag


def _presented_on(situation: Situation) -> datetime.date:
    moment = situation.f1_attested_at
    return timezone.localdate(moment) if moment else timezone.localdate()


def _compute_markers(*, actor, situation: Situation, people) -> RepeatMarkerResult:
    now = timezone.now()
    presented_on = _presented_on(situation)
    markers, done = [], []
    for person in people:
        try:
            data = person.decrypt()
        except crypto.DecryptionError:
            logger.warning("identifying_info %s cannot be decrypted: no repeat marker", person.pk)
            continue
        done.append(person.pk)
        token = crypto.repeat_token(
            situation.table_id,
            data.get("given_name", ""),
            data.get("family_name", ""),
            data.get("date_of_birth", ""),
        )
        if token:
            markers.append(
                RepeatMarker(
                    table_id=situation.table_id,
                    token=token,
                    presented_on=presented_on,
                    created_at=now,
                )
            )
    RepeatMarker.objects.bulk_create(markers)
    IdentifyingInfo.objects.filter(pk__in=done).update(repeat_marker_at=now)
    record_event(
        actor=actor,
        event="repeat_marker.computed",
        table=situation.table,
        obj=situation,
        data={"situation": situation.pk, "people": len(done), "markers": len(markers)},
    )
    return RepeatMarkerResult(people=len(done), markers=len(markers))


@transaction.atomic
def compute_repeat_markers(*, actor, situation: Situation) -> RepeatMarkerResult:
    """Filter 1 passed: compute the repeat markers of the people entered while it was a draft.

    Called by the Filter 1 attestation, in its transaction. Does nothing before Filter 1 and
    nothing twice for the same person. Over the daily limit the markers are refused (none is
    written) and the refusal is flagged to the privacy officer; the attestation itself goes on.
    """
    _require_originator(actor, situation)
    situation = Situation.objects.select_for_update().get(pk=situation.pk)
    if not passed_filter1(situation):
        return RepeatMarkerResult()
    people = list(
        IdentifyingInfo.objects.filter(situation=situation, repeat_marker_at__isnull=True).order_by(
            "id"
        )
    )
    if not people:
        return RepeatMarkerResult()
    try:
        _check_volume(actor, requested=len(people))
    except RepeatMarkerLimitExceeded as exc:
        _flag_unusual_volume(actor=actor, situation=situation, refused=exc)
        return RepeatMarkerResult(refused=True)
    return _compute_markers(actor=actor, situation=situation, people=people)


def expire_repeat_markers(*, actor=None, today=None, dry_run=False) -> int:
    """Delete repeat markers presented more than 12 months ago (part of the daily purge)."""
    today = today or timezone.localdate()
    old = RepeatMarker.objects.filter(presented_on__lt=twelve_months_before(today))
    if dry_run:
        return old.count()
    deleted, _rows = old.delete()
    if deleted:
        record_event(actor=actor, event="repeat_marker.expired", data={"markers": deleted})
    return deleted


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
    access_event = AccessEvent.objects.create(
        user=actor, agency=access.agency, situation=situation, action="reveal"
    )
    record_event(
        actor=actor,
        event="identifying_info.viewed",
        table=access.table,
        obj=situation,
        # The access-log row is named in the chain, so deleting it is detected.
        data={
            "agency": access.agency.pk,
            "people": len(revealed),
            "fields": allowed,
            "access_event": access_event.pk,
        },
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
    # The chair records it, or the originating agency for its own client's information; the
    # record says who (``disclosed_by``).
    if not (access.can(Capability.DISCLOSE) or is_originator(access, situation)):
        raise PermissionDenied(
            _("Only the chair or the originating agency records Filter 3 disclosures.")
        )
    situation = Situation.objects.select_for_update().get(pk=situation.pk)
    if situation.status not in ACTIVE_AER_STATUSES:
        raise InvalidTransition(
            _(
                "Identifying information can be disclosed only after a Filter 2 acceptance "
                "(this situation is %(status)s)."
            )
            % {"status": situation.get_status_display()}
        )
    named = set(situation.f3_agencies.values_list("pk", flat=True))
    if not named:
        raise InvalidTransition(
            _("Name the agencies that may be involved at Filter 3 before disclosing.")
        )
    agencies = list(agencies)
    errors = {}
    ids = {a.pk for a in agencies}
    if not ids:
        errors["agencies"] = _("Choose at least one agency.")
    elif not ids <= named - {situation.originating_agency_id}:
        # Filter 3 is one act: only a subset of the agencies named there.
        errors["agencies"] = str(NOT_NAMED_MESSAGE)
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
    users = [m.user for m in _members_of(situation.table, agencies).select_related("user")]
    _refuse_repeated_disclosure(situation, ids, fields, basis, consent, users)

    disclosure = Disclosure.objects.create(
        situation=situation,
        fields=fields,
        basis=basis,
        consent=consent if basis == DisclosureBasis.CONSENT else None,
        justification=(justification or "").strip(),
        disclosed_by=actor,
    )
    disclosure.agencies.set(agencies)
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


def _refuse_repeated_disclosure(situation, agency_ids, fields, basis, consent, users) -> None:
    """A double submit or a second person recording the same act: one disclosure, not two.

    The situation row is locked, so concurrent identical requests see each other's result. A
    repeat that would give access to someone who lacks it (a seat reactivated since) is a new act.
    """
    holders = set(
        UserObjectPermission.objects.filter(
            object_pk=str(situation.pk),
            content_type=ContentType.objects.get_for_model(Situation),
            permission__codename=PERMISSION,
        ).values_list("user_id", flat=True)
    )
    if any(user.pk not in holders for user in users):
        return
    since = timezone.now() - datetime.timedelta(minutes=settings.REPEATED_DISCLOSURE_MINUTES)
    recent = (
        Disclosure.objects.filter(
            situation=situation, revoked_at__isnull=True, disclosed_at__gte=since, basis=basis
        )
        .filter(consent=consent if basis == DisclosureBasis.CONSENT else None)
        .prefetch_related("agencies")
    )
    for earlier in recent:
        same_agencies = {a.pk for a in earlier.agencies.all()} == set(agency_ids)
        if same_agencies and set(earlier.fields) == set(fields):
            raise InvalidTransition(
                _(
                    "This disclosure was already recorded at %(time)s, to the same agencies on "
                    "the same basis; nothing was added."
                )
                % {"time": timezone.localtime(earlier.disclosed_at).strftime("%H:%M")}
            )


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


def _sync_permissions(situation: Situation) -> int:
    """Remove the object permission of everyone whose agency no longer has a grounded, active
    disclosure of this situation; returns how many were removed. Others keep theirs."""
    agency_ids = {
        pk
        for pk in grounded_disclosures(situation).values_list("agencies", flat=True)
        if pk is not None
    }
    keep = Membership.objects.filter(
        table_id=situation.table_id, agency_id__in=agency_ids, is_active=True
    ).values("user_id")
    deleted, _rows = (
        UserObjectPermission.objects.filter(
            content_type=ContentType.objects.get_for_model(Situation),
            object_pk=str(situation.pk),
            permission__codename=PERMISSION,
        )
        .exclude(user_id__in=keep)
        .delete()
    )
    return deleted


def _end_disclosure(*, actor, disclosure: Disclosure, reason: str, note: str = "") -> int:
    """Revoke one (locked, active) disclosure and the access that rested only on it."""
    disclosure.revoked_at = timezone.now()
    disclosure.revoked_by = actor
    disclosure.revocation_reason = reason
    disclosure.revocation_note = note
    disclosure.save(
        update_fields=["revoked_at", "revoked_by", "revocation_reason", "revocation_note"]
    )
    situation = disclosure.situation
    removed = _sync_permissions(situation)
    record_event(
        actor=actor,
        event="disclosure.revoked",
        table=situation.table,
        obj=disclosure,
        data={
            "situation": situation.pk,
            "reason": reason,
            "agencies": sorted(disclosure.agencies.values_list("pk", flat=True)),
            "permissions": removed,
        },
    )
    return removed


@transaction.atomic
def revoke_disclosure(*, actor, disclosure: Disclosure, reason: str) -> Disclosure:
    """The chair or the privacy officer revokes a mistaken disclosure, with a reason.

    Only this disclosure's access ends: an agency that holds another active disclosure of the
    situation keeps its access, and other agencies are untouched.
    """
    access = _access(actor, disclosure.situation)
    if not can_revoke_disclosures(access):
        raise PermissionDenied(_("Only the chair or the privacy officer revokes a disclosure."))
    disclosure = (
        Disclosure.objects.select_for_update(of=("self",))
        .select_related("situation__table")
        .get(pk=disclosure.pk)
    )
    if disclosure.revoked_at is not None:
        raise InvalidTransition(_("This disclosure's access has already ended."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this disclosure is revoked.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    try:
        validate_deidentified(reason, own_names=own_names(disclosure.situation))
    except ValidationError as exc:
        raise ValidationError({"reason": exc.messages}) from None
    _end_disclosure(
        actor=actor, disclosure=disclosure, reason=RevocationReason.MISTAKEN, note=reason
    )
    return disclosure


@transaction.atomic
def end_access_on_expired_consent(*, actor=None, today=None) -> int:
    """Daily: end the disclosures whose consent expired (or was withdrawn) — revoke them and the
    object permissions they granted. Reveal already refuses them (``disclosed_fields_for``)."""
    today = today or timezone.localdate()
    due = (
        Disclosure.objects.select_for_update(of=("self",))
        .select_related("consent", "situation__table")
        .filter(revoked_at__isnull=True, consent__isnull=False)
        .filter(
            models.Q(consent__expires_on__lt=today) | models.Q(consent__withdrawn_at__isnull=False)
        )
        .order_by("id")
    )
    ended = 0
    for disclosure in due:
        reason = (
            RevocationReason.CONSENT_WITHDRAWN
            if disclosure.consent.withdrawn_at
            else RevocationReason.CONSENT_EXPIRED
        )
        _end_disclosure(actor=actor, disclosure=disclosure, reason=reason)
        ended += 1
    return ended


@transaction.atomic
def revoke_disclosure_access(*, actor, situation: Situation, reason: str) -> int:
    """End every disclosure's access to a situation (at conclusion or purge)."""
    revoked = Disclosure.objects.filter(situation=situation, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor, revocation_reason=reason
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
    # The ground is gone: the disclosures resting on this consent end now. A new disclosure (on
    # another consent, or imminent risk) is the chair's way to restore access.
    for disclosure in (
        Disclosure.objects.select_for_update(of=("self",))
        .select_related("situation__table")
        .filter(consent=consent, revoked_at__isnull=True)
        .order_by("id")
    ):
        _end_disclosure(
            actor=actor, disclosure=disclosure, reason=RevocationReason.CONSENT_WITHDRAWN
        )
    return consent


# --- Retention -------------------------------------------------------------------------


@dataclass
class PurgeReport:
    situations: list[int] = field(default_factory=list)
    people: int = 0
    dry_run: bool = False
    rejected_detail: list[int] = field(default_factory=list)
    markers_expired: int = 0


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
    report.rejected_detail = purge_rejected_detail(actor=actor, now=now, days=days, dry_run=dry_run)
    # Repeat markers outlive the identifying information (they hold no link to it) for exactly
    # 12 months after the presentation; this step removes the older ones.
    report.markers_expired = expire_repeat_markers(
        actor=actor, today=timezone.localdate(now) if now else None, dry_run=dry_run
    )
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


def rejected_detail_candidates(now=None, days: int | None = None) -> list[int]:
    """Rejected situations whose narrative and factors are past the table's retention period
    (counted from the Filter 2 rejection) and not yet purged."""
    now = now or timezone.now()
    default_days = days if days is not None else settings.RETENTION_DAYS_AFTER_CONCLUSION
    policies = dict(DisclosurePolicy.objects.values_list("table_id", "retention_days"))
    rows = Situation.objects.filter(
        status=Status.REJECTED, detail_purged_at__isnull=True, f2_decided_at__isnull=False
    ).values_list("pk", "table_id", "f2_decided_at")
    due = []
    for pk, table_id, decided_at in rows:
        keep = policies.get(table_id, default_days) if days is None else days
        if decided_at <= now - datetime.timedelta(days=keep):
            due.append(pk)
    return sorted(due)


@transaction.atomic
def purge_rejected_detail(*, actor=None, now=None, days=None, dry_run=False) -> list[int]:
    """A rejected discussion keeps only limited data (the RTD's rule, DESIGN §2a): once the
    retention period has passed, delete the narrative, the risk, protective and study factors
    and the affected persons; keep the limited fields (subject type, age group, gender,
    originating agency, dates, the decision) that statistics and the RTD export use."""
    due = rejected_detail_candidates(now=now, days=days)
    if dry_run or not due:
        return due
    for model in (
        Situation.risk_factors.through,
        Situation.study_flags.through,
        Situation.protective_factors.through,
        AffectedPerson,
    ):
        model.objects.filter(situation_id__in=due).delete()
    stamp = timezone.now()
    for situation in Situation.objects.filter(pk__in=due).select_related("table"):
        Situation.objects.filter(pk=situation.pk).update(narrative="", detail_purged_at=stamp)
        record_event(
            actor=actor,
            event="retention.rejected_detail_purged",
            table=situation.table,
            obj=situation,
            data={"status": situation.status},
        )
    return due


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
