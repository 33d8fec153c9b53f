"""What the API's views share: the error schemas, the OpenAPI schema class, table scoping.

The API is a second door onto the same rooms: views resolve the member's access with
``agencies.permissions.get_table_access`` (404 for non-members), check the same named capabilities
as the browser views (403), read through the apps' selectors and write through their services.
The error handler, paging and the rate limit are in ``policies`` (DRF imports them early).
"""

from django.http import Http404
from django.utils.functional import cached_property
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers

from agencies.permissions import (
    AGREEMENT_REQUIRED_MESSAGE,
    Capability,
    TableAccess,
    agreement_required,
    get_table_access,
)

# --- Errors (the handler itself is in ``policies``) -------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A message for a person.")
    code = serializers.CharField(help_text="A stable code for a program.")


class ValidationErrorSerializer(ErrorSerializer):
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Messages per field; `non_field_errors` for the request as a whole.",
    )


ERROR_RESPONSES = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(ErrorSerializer, description="No valid session or token."),
    403: OpenApiResponse(ErrorSerializer, description="Your role or agency may not do this."),
    404: OpenApiResponse(
        ErrorSerializer,
        description="Not found, or not on a table you are a member of.",
    ),
    409: OpenApiResponse(
        ErrorSerializer,
        description="Not possible in the current state (code `invalid_transition`).",
    ),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests with this token."),
}


def responses(success: dict, *extra: int) -> dict:
    """``success`` plus the given error codes (401, 403, 404 and 429 are added by ApiSchema)."""
    return {**success, **{code: ERROR_RESPONSES[code] for code in extra}}


class TokenScheme(KnoxTokenScheme):
    """Documents our knox subclass (``policies.TokenAuthentication``) like knox's own."""

    target_class = "agencies.api.policies.TokenAuthentication"
    name = "tokenAuth"


class ApiSchema(AutoSchema):
    """Types the ``*_id`` path variables as integers and documents every error an operation can
    answer, so the schema is a complete contract (schemathesis checks it)."""

    def _resolve_path_parameters(self, variables):
        ids = [v for v in variables if v == "id" or v.endswith("_id")]
        parameters = super()._resolve_path_parameters([v for v in variables if v not in ids])
        return parameters + [
            build_parameter_type(
                name=name,
                location=OpenApiParameter.PATH,
                schema=build_basic_type(OpenApiTypes.INT),
            )
            for name in ids
        ]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        codes = [401, 403, 404, 429]
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        if "requestBody" in operation or has_query:
            codes.append(400)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append(409)
        existing = operation.setdefault("responses", {})
        for code in codes:
            if str(code) not in existing:
                existing[str(code)] = self._get_response_for_code(ERROR_RESPONSES[code], str(code))
        return operation


# --- Paging and throttling ---------------------------------------------------------------------


def paginated(serializer_class, name: str):
    """The page envelope of ``Pagination``, for views that paginate outside ``list``."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


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


def int_or_404(value) -> int:
    """A path id as an integer, or 404 (never a 500) for text, negatives or absurd sizes."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number
