"""The API's global policies that belong to no feature app, named in ``settings.REST_FRAMEWORK``:
the error handler and paging. (The token authentication and rate limit are the accounts app's:
``agencies.api.policies``.)

DRF imports these while it defines its own view classes, so this module must not import
``rest_framework.views`` (or anything that does) at import time.

Errors get one JSON shape, and the domain errors are mapped here, in one place:

* ``core.exceptions.InvalidTransition`` → 409 ``{"detail", "code": "invalid_transition"}``
* Django or DRF ``ValidationError`` → 400 ``{"detail", "code": "invalid", "errors": {field: [..]}}``
* ``PermissionDenied`` → 403, ``Http404`` → 404, no credentials → 401, too many requests → 429.

Messages come from the services and the PII guard, which never echo what the user typed, so an
error response cannot carry identifying information back.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.serializers import as_serializer_error

from core.exceptions import InvalidTransition

# --- Errors ------------------------------------------------------------------------------------


def exception_handler(exc, context):
    """DRF's handler, plus the domain errors, with one JSON shape for every error."""
    if isinstance(exc, InvalidTransition):
        exc = Conflict(exc.message)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = as_serializer_error(exc)
        response.data = {
            "detail": _first_message(errors) or _("Invalid input."),
            "code": "invalid",
            "errors": errors,
        }
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"detail": str(detail or exc), "code": str(code)}
        if response.status_code == 400:
            # E.g. a body that is not JSON: nothing to say per field, but the same shape.
            response.data["errors"] = {}
    return response


def _first_message(errors) -> str:
    """The first message found in a (possibly nested) DRF error structure."""
    if isinstance(errors, dict):
        for value in errors.values():
            if message := _first_message(value):
                return message
    elif isinstance(errors, list):
        for value in errors:
            if message := _first_message(value):
                return message
    elif errors:
        return str(errors)
    return ""


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "This action is not possible in the current state."
    default_code = "invalid_transition"


# --- Paging -----------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
