"""Bounded input, refused at the door with a clear 400 (JSON under /api/), never a 500.

* NUL bytes: PostgreSQL text cannot hold them (``DataError``), and no person types one. Refused
  in the query string and in form bodies (JSON strings are refused per field by the API's
  serializers, which name the field).
* JSON nesting deeper than ``MAX_JSON_DEPTH``: no endpoint takes more than a few levels, and
  Python's parser fails with ``RecursionError`` on very deep documents.

Body size is already bounded by Django (``DATA_UPLOAD_MAX_MEMORY_SIZE``, a 400 too).
"""

import re

from django.core.exceptions import RequestDataTooBig

from .errors import error_response

MAX_JSON_DEPTH = 32
_NUL_IN_QUERY = re.compile(r"%00|\x00")
_NUL_IN_FORM = re.compile(rb"%00|\x00")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when brackets nest deeper than ``limit`` (outside strings). Linear, no recursion."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class BoundedInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if problem := self.problem(request):
            return error_response(request, 400, detail=problem)
        return self.get_response(request)

    def problem(self, request) -> str | None:
        if _NUL_IN_QUERY.search(request.META.get("QUERY_STRING", "")):
            return "The address contains a NUL character."
        content_type = request.content_type or ""
        if request.method in ("GET", "HEAD", "OPTIONS") or not (
            content_type == "application/x-www-form-urlencoded" or content_type.endswith("json")
        ):
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return "The request is too large."
        if content_type.endswith("json"):
            if json_depth_exceeds(body, MAX_JSON_DEPTH):
                return f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."
        elif _NUL_IN_FORM.search(body):
            return "The form contains a NUL character."
        return None
