"""One-time tokens on browser create forms: a replayed submission answers "already recorded".

Create forms render ``{% once_token %}`` (a random hidden ``_once`` field). The first POST that
carries a token claims it (a row in ``IdempotencyKey``, scoped to the signed-in user, committed
before the view runs); when the view says it created what was asked (``recorded(request)``, in
its success branch) the claim keeps the page the user was sent to. Any other answer — form
errors, a redirect to the agreement, the sign-in or the second factor, a 4xx, a 5xx —
releases it, so correcting and resubmitting works. The same token posted again — a double click
that got past the disabled button, a browser "resend", a back-button resubmission — creates
nothing: the user is sent to that same page with "This was already recorded." A second copy
that arrives while the first is still running waits for it (a few seconds) and answers the
same. The API has the same guarantee through the ``Idempotency-Key`` header.
"""

import secrets
import time

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .models import IdempotencyKey

FIELD = "_once"
PREFIX = "form:"
WAIT_SECONDS = 3.0
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def recorded(request) -> None:
    """Tell the middleware that this submission created what it asked for (call it in the view's
    success branch, after the service returned)."""
    request._once_recorded = True


def _token(request) -> str | None:
    if request.method != "POST" or request.path.startswith("/api/"):
        return None
    if not request.content_type or request.content_type not in _FORM_TYPES:
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    token = request.POST.get(FIELD, "")
    if not token or len(token) > 64 or not token.isascii() or not token.isprintable():
        return None
    return token


class OnceTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _token(request)
        if token is None:
            return self.get_response(request)
        scope, key = f"user:{request.user.pk}", PREFIX + token
        claim = _claim(scope, key)
        if claim is None:
            state, location = _wait_for(scope, key)
            if state == "gone":  # the first copy failed (form errors): this one runs instead
                claim = _claim(scope, key)
            if claim is None:
                return _already_recorded(request, location)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=claim.pk).delete()
            raise
        done = getattr(request, "_once_recorded", False)
        if done and response.status_code < 400:
            location = response.get("Location") or _page_of(request)
            IdempotencyKey.objects.filter(pk=claim.pk).update(
                status=response.status_code, body=location.encode()
            )
        else:
            IdempotencyKey.objects.filter(pk=claim.pk).delete()
        return response


def _page_of(request) -> str:
    """The page an htmx form lives on (its POST address may answer GET with a 405)."""
    current = _same_site(request, request.headers.get("HX-Current-URL", ""))
    if current:
        from urllib.parse import urlsplit

        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return _same_site(request, request.headers.get("Referer", "")) or "/"


def _claim(scope: str, key: str):
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(scope=scope, key=key, request_digest="form")
    except IntegrityError:
        return None


def _wait_for(scope: str, key: str) -> tuple[str, str | None]:
    """How the first submission ended: ``("done", page it led to)``, ``("gone", None)`` when it
    failed and released its token, or ``("running", None)`` when it is still going."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if existing is None:
            return "gone", None
        if existing.status is not None:
            return "done", bytes(existing.body).decode() or None
        if time.monotonic() > deadline:
            return "running", None
        time.sleep(0.1)


def _already_recorded(request, location: str | None):
    if location is None:
        messages.warning(
            request,
            _(
                "This form was already sent and is still being processed. Check before sending "
                "again."
            ),
        )
    else:
        messages.info(request, _("This was already recorded; nothing was added twice."))
    # The first answer's own redirect is ours; a Referer is the client's, so it is checked.
    target = location or _same_site(request, request.headers.get("Referer", "")) or "/"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _same_site(request, url: str) -> str | None:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else None
