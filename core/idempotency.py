"""``Idempotency-Key`` for API POSTs: a retried request gets the first answer, not a duplicate.

A client (an integration, or the browser's own scripts) sends ``Idempotency-Key: <unique text>``
with a POST under ``/api/``. The first request runs and its answer (any status below 500) is
stored; the same key with the same request replays that answer with ``Idempotent-Replayed:
true``; the same key while the first is still running is a 409 (``idempotency_in_progress``);
the same key with a different request is a 422 (``idempotency_key_reused``). A 500 (or an
outage) forgets the key, so the client may retry. Keys are scoped to the credential.
"""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse

from .models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255


def _scope(request) -> str | None:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode("latin-1", "replace")).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def _digest(request) -> str:
    return hashlib.sha256(
        b"\0".join([request.method.encode(), request.path.encode(), request.body])
    ).hexdigest()


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if not key or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _error(
                400, "bad_request", "The Idempotency-Key header must be 1–255 printable characters."
            )
        scope = _scope(request)
        if scope is None:
            return self.get_response(request)  # unauthenticated: the view answers 401
        digest = _digest(request)
        cutoff = _cutoff()
        IdempotencyKey.objects.filter(scope=scope, key=key, created_at__lt=cutoff).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(scope=scope, key=key, request_digest=digest)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:  # the first one failed and was forgotten meanwhile
                return _error(
                    409, "idempotency_in_progress", "A request with this key is running; retry."
                )
            if existing.request_digest != digest:
                return _error(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used for a different request.",
                )
            if existing.status is None:
                return _error(
                    409,
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still being processed.",
                )
            response = HttpResponse(
                bytes(existing.body), status=existing.status, content_type=existing.content_type
            )
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyKey.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
        return response


def _cutoff():
    import datetime

    from django.utils import timezone

    return timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def _error(status, code, detail):
    body = {"detail": detail, "code": code}
    if status == 400:
        body["errors"] = {}
    return JsonResponse(body, status=status)
