"""Who may see identifying information, and the privacy officer's reads."""

import datetime
from collections import Counter

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from guardian.shortcuts import get_user_perms

from agencies.permissions import Capability, TableAccess
from cases import visibility
from cases.models import CLOSED_STATUSES, Situation, Status
from cases.visibility import Part
from core.models import AuditEvent

from . import crypto
from .models import (
    DEFAULT_SHARED_FIELDS,
    AccessEvent,
    ConsentRecord,
    Disclosure,
    DisclosurePolicy,
    IdentifyingInfo,
    RepeatMarker,
    RepeatMarkerFlag,
)

PERMISSION = "view_identifying_info"


def shared_fields(table) -> list[str]:
    policy = DisclosurePolicy.objects.filter(table=table).first()
    return list(policy.shared_fields) if policy else list(DEFAULT_SHARED_FIELDS)


def is_originator(access: TableAccess, situation: Situation) -> bool:
    """The visibility policy's definition, named for consent's callers."""
    return visibility.is_originating_agency(access, situation)


def passed_filter1(situation: Situation) -> bool:
    return situation.f1_attested_at is not None or situation.status != Status.DRAFT


def can_revoke_disclosures(access: TableAccess | None) -> bool:
    """The chair (who records disclosures) and the privacy officer (who reviews them)."""
    return access is not None and (
        access.can(Capability.DISCLOSE) or access.can(Capability.VIEW_AUDIT)
    )


def grounded(today: datetime.date | None = None) -> Q:
    """Disclosures whose basis still holds: imminent risk, or a consent neither withdrawn nor
    expired (checked at reveal time, before the daily sweep revokes them)."""
    today = today or timezone.localdate()
    return Q(consent__isnull=True) | (
        Q(consent__withdrawn_at__isnull=True)
        & (Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today))
    )


def grounded_disclosures(situation: Situation, today: datetime.date | None = None):
    return Disclosure.objects.filter(situation=situation, revoked_at__isnull=True).filter(
        grounded(today)
    )


def disclosed_fields_for(access: TableAccess, situation: Situation) -> list[str] | None:
    """The identifiers this member may see for this situation, or None for no access.

    The visibility policy decides who is eligible (``cases.visibility``: the originating agency
    until the purge; agencies named at Filter 3 while the situation is open). The originating
    agency sees what it entered. Anyone else also needs an active Filter 3 disclosure to their
    agency *and* the object permission it granted them, and the disclosure's consent must still
    hold (withdrawn or expired consent ends access at once).
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
    for disclosure in grounded_disclosures(situation).filter(agencies=access.agency):
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


def table_repeat_marker_flags(access: TableAccess):
    return (
        RepeatMarkerFlag.objects.filter(table=access.table)
        .select_related("user", "situation")
        .order_by("-at", "-id")
    )


# --- Repeat marker ---------------------------------------------------------------


def twelve_months_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _own_tokens(situations) -> dict[int, Counter]:
    """The repeat tokens of each situation's people whose marker was computed (one query)."""
    tokens: dict[int, Counter] = {}
    rows = IdentifyingInfo.objects.filter(
        situation__in=situations, repeat_marker_at__isnull=False
    ).select_related("situation")
    for person in rows:
        try:
            data = person.decrypt()
        except crypto.DecryptionError:
            continue
        token = crypto.repeat_token(
            person.situation.table_id,
            data.get("given_name", ""),
            data.get("family_name", ""),
            data.get("date_of_birth", ""),
        )
        if token:
            tokens.setdefault(person.situation_id, Counter())[token] += 1
    return tokens


def presentations_in_last_12_months_for(situations) -> dict[int, int]:
    """``presentations_in_last_12_months`` for many situations of one table, in two queries
    (for a list such as meeting mode): {situation id: count}."""
    situations = list(situations)
    counts = {situation.pk: 0 for situation in situations}
    own = _own_tokens(situations)
    if not own:
        return counts
    table_ids = {situation.table_id for situation in situations}
    since = twelve_months_before(timezone.localdate())
    all_tokens = {token for tokens in own.values() for token in tokens}
    found = {
        (row["table_id"], row["token"]): row["n"]
        for row in RepeatMarker.objects.filter(
            table_id__in=table_ids, token__in=all_tokens, presented_on__gte=since
        )
        .values("table_id", "token")
        .annotate(n=Count("id"))
    }
    tables = {situation.pk: situation.table_id for situation in situations}
    for situation_id, tokens in own.items():
        counts[situation_id] = max(
            [found.get((tables[situation_id], t), 0) - mine for t, mine in tokens.items()] + [0]
        )
    return counts


def presentations_in_last_12_months(situation: Situation) -> int:
    """How many other times this situation's people were presented at this table in the last 12
    months (the most-presented person counts), from the repeat markers, without the situation's
    own markers. For the chair at Filter 2 only; the markers name no situation, so neither can
    this."""
    return presentations_in_last_12_months_for([situation])[situation.pk]


def _may_see_repeat_count(access: TableAccess | None, situation: Situation) -> bool:
    return (
        access is not None
        and access.table.pk == situation.table_id
        and access.can(Capability.RECORD_DECISIONS)
        and situation.status == Status.PRESENTED
    )


def repeat_count_for(access: TableAccess, situation: Situation) -> int | None:
    """The 12-month count if this member may see it (the chair, at Filter 2), else None."""
    if not _may_see_repeat_count(access, situation):
        return None
    return presentations_in_last_12_months(situation)


def repeat_counts_for(access: TableAccess, situations) -> dict[int, int]:
    """Meeting mode and lists: {situation id: count} for the situations this member may see the
    count of (the chair; presented situations only). Others are absent from the dict."""
    visible = [s for s in situations if _may_see_repeat_count(access, s)]
    return presentations_in_last_12_months_for(visible) if visible else {}
