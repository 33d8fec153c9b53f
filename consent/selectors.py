"""Who may see identifying information, and the privacy officer's reads."""

from django.db.models import Prefetch
from guardian.shortcuts import get_user_perms

from agencies.permissions import Capability, TableAccess
from cases import visibility
from cases.models import CLOSED_STATUSES, Situation
from cases.visibility import Part

from .models import (
    DEFAULT_SHARED_FIELDS,
    AccessEvent,
    AuditEvent,
    ConsentRecord,
    Disclosure,
    DisclosurePolicy,
    IdentifyingInfo,
)

PERMISSION = "view_identifying_info"


def shared_fields(table) -> list[str]:
    policy = DisclosurePolicy.objects.filter(table=table).first()
    return list(policy.shared_fields) if policy else list(DEFAULT_SHARED_FIELDS)


def is_originator(access: TableAccess, situation: Situation) -> bool:
    return (
        access.can(Capability.CREATE_SITUATION)
        and access.agency.pk == situation.originating_agency_id
    )


def disclosed_fields_for(access: TableAccess, situation: Situation) -> list[str] | None:
    """The identifiers this member may see for this situation, or None for no access.

    The visibility policy decides who is eligible (``cases.visibility``: the originating agency
    until the purge; agencies named at Filter 3 while the situation is open). The originating
    agency sees what it entered. Anyone else also needs an active Filter 3 disclosure to their
    agency *and* the object permission it granted them.
    """
    if access is None or access.table.pk != situation.table_id:
        return None
    view = visibility.sight(access, situation)
    if Part.IDENTIFYING not in view:
        return None
    if view.is_originating:
        return ["given_name", "family_name", "date_of_birth", "address", "phone", "notes"]
    if situation.status in CLOSED_STATUSES:
        return None
    # get_user_perms ignores the superuser shortcut: operators are not table members.
    if PERMISSION not in get_user_perms(access.user, situation):
        return None
    fields: list[str] = []
    for disclosure in Disclosure.objects.filter(
        situation=situation, revoked_at__isnull=True, agencies=access.agency
    ):
        fields += [f for f in disclosure.fields if f not in fields]
    return fields or None


def people(situation: Situation):
    return IdentifyingInfo.objects.filter(situation=situation).order_by("id")


def consents(situation: Situation):
    return ConsentRecord.objects.filter(situation=situation).prefetch_related("scope_agencies")


def disclosures(situation: Situation):
    return (
        Disclosure.objects.filter(situation=situation)
        .select_related("disclosed_by", "consent")
        .prefetch_related("agencies")
    )


# --- Privacy officer ---------------------------------------------------------


def table_disclosures(access: TableAccess):
    return (
        Disclosure.objects.filter(situation__table=access.table)
        .select_related("situation", "disclosed_by", "consent")
        .prefetch_related("agencies")
        .order_by("-disclosed_at", "-id")
    )


def table_access_events(access: TableAccess):
    return (
        AccessEvent.objects.filter(situation__table=access.table)
        .select_related("situation", "user", "agency")
        .order_by("-at", "-id")
    )


def table_consents(access: TableAccess):
    return (
        ConsentRecord.objects.filter(situation__table=access.table)
        .select_related("situation")
        .prefetch_related(Prefetch("scope_agencies"))
        .order_by("-recorded_at", "-id")
    )


def table_audit_events(access: TableAccess):
    return AuditEvent.objects.filter(table_id=access.table.pk).order_by("-id")
