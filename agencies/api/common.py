"""Table scoping for the API's views, and the schema of our token authentication.

The API is a second door onto the same rooms: views resolve the member's access with
``agencies.permissions.get_table_access`` (404 for non-members), check the same named capabilities
as the browser views (403), read through the apps' selectors and write through their services.
The error schemas, paging and path ids every app shares are ``core.api``; the token rate limit
is in ``policies`` (DRF imports it early).
"""

from django.utils.functional import cached_property
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from rest_framework import exceptions

from agencies.permissions import (
    AGREEMENT_REQUIRED_MESSAGE,
    Capability,
    TableAccess,
    agreement_required,
    get_table_access,
)


class TokenScheme(KnoxTokenScheme):
    """Documents our knox subclass (``policies.TokenAuthentication``) like knox's own."""

    target_class = "agencies.api.policies.TokenAuthentication"
    name = "tokenAuth"


# --- Table scoping -----------------------------------------------------------------------------


class TableScopedMixin:
    # For views under /api/v1/tables/{table_id}/. After authentication: 404 unless the user is an
    # active member of the table, then 403 unless their role has the capability the action needs
    # (capabilities[action], else default_capability): the same order and answers as the UI's
    # table_view. (A comment, not a docstring: docstrings become the schema's descriptions.)

    default_capability: Capability | None = Capability.VIEW_TABLE
    capabilities: dict[str, Capability | None] = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        access = self.access
        request.table_access = access
        capability = self.capabilities.get(getattr(self, "action", None), self.default_capability)
        if capability is not None:
            access.require(capability)
        # As on every table page: the table's information-sharing agreement comes first.
        if agreement_required(access):
            raise exceptions.PermissionDenied(
                str(AGREEMENT_REQUIRED_MESSAGE), code="agreement_required"
            )

    @cached_property
    def access(self) -> TableAccess:
        return get_table_access(self.request.user, self.kwargs.get("table_id"))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["access"] = self.access
        return context
