"""What every app's API views share: the error schemas, the OpenAPI schema class, the page
envelope and path ids. Table scoping (which needs the accounts app) is ``agencies.api.common``."""

from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

# --- Errors (the handler itself is in ``core.api.policies``) ------------------------------


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


# --- Paging


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


# --- Path ids ------------------------------------------------------------------------------------


def int_or_404(value) -> int:
    """A path id as an integer, or 404 (never a 500) for text, negatives or absurd sizes."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number < 2**63:
        raise Http404
    return number
