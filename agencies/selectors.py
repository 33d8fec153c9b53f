"""Reads of the agencies app, scoped to the person asking. The views query through these."""

from django.db.models import Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404

from .models import APPROVAL_ROLES, AgreementAcceptance, AgreementVersion, Invitation, Membership
from .permissions import TableAccess, active_memberships


def home_memberships(user) -> list[Membership]:
    """The person's active seats, each with ``agreement_pending`` when the table's current
    agreement is not accepted yet. Two queries, however many tables."""
    latest = AgreementVersion.objects.filter(table=OuterRef("table")).order_by("-version")
    memberships = list(
        active_memberships(user)
        .annotate(agreement_id=Subquery(latest.values("pk")[:1]))
        .annotate(
            agreement_accepted=Exists(
                AgreementAcceptance.objects.filter(version=OuterRef("agreement_id"), user=user)
            )
        )
        .order_by("table__name")
    )
    for m in memberships:
        m.agreement_pending = m.agreement_id is not None and not m.agreement_accepted
    return memberships


def table_members(access: TableAccess):
    return access.table.memberships.select_related("user", "agency", "agency__sector")


def table_agencies(access: TableAccess):
    return access.table.agencies.select_related("sector").order_by("name")


def open_invitations(access: TableAccess):
    return (
        Invitation.objects.filter(
            table=access.table, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("agency")
        .order_by("-created_at")
    )


def invitations_awaiting_approval(access: TableAccess):
    return (
        Invitation.objects.filter(
            table=access.table,
            approved_at__isnull=True,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            role__in=APPROVAL_ROLES,
        )
        .select_related("agency", "invited_by")
        .order_by("created_at")
    )


def get_membership(access: TableAccess, membership_id: int) -> Membership:
    """A seat of this table (404 for another table's)."""
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, table=access.table
    )


def acceptance(user, version) -> AgreementAcceptance | None:
    if version is None:
        return None
    return AgreementAcceptance.objects.filter(user=user, version=version).first()


def agreement_version(access: TableAccess, version_id) -> AgreementVersion | None:
    return AgreementVersion.objects.filter(pk=version_id, table=access.table).first()


def latest_acceptance(user, access: TableAccess) -> AgreementAcceptance | None:
    return (
        AgreementAcceptance.objects.filter(user=user, version__table=access.table)
        .select_related("version")
        .order_by("-version__version")
        .first()
    )


def backup_codes_left(user) -> int:
    backup = user.staticdevice_set.filter(confirmed=True).first()
    return backup.token_set.count() if backup else 0
