"""What may this user do on this table?

One place answers it for every view, API endpoint, task and service. Roles map to named
capabilities; code checks capabilities, never role strings. A user who is not an active member of
a table gets 404 for everything of that table, so nobody learns that a record exists.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from core.converters import MAX_ID

from .models import Agency, AgreementAcceptance, AgreementVersion, Membership, Role, Table

AGREEMENT_REQUIRED_MESSAGE = _(
    "Read and accept this table's information-sharing agreement before you see its situations."
)


class Capability(StrEnum):
    VIEW_TABLE = "view_table"
    VIEW_SITUATIONS = "view_situations"  # de-identified data of the whole table
    CREATE_SITUATION = "create_situation"  # for the member's own agency
    RECORD_DECISIONS = "record_decisions"  # Filter 2/3/4 decisions, conclusions
    DISCLOSE = "disclose"  # Filter 3: name the agencies that receive identifying info
    MANAGE_MEETINGS = "manage_meetings"  # meetings, agenda, attendance
    MANAGE_MEMBERS = "manage_members"  # onboard agencies and people
    EXPORT = "export"  # meeting summaries, RTD export
    VIEW_STATISTICS = "view_statistics"
    VIEW_AUDIT = "view_audit"  # disclosures, access events, consent, retention
    UPDATE_OWN_TASKS = "update_own_tasks"


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.CHAIR: frozenset(
        {
            C.VIEW_TABLE,
            C.VIEW_SITUATIONS,
            C.CREATE_SITUATION,
            C.RECORD_DECISIONS,
            C.DISCLOSE,
            C.MANAGE_MEETINGS,
            C.EXPORT,
            C.VIEW_STATISTICS,
            C.UPDATE_OWN_TASKS,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            C.VIEW_TABLE,
            C.VIEW_SITUATIONS,
            C.MANAGE_MEETINGS,
            C.MANAGE_MEMBERS,
            C.EXPORT,
            C.VIEW_STATISTICS,
        }
    ),
    Role.REPRESENTATIVE: frozenset(
        {C.VIEW_TABLE, C.VIEW_SITUATIONS, C.CREATE_SITUATION, C.UPDATE_OWN_TASKS}
    ),
    # Privacy officers audit; they read de-identified situations for context but never edit them.
    Role.PRIVACY_OFFICER: frozenset({C.VIEW_TABLE, C.VIEW_SITUATIONS, C.VIEW_AUDIT}),
}


@dataclass(frozen=True)
class TableAccess:
    """A user's active seat at a table, and what it allows."""

    table: Table
    membership: Membership

    @property
    def user(self):
        return self.membership.user

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def agency(self) -> Agency:
        return self.membership.agency

    @property
    def capabilities(self) -> frozenset[Capability]:
        return ROLE_CAPABILITIES.get(self.role, frozenset())

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise PermissionDenied

    def __getattr__(self, name):
        # Lets templates ask ``access.can_record_decisions`` and the like.
        if name.startswith("can_"):
            try:
                return self.can(Capability(name[4:]))
            except ValueError:
                pass
        raise AttributeError(name)


def active_memberships(user):
    """The user's active seats, on active tables, with table and agency loaded."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user, is_active=True, table__is_active=True
    ).select_related("table", "agency", "agency__sector", "user")


def get_table_access(user, table_id) -> TableAccess:
    """Return the user's access to a table, or raise 404 if they are not an active member."""
    try:
        number = int(table_id)
        if not 0 < number <= MAX_ID:
            # Past 64 bits SQLite's driver raises OverflowError on a foreign-key lookup.
            raise ValueError(table_id)
        membership = active_memberships(user).get(table_id=number)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    return TableAccess(table=membership.table, membership=membership)


def table_access(user, table_id) -> TableAccess | None:
    """Like :func:`get_table_access` but returns None instead of raising."""
    try:
        return get_table_access(user, table_id)
    except Http404:
        return None


def agreement_required(access: TableAccess) -> bool:
    """True when the table has a published information-sharing agreement and this person has not
    accepted its newest version. Tables without an agreement text are not gated.

    Every table page checks it through :func:`table_view`; the API calls it and answers 403
    with :data:`AGREEMENT_REQUIRED_MESSAGE`.
    """
    accepted = (
        AgreementVersion.objects.filter(table_id=access.table.pk)
        .order_by("-version")
        .annotate(
            accepted=Exists(
                AgreementAcceptance.objects.filter(
                    version=OuterRef("pk"), user_id=access.membership.user_id
                )
            )
        )
        .values_list("accepted", flat=True)
        .first()
    )
    return accepted is False  # None: no agreement published for this table


def _agreement_gate(request, access: TableAccess):
    """The answer for someone who must accept the agreement first."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(AGREEMENT_REQUIRED_MESSAGE), "code": "agreement_required"}, status=403
        )
    url = reverse("agreement", args=[access.table.pk])
    if request.method == "GET" and not getattr(request, "htmx", False):
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def table_view(capability: Capability | None = None, *, agreement: bool = True):
    """Decorator for views under ``/tables/<table_id>/``.

    Resolves the user's access (404 for non-members), checks the capability (403), sends people
    who have not accepted the table's current information-sharing agreement to it, and passes
    ``access`` to the view instead of ``table_id``. Only the agreement and orientation pages
    themselves pass ``agreement=False``.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, table_id, *args, **kwargs):
            access = get_table_access(request.user, table_id)
            if capability is not None:
                access.require(capability)
            if agreement and agreement_required(access):
                return _agreement_gate(request, access)
            request.table_access = access
            return view(request, access, *args, **kwargs)

        return wrapper

    return decorator
